// name: customers_next_best_products
// answers: next_best_products for a page of customers in one call: for each, the product lines they hold no active account in, with the co-ownership rules from the lines they hold and each line's products with their eligibility terms, and what the eligibility and consent rules need of the customer (kind, birth date, country, products held with what they exclude, products in closed holdings with when they closed, marketing consents). ckb judges and ranks each customer's as for one, leaving out lines closed within 180 days (scoring/eligibility.py, scoring/whitespace.py); at most `first` (1 to 50) each.
// param: customerIds list  golden customer IDs (at most 500)
// param: first int  how many recommendations per customer, 1 to 50
// param: asOf string  the date ages and recent closures are taken on, YYYY-MM-DD (default: today)
// index: Customer.id (constraint customer_id_unique); ProductLine is the catalogue (a label scan over a handful of lines)
UNWIND $customerIds AS customerId
WITH DISTINCT customerId
MATCH (c:Customer {id: customerId})
CALL (c) {
  OPTIONAL MATCH (c)-[:HOLDS]->(:Holding {status: 'active'})-[:OF_PRODUCT]->(p:Product)-[:IN_LINE]->(l:ProductLine)
  RETURN collect(DISTINCT l) AS held,
         collect(DISTINCT CASE WHEN p IS NULL THEN null ELSE {id: p.id, name: p.name, excludes: p.excludes} END) AS holds
}
CALL (c) {
  OPTIONAL MATCH (c)-[:HOLDS]->(h:Holding {status: 'closed'})-[:OF_PRODUCT]->(p:Product)
  RETURN collect(CASE WHEN p IS NULL THEN null ELSE {id: p.id, closedOn: h.closed_on} END) AS closed
}
CALL (c) {
  OPTIONAL MATCH (c)-[:HAS_CONSENT]->(k:Consent {purpose: 'marketing'})
  RETURN collect(CASE WHEN k IS NULL THEN null ELSE {channel: k.channel, granted: k.granted, given_at: k.given_at, withdrawn_at: k.withdrawn_at} END) AS marketing
}
CALL (held) {
  MATCH (cand:ProductLine)
  WHERE NOT cand IN held
  WITH cand ORDER BY cand.id
  RETURN collect({
    line: cand.id, name: cand.name, penetration: cand.penetration,
    rules: [(h:ProductLine)-[co:CO_HELD]->(cand) WHERE h IN held |
            {basis: h.id, customers: co.customers, confidence: co.confidence, lift: co.lift}],
    products: [(p:Product)-[:IN_LINE]->(cand) |
               {id: p.id, name: p.name, holders: p.holders, minAge: p.min_age,
                customerTypes: p.customer_types, regions: p.regions, excludes: p.excludes}]
  }) AS candidates
}
RETURN c.id AS subject, [l IN held | l.id] AS held, candidates, $first AS first, $asOf AS asOf,
       {kind: c.kind, birthDate: c.birth_date, country: c.country, holds: holds,
        closed: closed, marketing: marketing} AS customer
ORDER BY subject
