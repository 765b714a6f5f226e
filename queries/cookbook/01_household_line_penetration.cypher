// name: household_line_penetration
// answers: Product-line penetration by household: for each product line, how many households have at least one member with an active account in it, as a share of all households, beside the line's penetration among customers.
MATCH (hh:Household)
WITH count(hh) AS households
MATCH (l:ProductLine)
CALL (l) {
  OPTIONAL MATCH (l)<-[:IN_LINE]-(:Product)<-[:OF_PRODUCT]-(:Holding {status: 'active'})<-[:HOLDS]-(:Customer)-[:MEMBER_OF]->(hh:Household)
  RETURN count(DISTINCT hh) AS holding
}
RETURN l.id AS line, l.name AS name, l.industry AS industry, holding AS households,
       round(100.0 * holding / CASE households WHEN 0 THEN 1 ELSE households END, 1) AS pct_of_households,
       round(100.0 * coalesce(l.penetration, 0.0), 1) AS pct_of_customers
ORDER BY pct_of_households DESC, line
