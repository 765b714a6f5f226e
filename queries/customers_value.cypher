// name: customers_value
// answers: customer_value for a page of customers in one call: monthly value per product line over active holdings and how many catalogue lines each holds.
// param: customerIds list  golden customer IDs (at most 500)
// index: Customer.id (constraint customer_id_unique)
CALL () {
  MATCH (line:ProductLine)
  RETURN count(line) AS catalogueLines
}
UNWIND $customerIds AS customerId
MATCH (c:Customer {id: customerId})
CALL (c) {
  OPTIONAL MATCH (c)-[:HOLDS]->(h:Holding {status: 'active'})-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(l:ProductLine)
  WITH l, count(h) AS holdings, sum(coalesce(h.monthly_value, 0.0)) AS value
  ORDER BY l.id
  RETURN collect(CASE WHEN l IS NULL THEN null ELSE {line: l.id, name: l.name, holdings: holdings, monthlyValue: value} END) AS lines
}
RETURN DISTINCT c.id AS customerId, lines, catalogueLines
