// name: customers_households
// answers: household_members for a page of customers in one call: each customer's households and everyone in them, with role and age band.
// param: customerIds list  golden customer IDs (at most 500)
// index: Customer.id (constraint customer_id_unique)
UNWIND $customerIds AS forCustomer
WITH DISTINCT forCustomer
MATCH (:Customer {id: forCustomer})-[:MEMBER_OF]->(h:Household)<-[m:MEMBER_OF]-(p:Customer)
RETURN forCustomer, h.id AS householdId, p.id AS customerId, p.name AS name, m.role AS role, m.age_band AS ageBand
ORDER BY forCustomer, householdId, customerId
