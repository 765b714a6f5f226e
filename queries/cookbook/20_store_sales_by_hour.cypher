// name: store_sales_by_hour
// answers: When stores sell: for each store, purchases and revenue (the sum of purchase lines) by hour of the day (UTC) — staffing and shelf refills by the clock.
MATCH (p:Purchase)-[:AT]->(store:Location)
WITH store, p, datetime(p.purchased_at).hour AS hour
CALL (p) {
  OPTIONAL MATCH (p)-[line:INCLUDES]->(:Product)
  RETURN sum(coalesce(line.amount, 0.0)) AS amount
}
RETURN store.id AS store, store.name AS name, hour, count(p) AS purchases, round(sum(amount), 2) AS revenue
ORDER BY store, hour
