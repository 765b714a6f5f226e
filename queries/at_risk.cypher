// name: at_risk
// answers: The most valuable customers at risk in one value tier: churn score at least `minScore`, highest score first, then highest lifetime value; at most `first` (1 to 500). Scores, signal names and tiers are those stored by the last `ckb segment` run (its date is scoredOn), which also stores `risk_key`: tier, score and value as one string that sorts in this order, so the answer is one index range read in order.
// param: tier string  gold, silver or bronze (set by `ckb segment`)
// param: minScore float  lowest churn score to list, 0 to 1
// param: first int  how many, 1 to 500
// param: low string  the tier's first risk key (derived by ckb, not typed)
// param: high string  the risk key just past minScore (derived)
// index: Customer.risk_key (customer_risk_key, range)
MATCH (c:Customer)
WHERE c.risk_key >= $low AND c.risk_key < $high
RETURN c.id AS customerId, c.name AS name, c.churn_score AS churnScore, c.churn_signals AS signals,
       c.lifetime_value AS lifetimeValue, c.scored_on AS scoredOn
ORDER BY c.risk_key, customerId
LIMIT $first
