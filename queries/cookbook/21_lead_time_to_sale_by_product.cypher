// name: lead_time_to_sale_by_product
// answers: How long items take from first sight in the supply chain to a customer: for each product (GTIN), the tagged items sold, and the mean and median days from an item's first EPCIS event to its sale.
MATCH (i:ProductInstance)-[s:SOLD_TO]->(:Customer)
WHERE s.sold_at IS NOT NULL
CALL (i) {
  MATCH (i)<-[:OBSERVED]-(e:EpcisEvent)
  WHERE coalesce(e.retracted, false) = false
  RETURN min(datetime(e.event_time)) AS firstSeen
}
WITH i, duration.inSeconds(firstSeen, datetime(s.sold_at)).seconds / 86400.0 AS days
WHERE days IS NOT NULL
OPTIONAL MATCH (i)-[:INSTANCE_OF]->(product:Product)
RETURN i.gtin AS gtin, product.name AS product, count(i) AS sold,
       round(avg(days), 1) AS mean_days, round(percentileCont(days, 0.5), 1) AS median_days
ORDER BY mean_days DESC, gtin
