// name: chain_of_custody
// answers: Who held one tagged item over its life: for every event naming it (not retracted) that declares an owning or possessing party as source or destination, the party, its role in the transfer and when; oldest first, at most `first` (1 to 1000).
// param: epc string  the item's EPC as written (URN or GS1 Digital Link)
// param: key string  the canonical key ckb stores it under (derived by ckb, not typed)
// param: first int  how many transfers, 1 to 1000
// index: ProductInstance.epc (constraint product_instance_epc_unique)
MATCH (:ProductInstance {epc: $key})<-[:OBSERVED]-(e:EpcisEvent)
WHERE coalesce(e.retracted, false) = false
CALL (e) {
  MATCH (e)-[s:SOURCE]->(p:Party)
  RETURN p.id AS party, 'from_' + s.type AS role
  UNION
  MATCH (e)-[d:DESTINATION]->(p:Party)
  RETURN p.id AS party, 'to_' + d.type AS role
}
RETURN DISTINCT e.event_time AS at, e.event_id AS eventId, e.biz_step AS bizStep, party, role
ORDER BY at, eventId, role, party
LIMIT $first
