// name: related_customers
// answers: The customers directly related to one customer, by relationship kind (spouse, parent, referral, employer, co_signer ...; '' for every kind), each with the direction as recorded ('out': this customer is the relationship's subject, e.g. the parent; 'in': its object) and since when; ordered by kind then customer ID, at most `first` (1 to 1000).
// param: customerId string  the golden customer ID
// param: kind string  a relationship kind, or '' for all
// param: first int  how many, 1 to 1000
// index: Customer.id (constraint customer_id_unique)
MATCH (c:Customer {id: $customerId})-[r:RELATED_TO]-(o:Customer)
WHERE $kind = '' OR r.kind = $kind
RETURN o.id AS customerId, o.name AS name, r.kind AS kind,
       CASE WHEN startNode(r) = c THEN 'out' ELSE 'in' END AS direction, r.since AS since
ORDER BY kind, customerId, direction
LIMIT $first
