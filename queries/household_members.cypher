// name: household_members
// answers: The households this customer belongs to and everyone in them, with role and age band.
// param: customerId string  the golden customer ID
// index: Customer.id (constraint customer_id_unique)
MATCH (:Customer {id: $customerId})-[:MEMBER_OF]->(h:Household)<-[m:MEMBER_OF]-(p:Customer)
RETURN h.id AS householdId, p.id AS customerId, p.name AS name, m.role AS role, m.age_band AS ageBand
ORDER BY householdId, customerId
