// name: at_risk
// answers: The most valuable customers at risk in one value tier: churn score at least `minScore`, highest score first, then highest lifetime value; at most `first` (1 to 500). Scores, signal names and tiers are those stored by the last `ckb segment` run (its date is scoredOn).
// param: tier string  gold, silver or bronze (set by `ckb segment`)
// param: minScore float  lowest churn score to list, 0 to 1
// param: first int  how many, 1 to 500
// index: Customer.value_tier (customer_value_tier)
MATCH (c:Customer)
WHERE c.value_tier = $tier AND c.churn_score >= $minScore
RETURN c.id AS customerId, c.name AS name, c.churn_score AS churnScore, c.churn_signals AS signals,
       c.lifetime_value AS lifetimeValue, c.scored_on AS scoredOn
ORDER BY churnScore DESC, lifetimeValue DESC, customerId
LIMIT $first
