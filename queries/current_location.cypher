// name: current_location
// answers: Where one tagged item is now: the business location (ID and master-data name) of its latest event that has one and was not retracted (EPCIS: an item stays at an event's bizLocation until a later event says otherwise), with that event's step and disposition. Its events include those of the case, pallet ... holding it at the time (a pallet received at the DC brings its items there). Nothing when no event placed it.
// param: epc string  the item's EPC as written (URN or GS1 Digital Link)
// param: key string  the canonical key ckb stores it under (derived by ckb, not typed)
// index: ProductInstance.epc (constraint product_instance_epc_unique)
MATCH (item:ProductInstance {epc: $key})
CALL (item) {
  MATCH (item)<-[:OBSERVED]-(e:EpcisEvent)
  RETURN e
  UNION
  MATCH (item)<-[links:CONTAINS*1..4]-(:ProductInstance)<-[:OBSERVED]-(e:EpcisEvent)
  WHERE all(l IN links WHERE l.since <= e.event_time AND (l.until IS NULL OR l.until > e.event_time))
  RETURN e
}
WITH e
WHERE coalesce(e.retracted, false) = false
MATCH (e)-[:AT]->(place:Location)
RETURN place.id AS location, place.name AS name, e.event_time AS since, e.biz_step AS bizStep,
       e.disposition AS disposition, e.event_id AS eventId
ORDER BY since DESC, eventId DESC
LIMIT 1
