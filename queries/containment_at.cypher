// name: containment_at
// answers: What held one tagged item at a moment: the case it was packed in, the pallet holding that case, the truck holding the pallet... up to 4 levels, from aggregation events (ADD starts containment, DELETE ends it), nearest container first. The time is an ISO date-time, compared in UTC.
// param: epc string  the item's EPC as written (URN or GS1 Digital Link)
// param: key string  the canonical key ckb stores it under (derived by ckb, not typed)
// param: at string  the moment, ISO 8601 (derived in UTC by ckb from what was typed)
// index: ProductInstance.epc (constraint product_instance_epc_unique)
MATCH path = (:ProductInstance {epc: $key})<-[links:CONTAINS*1..4]-(container:ProductInstance)
WHERE all(c IN links WHERE c.since <= $at AND (c.until IS NULL OR c.until > $at))
RETURN container.epc AS container, length(path) AS level, last(links).since AS since
ORDER BY level, container
