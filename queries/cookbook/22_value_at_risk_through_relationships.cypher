// name: value_at_risk_through_relationships
// answers: Value at risk through relationships: customers whose churn score is at least minScore, with the lifetime value of the customers tied to them (family, referral, employer, co-signer, either direction) and of their household — the value that may follow them out. At most 50, most value at risk first.
// param: minScore float  churn score from which a customer counts as at risk, 0 to 1, e.g. 0.5
MATCH (c:Customer)
WHERE c.churn_score >= $minScore
CALL (c) {
  OPTIONAL MATCH (c)-[:RELATED_TO]-(other:Customer)
  WITH DISTINCT other
  RETURN count(other) AS related, sum(coalesce(other.lifetime_value, 0.0)) AS relatedValue
}
CALL (c) {
  OPTIONAL MATCH (c)-[:MEMBER_OF]->(:Household)<-[:MEMBER_OF]-(member:Customer)
  WHERE member <> c
  WITH DISTINCT member
  RETURN sum(coalesce(member.lifetime_value, 0.0)) AS householdValue
}
RETURN c.id AS customer, c.name AS name, c.value_tier AS tier, round(c.churn_score, 2) AS churn_score,
       c.churn_signals AS signals, round(coalesce(c.lifetime_value, 0.0), 2) AS own_value,
       related, round(relatedValue, 2) AS related_value, round(householdValue, 2) AS household_value,
       round(coalesce(c.lifetime_value, 0.0) + relatedValue + householdValue, 2) AS value_at_risk
ORDER BY value_at_risk DESC, customer
LIMIT 50
