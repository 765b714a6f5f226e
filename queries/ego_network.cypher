// name: ego_network
// answers: The customers around one customer: everyone reachable within `hops` steps (1 to 4) through RELATED_TO links or a shared household (which counts two steps: to the household and back), with their distance; nearest first, at most `limit` (1 to 500).
// param: customerId string  the golden customer ID at the centre
// param: hops int  how many relationship steps, 1 to 4
// param: limit int  most customers to return, 1 to 500
// index: Customer.id (constraint customer_id_unique)
MATCH (c:Customer {id: $customerId})
MATCH p = (c)-[:RELATED_TO|MEMBER_OF*1..4]-(m:Customer)
WHERE length(p) <= $hops AND m <> c
WITH m, min(length(p)) AS distance
RETURN m.id AS customerId, m.name AS name, distance
ORDER BY distance, customerId
LIMIT $limit
