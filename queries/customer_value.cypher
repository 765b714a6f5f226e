// name: customer_value
// answers: A customer's monthly value per product line over active holdings, the total, and how many of the catalogue's product lines they hold ("holds 2 of 13").
// param: customerId string  the golden customer ID
// index: Customer.id (constraint customer_id_unique)
MATCH (c:Customer {id: $customerId})
OPTIONAL MATCH (c)-[:HOLDS]->(h:Holding {status: 'active'})-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(l:ProductLine)
WITH c, l, count(h) AS holdings, sum(coalesce(h.monthly_value, 0.0)) AS value
ORDER BY l.id
WITH c, collect(CASE WHEN l IS NULL THEN null ELSE {line: l.id, name: l.name, holdings: holdings, monthlyValue: value} END) AS lines
CALL () {
  MATCH (line:ProductLine)
  RETURN count(line) AS catalogueLines
}
RETURN c.id AS customerId, lines, catalogueLines
