// name: channel_mix_by_tier
// answers: The channel mix of each value tier: of the touchpoints customers in a tier had since the day `since`, the share on each channel, inbound and outbound apart — where gold customers actually talk to us.
// param: since string  first day counted, ISO 8601, e.g. 2025-01-01
MATCH (c:Customer)-[:HAD_TOUCHPOINT]->(t:Touchpoint)
WHERE t.occurred_at >= $since
WITH coalesce(c.value_tier, 'unscored') AS tier, t.channel AS channel,
     coalesce(t.direction, 'unknown') AS direction, count(t) AS touchpoints
WITH tier, collect({channel: channel, direction: direction, touchpoints: touchpoints}) AS rows,
     sum(touchpoints) AS total
UNWIND rows AS row
RETURN tier, row.channel AS channel, row.direction AS direction, row.touchpoints AS touchpoints,
       round(100.0 * row.touchpoints / total, 1) AS pct_of_tier
ORDER BY tier, pct_of_tier DESC
