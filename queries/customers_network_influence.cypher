// name: customers_network_influence
// answers: network_influence for a page of customers in one call: for each customer, the customers and households within `hops` steps (1 to 6) through RELATED_TO links of every kind or a shared household, and every relationship among them, scored as network_influence scores one network (links, betweenness, community, referrals; most central first, at most `first` each). A network of more than 1,000 nodes refuses the batch, which is then asked one customer at a time.
// param: customerIds list  golden customer IDs (at most 500)
// param: hops int  how far each network reaches, 1 to 6
// param: first int  most customers to return per network, 1 to 500
// index: Customer.id (constraint customer_id_unique)
// Like network_influence, ckb scores in Python (networkx) on every store, from ONE
// projection holding every customer's network, pulled hop by hop for all of them at once
// (queries/network_influence.py). This text returns each network as an edge list, for analysts.
UNWIND $customerIds AS forCustomer
WITH DISTINCT forCustomer
MATCH (c:Customer {id: forCustomer})
CALL (c) {
  MATCH p = (c)-[:RELATED_TO|MEMBER_OF*0..6]-(n)
  WHERE length(p) <= $hops
  RETURN collect(DISTINCT n) AS network
}
UNWIND network AS a
MATCH (a)-[r:RELATED_TO|MEMBER_OF]->(b)
WHERE b IN network
RETURN forCustomer, labels(a)[0] AS fromLabel, a.id AS fromId, type(r) AS type,
       r.kind AS kind, labels(b)[0] AS toLabel, b.id AS toId
ORDER BY forCustomer, fromId, toId, type, kind
