// name: network_influence
// answers: Who holds a customer's network together and who influences in it: the customers and households within `hops` steps (1 to 6) through RELATED_TO links of every kind or a shared household (two steps: to the household and back), and every relationship among them; per customer, links in the network, betweenness centrality, Louvain community, and how many customers they referred directly and downstream (RELATED_TO kind 'referral', referrer to referred); most central first, at most `first` (1 to 500). Networks of more than 1,000 nodes are refused.
// param: customerId string  the golden customer ID at the centre
// param: hops int  how far the network reaches, 1 to 6
// param: first int  most customers to return, 1 to 500
// index: Customer.id (constraint customer_id_unique)
// Neo4j Community has no graph algorithms, so ckb computes the scores in Python (networkx)
// on every store, from the network it pulls through the store port (queries/network_influence.py).
// This text returns that network, the projection the scores are computed on, as an edge
// list an analyst can load into a graph tool: every relationship among its nodes.
MATCH (c:Customer {id: $customerId})
MATCH p = (c)-[:RELATED_TO|MEMBER_OF*0..6]-(n)
WHERE length(p) <= $hops
WITH collect(DISTINCT n) AS network
UNWIND network AS a
MATCH (a)-[r:RELATED_TO|MEMBER_OF]->(b)
WHERE b IN network
RETURN labels(a)[0] AS fromLabel, a.id AS fromId, type(r) AS type, r.kind AS kind,
       labels(b)[0] AS toLabel, b.id AS toId
ORDER BY fromId, toId, type, kind
