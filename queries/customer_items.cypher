// name: customer_items
// answers: Every tagged item a customer bought (SOLD_TO, from an EPCIS event that references one of their purchases), newest sale first, with its product, where it is now (the business location, ID and master-data name, of its latest event that has one and was not retracted) and its state (the step and disposition of its latest event: in_transit means on its way); its events include those of the case, pallet ... holding it at the time, as in current_location; at most `first` (1 to 500).
// param: customerId string  the golden customer ID
// param: first int  how many items, 1 to 500
// index: Customer.id (constraint customer_id_unique)
MATCH (:Customer {id: $customerId})<-[s:SOLD_TO]-(i:ProductInstance)
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
