// name: customers_sources
// answers: customer_sources for a page of customers in one call: which source systems hold each customer, and by which rule and score each source record resolved to them.
// param: customerIds list  golden customer IDs (at most 500)
// index: Customer.id (constraint customer_id_unique)
UNWIND $customerIds AS forCustomer
WITH DISTINCT forCustomer
MATCH (:Customer {id: forCustomer})<-[r:RESOLVED_TO]-(s:SourceRecord)
RETURN forCustomer, s.source_system AS system, s.source_record_id AS recordId, r.rule AS rule,
       r.score AS score
ORDER BY forCustomer, system, recordId
