// name: search_customers
// answers: Customers found by a search text: exact email, exact phone, a source system's customer ID, or the start of their normalised name; each with what it matched on, best kinds of match first, at most `first` (1 to 100).
// param: text string  what the user typed
// param: namePrefix string  the text normalised like Customer.name_normalized (derived by ckb, not typed)
// param: first int  how many, 1 to 100
// index: Customer.email, Customer.phone, SourceRecord.source_record_id, Customer.name_normalized (prefix)
CALL () {
  MATCH (c:Customer) WHERE c.email = $text
  RETURN c, 1 AS rank, 'email' AS matchedOn
  UNION
  MATCH (c:Customer) WHERE c.phone = $text
  RETURN c, 1 AS rank, 'phone' AS matchedOn
  UNION
  MATCH (:SourceRecord {source_record_id: $text})-[:RESOLVED_TO]->(c:Customer)
  RETURN c, 2 AS rank, 'source_id' AS matchedOn
  UNION
  MATCH (c:Customer) WHERE $namePrefix <> '' AND c.name_normalized STARTS WITH $namePrefix
  RETURN c, 3 AS rank, 'name' AS matchedOn
}
WITH c, min(rank) AS best, collect(DISTINCT matchedOn) AS matched
RETURN c.id AS customerId, c.name AS name, c.email AS email, c.phone AS phone, matched AS matchedOn
ORDER BY best, customerId
LIMIT $first
