// name: sales_coverage_by_tier
// answers: Are sales calls and visits enough? Per value tier: customers, how many have an account owner, the mean sales calls and visits per owned customer since the day `since`, and how many owned customers had none.
// param: since string  first day counted, ISO 8601, e.g. 2025-01-01
MATCH (c:Customer {status: 'active'})
WITH c, EXISTS { (c)-[:OWNED_BY]->(:Agent) } AS isOwned,
     COUNT {
       (c)-[:HAD_TOUCHPOINT]->(t:Touchpoint)
       WHERE t.kind IN ['sales_call', 'sales_visit'] AND t.occurred_at >= $since
     } AS contacts
WITH coalesce(c.value_tier, 'unscored') AS tier, count(c) AS customers,
     count(CASE WHEN isOwned THEN 1 END) AS owned,
     sum(CASE WHEN isOwned THEN contacts ELSE 0 END) AS ownedContacts,
     count(CASE WHEN isOwned AND contacts = 0 THEN 1 END) AS uncontacted
RETURN tier, customers, owned,
       CASE owned WHEN 0 THEN null ELSE round(toFloat(ownedContacts) / owned, 1) END AS mean_contacts,
       uncontacted AS owned_but_not_contacted
ORDER BY tier
