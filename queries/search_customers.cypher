// name: search_customers
// answers: Customers found by a search text: an email (in any case, with or without a +tag), a phone in any common spelling (read as E.164), a source system's customer ID, the start of their normalised name, or a similar name in any script or word order, typos allowed ("jhon smiht" finds John Smith, "wang wei" finds 王伟). The file returns the candidates with what each matched on; ckb scores name similarity (identity/names.py) and ranks them: email or phone, then source ID, then name prefix, then similar names (at least 0.75 alike), best first; at most `first` (1 to 100).
// param: text string  what the user typed
// param: namePrefix string  the text normalised like Customer.name_normalized (derived by ckb, not typed)
// param: nameKeys list  the text's fuzzy search keys, like Customer.name_keys (derived)
// param: keyQuery string  nameKeys joined with OR for the full-text index, '' when none (derived)
// param: phones list  the text read as a phone number in E.164, [] when it is not one (derived)
// param: email string  the text normalised as the loaders store emails (lower case, no +tag), or the text (derived)
// param: first int  how many, 1 to 100
// index: Customer.email, Customer.phone, SourceRecord.source_record_id, Customer.name_normalized (prefix, first 1000 by ID), customer_name_keys_terms (full-text, whitespace analyzer; 500 sharing most keys)
CALL () {
  MATCH (c:Customer) WHERE c.email = $email
  RETURN c, 'email' AS matchedOn
  UNION
  MATCH (c:Customer) WHERE c.phone = $text
  RETURN c, 'phone' AS matchedOn
  UNION
  UNWIND $phones AS phone
  MATCH (c:Customer) WHERE c.phone = phone
  RETURN c, 'phone' AS matchedOn
  UNION
  MATCH (:SourceRecord {source_record_id: $text})-[:RESOLVED_TO]->(c:Customer)
  RETURN c, 'source_id' AS matchedOn
  UNION
  MATCH (c:Customer) WHERE $namePrefix <> '' AND c.name_normalized STARTS WITH $namePrefix
  WITH c ORDER BY c.id LIMIT 1000
  RETURN c, 'name' AS matchedOn
  UNION
  UNWIND CASE WHEN $keyQuery = '' THEN [] ELSE [$keyQuery] END AS keyQuery
  CALL db.index.fulltext.queryNodes('customer_name_keys_terms', keyQuery) YIELD node
  WITH node, size([k IN $nameKeys WHERE k IN split(node.name_keys, ' ')]) AS shared
  ORDER BY shared DESC, node.id LIMIT 500
  RETURN node AS c, 'similar_name' AS matchedOn
}
WITH c, collect(matchedOn) AS matched
RETURN c.id AS customerId, c.name AS name, c.email AS email, c.phone AS phone, matched AS matchedOn,
       $text AS text, $first AS first
