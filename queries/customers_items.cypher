// name: customers_items
// answers: customer_items for a page of customers in one call: every tagged item each customer bought, newest sale first, with its product, where it is now (the business location of its latest event that has one and was not retracted, its own or a container's) and its state (the step and disposition of its latest event); at most `first` (1 to 500) each.
// param: customerIds list  golden customer IDs (at most 500)
// param: first int  how many items per customer, 1 to 500
// index: Customer.id (constraint customer_id_unique)
UNWIND $customerIds AS forCustomer
WITH DISTINCT forCustomer
MATCH (c:Customer {id: forCustomer})
CALL (c) {
  MATCH (c)<-[s:SOLD_TO]-(i:ProductInstance)
  OPTIONAL MATCH (i)-[:INSTANCE_OF]->(p:Product)
  CALL (i) {
    CALL (i) {
      MATCH (i)<-[:OBSERVED]-(e:EpcisEvent)
      RETURN e
      UNION
      MATCH (i)<-[links:CONTAINS*1..4]-(:ProductInstance)<-[:OBSERVED]-(e:EpcisEvent)
      WHERE all(l IN links WHERE l.since <= e.event_time AND (l.until IS NULL OR l.until > e.event_time))
      RETURN e
    }
    WITH e
    WHERE coalesce(e.retracted, false) = false
    WITH e
    ORDER BY e.event_time DESC, e.event_id DESC
    WITH collect(e) AS events
    WITH events[0] AS last, [x IN events WHERE EXISTS { (x)-[:AT]->(:Location) }][0] AS placed
    OPTIONAL MATCH (placed)-[:AT]->(place:Location)
    RETURN place.id AS location, place.name AS locationName, placed.event_time AS since,
           last.biz_step AS lastStep, last.disposition AS disposition
  }
  RETURN i.epc AS epc, p.id AS productId, p.name AS productName, s.sold_at AS soldAt,
         location, locationName, since, lastStep, disposition
  ORDER BY soldAt DESC, epc
  LIMIT $first
}
RETURN forCustomer, epc, productId, productName, soldAt, location, locationName, since,
       lastStep, disposition
ORDER BY forCustomer, soldAt DESC, epc
