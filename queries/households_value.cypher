// name: households_value
// answers: household_value for many households in one call: each household's members and its monthly value per product line over the members' active holdings, a joint account counted once.
// param: householdIds list  household IDs (at most 500)
// index: Household.id (constraint household_id_unique)
UNWIND $householdIds AS householdId
WITH DISTINCT householdId
MATCH (h:Household {id: householdId})
CALL (h) {
  OPTIONAL MATCH (h)<-[:MEMBER_OF]-(m:Customer)
  RETURN collect(DISTINCT m.id) AS members
}
CALL (h) {
  OPTIONAL MATCH (h)<-[:MEMBER_OF]-(:Customer)-[:HOLDS]->(a:Holding {status: 'active'})-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(l:ProductLine)
  WITH l, collect(DISTINCT a) AS accounts
  WITH l, size(accounts) AS holdings,
       reduce(total = 0.0, x IN accounts | total + coalesce(x.monthly_value, 0.0)) AS value
  ORDER BY l.id
  RETURN collect(CASE WHEN l IS NULL THEN null ELSE {line: l.id, name: l.name, holdings: holdings, monthlyValue: value} END) AS lines
}
RETURN h.id AS householdId, members, lines
ORDER BY householdId
