// name: shelf_interactions
// answers: Shelf interactions at one store over [from, to): per product (by GTIN), the pick-ups and put-downs its shelves' readers reported (from the counts capture keeps: an hour counts when it starts in the window; whole days are read from the daily ShelfDay buckets, the hours around them from the hourly ShelfActivity ones) with the same counts per shelf (and the shelf's master-data name), and the units of that product in purchases made at the store in the window (whole days from the daily StoreSalesDay rows the purchase loader keeps, the purchases around them one by one). ckb adds the pick-up-to-purchase conversion: purchased / pickups (none without pick-ups). `product` is a catalogue product ID, or '' for every product.
// param: store string  the store's location ID as written (SGLN URN, GLN Digital Link or ckb ID)
// param: product string  a catalogue product ID, or '' for every product
// param: from string  window start, an ISO date or date-time (inclusive, UTC)
// param: to string  window end, an ISO date or date-time (exclusive, UTC)
// param: storeKey string  the canonical location key (derived by ckb, not typed)
// param: low string  storeKey|from: the first bucket and store-sale key (derived)
// param: high string  storeKey|to: the bucket and store-sale key just past the window (derived)
// param: headHigh string  storeKey|first whole day: the hours before it are read hourly (derived)
// param: dayLow string  storeKey|first whole day (derived; = high when no day is whole)
// param: dayHigh string  storeKey|day after the last whole day (derived)
// param: tailLow string  storeKey|day after the last whole day: the hours from it are read hourly (derived)
// param: saleDayLow string  storeKey|first day whose every purchase is in the window (derived; = high when none)
// param: saleDayHigh string  storeKey|day after the last such day: purchases before and after these days are read one by one (derived)
// index: StoreSalesDay.store_day (store_sales_day_store_day, range): the whole days' units per product
// index: ShelfActivity.store_bucket (shelf_activity_store_bucket, range)
// index: ShelfDay.store_day (shelf_day_store_day, range)
// index: Purchase.store_sale (purchase_store_sale, range): store|purchased_at, as the buckets' keys
// index: Location.id (constraint location_id_unique): each shelf's name
CALL () {
  MATCH (a:ShelfActivity)
  WHERE a.store_bucket >= $low AND a.store_bucket < $headHigh
  RETURN a.gtin AS gtin, a.shelf AS shelf, a.pickups AS pickups, a.putdowns AS putdowns
  UNION ALL
  MATCH (d:ShelfDay)
  WHERE d.store_day >= $dayLow AND d.store_day < $dayHigh
  RETURN d.gtin AS gtin, d.shelf AS shelf, d.pickups AS pickups, d.putdowns AS putdowns
  UNION ALL
  MATCH (a:ShelfActivity)
  WHERE a.store_bucket >= $tailLow AND a.store_bucket < $high
  RETURN a.gtin AS gtin, a.shelf AS shelf, a.pickups AS pickups, a.putdowns AS putdowns
}
OPTIONAL MATCH (p:Product {gtin: gtin})
WITH gtin, shelf, pickups, putdowns, p
WHERE $product = '' OR p.id = $product
WITH gtin, p, shelf, sum(pickups) AS up, sum(putdowns) AS down
OPTIONAL MATCH (place:Location {id: shelf})
WITH gtin, p, shelf, place.name AS name, up, down
ORDER BY shelf
WITH gtin, p, collect({shelf: shelf, name: name, pickups: up, putdowns: down}) AS shelves,
     sum(up) AS pickups, sum(down) AS putdowns
// A store written before the daily roll-up (store purchases, no StoreSalesDay) is read
// from its purchases alone, as epcis/store_sales.py's kept() tells the embedded store.
WITH gtin, p, shelves, pickups, putdowns,
     EXISTS { MATCH (:StoreSalesDay) } OR NOT EXISTS {
       MATCH (b:Purchase) WHERE b.store_sale >= '' } AS kept
WITH gtin, p, shelves, pickups, putdowns,
     CASE WHEN kept THEN $saleDayLow ELSE $high END AS dayLow,
     CASE WHEN kept THEN $saleDayHigh ELSE $high END AS dayHigh
CALL (p, dayLow, dayHigh) {
  OPTIONAL MATCH (d:StoreSalesDay)
  WHERE d.store_day >= dayLow AND d.store_day < dayHigh AND d.product = p.id
  RETURN coalesce(sum(d.units), 0) AS units
  UNION ALL
  OPTIONAL MATCH (b:Purchase)-[line:INCLUDES]->(p)
  WHERE b.store_sale >= $low AND b.store_sale < dayLow
  RETURN coalesce(sum(line.quantity), 0) AS units
  UNION ALL
  OPTIONAL MATCH (b:Purchase)-[line:INCLUDES]->(p)
  WHERE b.store_sale >= dayHigh AND b.store_sale < $high
  RETURN coalesce(sum(line.quantity), 0) AS units
}
WITH gtin, p, shelves, pickups, putdowns, sum(units) AS purchased
RETURN gtin, p.id AS productId, p.name AS productName, pickups, putdowns, purchased, shelves
ORDER BY gtin
