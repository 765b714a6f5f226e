// name: chain_of_custody
// answers: Who held one tagged item over its life: for every event of the item (not retracted) that declares an owning or possessing party as source or destination, the party (ID and master-data name), its role in the transfer and when; oldest first, at most `first` (1 to 1000). The item's events include those of the case, pallet ... holding it at the time, so a pallet's shipment transfers every item on it.
// param: epc string  the item's EPC as written (URN or GS1 Digital Link)
// param: key string  the canonical key ckb stores it under (derived by ckb, not typed)
// param: first int  how many transfers, 1 to 1000
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
CALL (e) {
  MATCH (e)-[s:SOURCE]->(p:Party)
  RETURN p, 'from_' + s.type AS role
  UNION
  MATCH (e)-[d:DESTINATION]->(p:Party)
  RETURN p, 'to_' + d.type AS role
}
RETURN DISTINCT e.event_time AS at, e.event_id AS eventId, e.biz_step AS bizStep,
       p.id AS party, p.name AS name, role
ORDER BY at, eventId, role, party
LIMIT $first
