// name: household_value_concentration
// answers: Households whose value hangs on one member: households of two or more members where the most valuable member carries at least minShare of the household's combined lifetime value — losing that one customer loses most of the household.
// param: minShare float  the top member's share of household value, 0 to 1, e.g. 0.8
MATCH (hh:Household)<-[:MEMBER_OF]-(c:Customer)
WITH hh, c
ORDER BY coalesce(c.lifetime_value, 0.0) DESC
WITH hh, collect(c) AS members, sum(coalesce(c.lifetime_value, 0.0)) AS total
WHERE size(members) >= 2 AND total > 0
WITH hh, total, size(members) AS memberCount, members[0] AS top
WITH hh, total, memberCount, top, coalesce(top.lifetime_value, 0.0) / total AS share
WHERE share >= $minShare
RETURN hh.id AS household, memberCount AS members, round(total, 2) AS household_value, top.id AS top_member,
       top.name AS name, top.value_tier AS tier, round(top.churn_score, 2) AS top_churn_score,
       round(100 * share, 1) AS pct_of_value
ORDER BY household_value DESC, household
LIMIT 100
