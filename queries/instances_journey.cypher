// name: instances_journey
// answers: product_journey for many tagged items in one call: for each, every EPCIS event that names it and every event that names a container while it held the item (through the nearest container), oldest first, with step, disposition, where it was read and where it was after (IDs and master-data names) and whether it was retracted; at most `first` (1 to 1000) each. Each answer is keyed by the EPC as written.
// param: epcs list  the items' EPCs as written (URN or GS1 Digital Link; at most 500)
// param: keys list  the canonical key of each, in the same order (derived by ckb, not typed)
// param: first int  how many events per item, 1 to 1000
// index: ProductInstance.epc (constraint product_instance_epc_unique)
UNWIND range(0, size($epcs) - 1) AS n
WITH DISTINCT $epcs[n] AS forEpc, $keys[n] AS key
MATCH (item:ProductInstance {epc: key})
CALL (item) {
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
}
RETURN forEpc, eventId, eventType, eventTime, action, bizStep, disposition, role, container,
       bizLocation, bizLocationName, readPoint, readPointName, retracted
ORDER BY forEpc, eventTime, eventId, role
