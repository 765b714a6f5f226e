// name: customer_items
// answers: Every tagged item a customer bought (SOLD_TO, from an EPCIS event that references one of their purchases), newest sale first, with its product, where it is now (the business location of its latest event that has one and was not retracted) and its state (the step and disposition of its latest event: in_transit means on its way); at most `first` (1 to 500).
// param: customerId string  the golden customer ID
// param: first int  how many items, 1 to 500
// index: Customer.id (constraint customer_id_unique)
MATCH (:Customer {id: $customerId})<-[s:SOLD_TO]-(i:ProductInstance)
OPTIONAL MATCH (i)-[:INSTANCE_OF]->(p:Product)
CALL (i) {
  OPTIONAL MATCH (i)<-[:OBSERVED]-(e:EpcisEvent)-[:AT]->(place:Location)
  WHERE coalesce(e.retracted, false) = false
  WITH place, e ORDER BY e.event_time DESC, e.event_id DESC LIMIT 1
  RETURN place.id AS location, e.event_time AS since
}
CALL (i) {
  OPTIONAL MATCH (i)<-[:OBSERVED]-(last:EpcisEvent)
  WHERE coalesce(last.retracted, false) = false
  WITH last ORDER BY last.event_time DESC, last.event_id DESC LIMIT 1
  RETURN last.biz_step AS lastStep, last.disposition AS disposition
}
RETURN i.epc AS epc, p.id AS productId, p.name AS productName, s.sold_at AS soldAt,
       location, since, lastStep, disposition
ORDER BY soldAt DESC, epc
LIMIT $first
