// name: current_location
// answers: Where one tagged item is now: the business location of its latest event that has one and was not retracted (EPCIS: an item stays at an event's bizLocation until a later event says otherwise), with that event's step and disposition. Nothing when no event placed it.
// param: epc string  the item's EPC as written (URN or GS1 Digital Link)
// param: key string  the canonical key ckb stores it under (derived by ckb, not typed)
// index: ProductInstance.epc (constraint product_instance_epc_unique)
MATCH (:ProductInstance {epc: $key})<-[:OBSERVED]-(e:EpcisEvent)-[:AT]->(place:Location)
WHERE coalesce(e.retracted, false) = false
RETURN place.id AS location, place.name AS name, e.event_time AS since, e.biz_step AS bizStep,
       e.disposition AS disposition, e.event_id AS eventId
ORDER BY since DESC, eventId DESC
LIMIT 1
