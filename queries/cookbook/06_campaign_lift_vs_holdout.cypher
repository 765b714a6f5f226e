// name: campaign_lift_vs_holdout
// answers: Campaign lift by segment against a holdout: for each campaign and value tier, the share of contacted customers who opened an account in the promoted product line between the campaign's start and windowDays after its end, against the same share among customers of the tier the campaign did not contact (the holdout), and their ratio (the lift).
// param: windowDays int  days after the campaign ends that an opening still counts, e.g. 30
MATCH (k:Campaign)
CALL (k) {
  MATCH (k)-[:PROMOTES]->(:Product|ProductLine)-[:IN_LINE*0..1]->(l:ProductLine)
  RETURN collect(DISTINCT l) AS lines
}
WITH k, lines, date(k.starts_on) AS starts, date(k.ends_on) + duration({days: $windowDays}) AS until
WHERE size(lines) > 0
MATCH (c:Customer)
WHERE c.customer_since IS NULL OR date(c.customer_since) <= starts
WITH k, c,
     EXISTS { (c)-[:HAD_TOUCHPOINT]->(:Touchpoint)-[:PART_OF]->(k) } AS wasContacted,
     EXISTS {
       MATCH (c)-[:HOLDS]->(h:Holding)-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(l:ProductLine)
       WHERE l IN lines AND date(h.opened_on) >= starts AND date(h.opened_on) <= until
     } AS converted
WITH k, coalesce(c.value_tier, 'unscored') AS tier,
     count(CASE WHEN wasContacted THEN 1 END) AS contacted,
     count(CASE WHEN wasContacted AND converted THEN 1 END) AS contactedConverted,
     count(CASE WHEN NOT wasContacted THEN 1 END) AS holdout,
     count(CASE WHEN NOT wasContacted AND converted THEN 1 END) AS holdoutConverted
WHERE contacted > 0
WITH k, tier, contacted, holdout,
     toFloat(contactedConverted) / contacted AS contactedRate,
     CASE holdout WHEN 0 THEN null ELSE toFloat(holdoutConverted) / holdout END AS holdoutRate
RETURN k.id AS campaign, k.name AS name, tier, contacted, holdout,
       round(100 * contactedRate, 2) AS contacted_pct, round(100 * holdoutRate, 2) AS holdout_pct,
       CASE WHEN holdoutRate > 0 THEN round(contactedRate / holdoutRate, 2) END AS lift
ORDER BY campaign, tier
