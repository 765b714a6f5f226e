// name: customer_sources
// answers: Which source systems hold this customer (the cross-reference), and by which rule and score each source record resolved to it.
// param: customerId string  the golden customer ID
// index: Customer.id (constraint customer_id_unique)
MATCH (c:Customer {id: $customerId})<-[r:RESOLVED_TO]-(s:SourceRecord)
RETURN s.source_system AS system, s.source_record_id AS recordId, r.rule AS rule, r.score AS score
ORDER BY system, recordId
