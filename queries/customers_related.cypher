// name: customers_related
// answers: related_customers for a page of customers in one call: the customers directly related to each, by relationship kind ('' for every kind), with the direction as recorded and since when; ordered by kind then customer ID, at most `first` (1 to 1000) each.
// param: customerIds list  golden customer IDs (at most 500)
// param: kind string  a relationship kind, or '' for all
// param: first int  how many per customer, 1 to 1000
// index: Customer.id (constraint customer_id_unique)
UNWIND $customerIds AS forCustomer
WITH DISTINCT forCustomer
MATCH (c:Customer {id: forCustomer})
CALL (c) {
  MATCH (c)-[r:RELATED_TO]-(o:Customer)
  WHERE $kind = '' OR r.kind = $kind
  RETURN o.id AS customerId, o.name AS name, r.kind AS kind,
         CASE WHEN startNode(r) = c THEN 'out' ELSE 'in' END AS direction, r.since AS since
  ORDER BY kind, customerId, direction
  LIMIT $first
}
RETURN forCustomer, customerId, name, kind, direction, since
ORDER BY forCustomer, kind, customerId, direction
