// name: instances_location
// answers: current_location for many tagged items in one call: for each, the business location (ID and master-data name) of its latest event that has one and was not retracted, its own or a container's that held it then, with that event's step and disposition; nothing for an item no event placed. Each answer is keyed by the EPC as written.
// param: epcs list  the items' EPCs as written (URN or GS1 Digital Link; at most 500)
// param: keys list  the canonical key of each, in the same order (derived by ckb, not typed)
// index: ProductInstance.epc (constraint product_instance_epc_unique)
UNWIND range(0, size($epcs) - 1) AS n
WITH DISTINCT $epcs[n] AS forEpc, $keys[n] AS key
MATCH (item:ProductInstance {epc: key})
CALL (item) {
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
  RETURN place, e
  ORDER BY e.event_time DESC, e.event_id DESC
  LIMIT 1
}
RETURN forEpc, place.id AS location, place.name AS name, e.event_time AS since,
       e.biz_step AS bizStep, e.disposition AS disposition, e.event_id AS eventId
ORDER BY forEpc
