// name: product_journey
// answers: The life of one tagged item: every EPCIS event that names it (as the item itself, a parent, child, input or output), oldest first, with business step, disposition, where it was read and where it was after the event, and whether the event was retracted by an error declaration; at most `first` (1 to 1000). The EPC may be written as a URN or a Digital Link.
// param: epc string  the item's EPC as written (URN or GS1 Digital Link)
// param: key string  the canonical key ckb stores it under (derived by ckb, not typed)
// param: first int  how many events, 1 to 1000
// index: ProductInstance.epc (constraint product_instance_epc_unique)
MATCH (:ProductInstance {epc: $key})<-[o:OBSERVED]-(e:EpcisEvent)
OPTIONAL MATCH (e)-[:AT]->(place:Location)
OPTIONAL MATCH (e)-[:READ_AT]->(reader:Location)
RETURN e.event_id AS eventId, e.event_type AS eventType, e.event_time AS eventTime,
       e.action AS action, e.biz_step AS bizStep, e.disposition AS disposition, o.role AS role,
       place.id AS bizLocation, reader.id AS readPoint, coalesce(e.retracted, false) AS retracted
ORDER BY eventTime, eventId, role
LIMIT $first
