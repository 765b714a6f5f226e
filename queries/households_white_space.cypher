// name: households_white_space
// answers: household_white_space for many households in one call: for each, the product lines no member holds an active account in, ranked like next_best_products from the co-ownership rules of the lines the household holds; at most `first` (1 to 50) each.
// param: householdIds list  household IDs (at most 500)
// param: first int  how many recommendations per household, 1 to 50
// index: Household.id (constraint household_id_unique); ProductLine is the catalogue (a label scan over a handful of lines)
UNWIND $householdIds AS householdId
WITH DISTINCT householdId
MATCH (hh:Household {id: householdId})
CALL (hh) {
  OPTIONAL MATCH (hh)<-[:MEMBER_OF]-(:Customer)-[:HOLDS]->(:Holding {status: 'active'})-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(l:ProductLine)
  RETURN collect(DISTINCT l) AS held
}
CALL (held) {
  MATCH (cand:ProductLine)
  WHERE NOT cand IN held
  WITH cand ORDER BY cand.id
  RETURN collect({
    line: cand.id, name: cand.name, penetration: cand.penetration,
    rules: [(h:ProductLine)-[co:CO_HELD]->(cand) WHERE h IN held |
            {basis: h.id, customers: co.customers, confidence: co.confidence, lift: co.lift}],
    products: [(p:Product)-[:IN_LINE]->(cand) | {id: p.id, name: p.name, holders: p.holders}]
  }) AS candidates
}
RETURN hh.id AS subject, [l IN held | l.id] AS held, candidates, $first AS first
ORDER BY subject
