// name: product_journey
// answers: The life of one tagged item: every EPCIS event that names it (as the item itself, a parent, child, input or output), and every event that names a container (case, pallet, truck ... up to 4 levels) while that container held the item - the transport legs it travelled packed - each once, through its nearest container (role is then the container's, container names it); oldest first, with business step, disposition, where it was read and where it was after the event (IDs and master-data names), and whether the event was retracted by an error declaration; at most `first` (1 to 1000). The EPC may be written as a URN or a Digital Link.
// param: epc string  the item's EPC as written (URN or GS1 Digital Link)
// param: key string  the canonical key ckb stores it under (derived by ckb, not typed)
// param: first int  how many events, 1 to 1000
// index: ProductInstance.epc (constraint product_instance_epc_unique)
MATCH (item:ProductInstance {epc: $key})
CALL (item) {
  MATCH (item)<-[o:OBSERVED]-(e:EpcisEvent)
  RETURN e, o.role AS role, null AS container
  UNION
  MATCH (item)<-[links:CONTAINS*1..4]-(c:ProductInstance)<-[o:OBSERVED]-(e:EpcisEvent)
  WHERE all(l IN links WHERE l.since <= e.event_time AND (l.until IS NULL OR l.until > e.event_time))
    AND NOT EXISTS { (e)-[:OBSERVED]->(item) }
  WITH e, c, o, size(links) AS level
  ORDER BY level, c.epc, o.role
  WITH e, collect({container: c.epc, role: o.role})[0] AS nearest
  RETURN e, nearest.role AS role, nearest.container AS container
}
OPTIONAL MATCH (e)-[:AT]->(place:Location)
OPTIONAL MATCH (e)-[:READ_AT]->(reader:Location)
RETURN e.event_id AS eventId, e.event_type AS eventType, e.event_time AS eventTime,
       e.action AS action, e.biz_step AS bizStep, e.disposition AS disposition, role, container,
       place.id AS bizLocation, place.name AS bizLocationName, reader.id AS readPoint,
       reader.name AS readPointName, coalesce(e.retracted, false) AS retracted
ORDER BY eventTime, eventId, role
LIMIT $first
