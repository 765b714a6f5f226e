// name: end_of_life
// answers: Whether one tagged item's life has ended, and how: the latest of its events (not retracted) whose step or disposition says so - destroyed (step destroying or disposition destroyed), recycled (step disassembling or collecting, or disposition disposed), decommissioned (step decommissioning) or returned (disposition returned, only while that is its latest event: a restocked return is back in use). Nothing while the item is in use.
// param: epc string  the item's EPC as written (URN or GS1 Digital Link)
// param: key string  the canonical key ckb stores it under (derived by ckb, not typed)
// index: ProductInstance.epc (constraint product_instance_epc_unique)
MATCH (i:ProductInstance {epc: $key})<-[:OBSERVED]-(e:EpcisEvent)
WHERE coalesce(e.retracted, false) = false
WITH DISTINCT i, e
WITH i, e, CASE
             WHEN e.biz_step = 'destroying' OR e.disposition = 'destroyed' THEN 'destroyed'
             WHEN e.biz_step IN ['disassembling', 'collecting'] OR e.disposition = 'disposed' THEN 'recycled'
             WHEN e.biz_step = 'decommissioning' THEN 'decommissioned'
             WHEN e.disposition = 'returned' THEN 'returned'
           END AS status
ORDER BY e.event_time DESC, e.event_id DESC
WITH i, collect({event: e, status: status}) AS events
WITH i, events[0].event AS latest, [x IN events WHERE x.status IS NOT NULL][0] AS ended
WHERE ended IS NOT NULL AND (ended.status <> 'returned' OR ended.event = latest)
RETURN i.epc AS epc, ended.status AS status, ended.event.event_time AS at,
       ended.event.event_id AS eventId, ended.event.biz_step AS bizStep,
       ended.event.disposition AS disposition
