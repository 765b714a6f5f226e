// name: household_value
// answers: A household's members and its monthly value per product line over the members' active holdings, each account counted once even when members hold it jointly.
// param: householdId string  the household ID
// index: Household.id (constraint household_id_unique)
MATCH (h:Household {id: $householdId})
OPTIONAL MATCH (h)<-[:MEMBER_OF]-(m:Customer)
WITH h, collect(DISTINCT m.id) AS members
OPTIONAL MATCH (h)<-[:MEMBER_OF]-(:Customer)-[:HOLDS]->(a:Holding {status: 'active'})-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(l:ProductLine)
WITH h, members, l, collect(DISTINCT a) AS accounts
WITH h, members, l, size(accounts) AS holdings,
     reduce(total = 0.0, x IN accounts | total + coalesce(x.monthly_value, 0.0)) AS value
ORDER BY l.id
WITH h, members, collect(CASE WHEN l IS NULL THEN null ELSE {line: l.id, name: l.name, holdings: holdings, monthlyValue: value} END) AS lines
RETURN h.id AS householdId, members, lines
