// name: instances_custody
// answers: chain_of_custody for many tagged items in one call: for each, every owning or possessing party named as source or destination by a live event of the item (its own or a container's that held it then), its role in the transfer and when; oldest first, at most `first` (1 to 1000) each. Each answer is keyed by the EPC as written.
// param: epcs list  the items' EPCs as written (URN or GS1 Digital Link; at most 500)
// param: keys list  the canonical key of each, in the same order (derived by ckb, not typed)
// param: first int  how many transfers per item, 1 to 1000
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
  CALL (e) {
    MATCH (e)-[s:SOURCE]->(p:Party)
    RETURN p, 'from_' + s.type AS role
    UNION
    MATCH (e)-[d:DESTINATION]->(p:Party)
    RETURN p, 'to_' + d.type AS role
  }
  WITH DISTINCT e.event_time AS at, e.event_id AS eventId, e.biz_step AS bizStep,
       p.id AS party, p.name AS name, role
  RETURN at, eventId, bizStep, party, name, role
  ORDER BY at, eventId, role, party
  LIMIT $first
}
RETURN forEpc, at, eventId, bizStep, party, name, role
ORDER BY forEpc, at, eventId, role, party
