// name: next_best_products
// answers: A customer's white space — the product lines they hold no active account in — with, for each, the co-ownership rules from the lines they do hold (CO_HELD, computed by `ckb segment`) and the line's products with how many customers hold them. ckb ranks them (queries/whitespace.py): strongest rule first, with its evidence ("held by 38% of customers who hold mobile"); at most `first` (1 to 50).
// param: customerId string  the golden customer ID
// param: first int  how many recommendations, 1 to 50
// index: Customer.id (constraint customer_id_unique); ProductLine is the catalogue (a label scan over a handful of lines)
MATCH (c:Customer {id: $customerId})
CALL (c) {
  OPTIONAL MATCH (c)-[:HOLDS]->(:Holding {status: 'active'})-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(l:ProductLine)
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
RETURN c.id AS subject, [l IN held | l.id] AS held, candidates, $first AS first
