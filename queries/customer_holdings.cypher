// name: customer_holdings
// answers: Every account a customer holds across all product lines: product, line, status, since when, balance and monthly value.
// param: customerId string  the golden customer ID
// index: Customer.id (constraint customer_id_unique)
MATCH (:Customer {id: $customerId})-[held:HOLDS]->(a:Holding)
OPTIONAL MATCH (a)-[:OF_PRODUCT]->(p:Product)
OPTIONAL MATCH (p)-[:IN_LINE]->(l:ProductLine)
RETURN a.id AS accountId, p.id AS productId, p.name AS productName, l.id AS line,
       a.status AS status, held.role AS role, a.opened_on AS openedOn, a.closed_on AS closedOn,
       a.balance AS balance, a.monthly_value AS monthlyValue
ORDER BY line, accountId
