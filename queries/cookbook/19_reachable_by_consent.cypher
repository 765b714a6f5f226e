// name: reachable_by_consent
// answers: Whom may we contact, and how? For each consent purpose and channel: the active customers with a granted, not withdrawn consent, as a share of all active customers.
MATCH (c:Customer {status: 'active'})
WITH count(c) AS active
MATCH (c:Customer {status: 'active'})-[:HAS_CONSENT]->(k:Consent)
WHERE k.granted = true AND k.withdrawn_at IS NULL
WITH active, k.purpose AS purpose, coalesce(k.channel, 'any') AS channel, count(DISTINCT c) AS customers
RETURN purpose, channel, customers, round(100.0 * customers / active, 1) AS pct_of_active
ORDER BY purpose, pct_of_active DESC
