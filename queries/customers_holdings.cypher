// name: customers_holdings
// answers: customer_holdings for a page of customers in one call: every account each customer holds, with product, line, status, balance and monthly value.
// param: customerIds list  golden customer IDs (at most 500)
// index: Customer.id (constraint customer_id_unique)
UNWIND $customerIds AS forCustomer
WITH DISTINCT forCustomer
MATCH (:Customer {id: forCustomer})-[held:HOLDS]->(a:Holding)
OPTIONAL MATCH (a)-[:OF_PRODUCT]->(p:Product)
OPTIONAL MATCH (p)-[:IN_LINE]->(l:ProductLine)
RETURN forCustomer, a.id AS accountId, p.id AS productId, p.name AS productName, l.id AS line,
       a.status AS status, held.role AS role, a.opened_on AS openedOn, a.closed_on AS closedOn,
       a.balance AS balance, a.monthly_value AS monthlyValue
ORDER BY forCustomer, line, accountId
