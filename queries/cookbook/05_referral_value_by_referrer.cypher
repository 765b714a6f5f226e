// name: referral_value_by_referrer
// answers: What referrals are worth per referrer: customers brought in directly and within three referral steps, their combined lifetime value and how many of them are gold, beside the referrer's own value. At most `first` referrers, most valuable networks first.
// param: first int  how many referrers, e.g. 25
MATCH (referrer:Customer)
WHERE EXISTS { (referrer)-[r:RELATED_TO WHERE r.kind = 'referral']->(:Customer) }
CALL (referrer) {
  MATCH (referrer)(()-[r:RELATED_TO WHERE r.kind = 'referral']->()){1,3}(n:Customer)
  WHERE n <> referrer
  WITH DISTINCT n
  RETURN count(n) AS reached,
         sum(coalesce(n.lifetime_value, 0.0)) AS reached_value,
         count(CASE WHEN n.value_tier = 'gold' THEN 1 END) AS reached_gold
}
RETURN referrer.id AS referrer, referrer.name AS name, referrer.value_tier AS tier,
       round(coalesce(referrer.lifetime_value, 0.0), 2) AS own_value,
       COUNT { (referrer)-[r:RELATED_TO WHERE r.kind = 'referral']->(:Customer) } AS direct,
       reached, round(reached_value, 2) AS reached_value, reached_gold
ORDER BY reached_value DESC, referrer
LIMIT $first
