// name: relationship_path
// answers: How close two customers are: every shortest chain of relationships between them (RELATED_TO links, or sharing a household), up to maxHops (1 to 6), at most 10 chains, with the people and links on each. No row: not connected within maxHops.
// param: fromId string  golden ID of the first customer
// param: toId string  golden ID of the second customer
// param: maxHops int  longest chain to consider, 1 to 6
// index: Customer.id (constraint customer_id_unique), both ends
MATCH (a:Customer {id: $fromId})
MATCH (b:Customer {id: $toId})
WHERE a <> b
MATCH p = allShortestPaths((a)-[:RELATED_TO|MEMBER_OF*..6]-(b))
WHERE length(p) <= $maxHops
WITH [n IN nodes(p) | n.id] AS ids,
     [n IN nodes(p) | labels(n)[0]] AS labels,
     [n IN nodes(p) | n.name] AS names,
     [r IN relationships(p) | coalesce(r.kind, type(r))] AS links
RETURN ids AS nodeIds, labels, names, links
ORDER BY nodeIds, links
LIMIT 10
