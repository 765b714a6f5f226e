// name: gold_routing_by_agent_tier
// answers: Are gold customers routed to the best agents? For each agent skill tier and team: the agents, the touchpoints they handled, the share of those with gold customers, and the share of their complaints resolved.
MATCH (a:Agent)<-[:HANDLED_BY]-(t:Touchpoint)<-[:HAD_TOUCHPOINT]-(c:Customer)
WITH a, count(t) AS handled,
     count(CASE WHEN c.value_tier = 'gold' THEN 1 END) AS gold,
     count(CASE WHEN t.kind = 'complaint' THEN 1 END) AS complaints,
     count(CASE WHEN t.kind = 'complaint' AND t.resolution_status = 'resolved' THEN 1 END) AS resolved
WITH coalesce(a.skill_tier, 'unknown') AS skill_tier, coalesce(a.team, 'unknown') AS team,
     count(a) AS agents, sum(handled) AS handled, sum(gold) AS gold,
     sum(complaints) AS complaints, sum(resolved) AS resolved
RETURN skill_tier, team, agents, handled, round(100.0 * gold / handled, 1) AS pct_gold,
       complaints,
       CASE complaints WHEN 0 THEN null ELSE round(100.0 * resolved / complaints, 1) END AS pct_resolved
ORDER BY skill_tier, team
