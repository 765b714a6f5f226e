// name: shelf_interactions
// answers: Shelf interactions at one store over [from, to): per product (by GTIN), the pick-ups and put-downs its shelves' readers reported (from the hourly ShelfActivity buckets capture keeps; a bucket counts when its hour starts in the window) with the same counts per shelf (and the shelf's master-data name), and the units of that product in purchases made at the store in the window. ckb adds the pick-up-to-purchase conversion: purchased / pickups (none without pick-ups). `product` is a catalogue product ID, or '' for every product.
// param: store string  the store's location ID as written (SGLN URN, GLN Digital Link or ckb ID)
// param: product string  a catalogue product ID, or '' for every product
// param: from string  window start, an ISO date or date-time (inclusive, UTC)
// param: to string  window end, an ISO date or date-time (exclusive, UTC)
// param: storeKey string  the canonical location key (derived by ckb, not typed)
// param: low string  storeKey|from: the first bucket and store-sale key (derived)
// param: high string  storeKey|to: the bucket and store-sale key just past the window (derived)
// index: ShelfActivity.store_bucket (shelf_activity_store_bucket, range)
// index: Purchase.store_sale (purchase_store_sale, range): store|purchased_at, as the buckets' keys
// index: Location.id (constraint location_id_unique): each shelf's name
MATCH (a:ShelfActivity)
WHERE a.store_bucket >= $low AND a.store_bucket < $high
OPTIONAL MATCH (p:Product {gtin: a.gtin})
WITH a, p
WHERE $product = '' OR p.id = $product
WITH a.gtin AS gtin, p, a.shelf AS shelf, sum(a.pickups) AS up, sum(a.putdowns) AS down
OPTIONAL MATCH (place:Location {id: shelf})
WITH gtin, p, shelf, place.name AS name, up, down
ORDER BY shelf
WITH gtin, p, collect({shelf: shelf, name: name, pickups: up, putdowns: down}) AS shelves,
     sum(up) AS pickups, sum(down) AS putdowns
CALL (p) {
  OPTIONAL MATCH (b:Purchase)-[line:INCLUDES]->(p)
  WHERE b.store_sale >= $low AND b.store_sale < $high
  RETURN coalesce(sum(line.quantity), 0) AS purchased
}
RETURN gtin, p.id AS productId, p.name AS productName, pickups, putdowns, purchased, shelves
ORDER BY gtin
