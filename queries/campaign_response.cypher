// name: campaign_response
// answers: How a campaign did: customers contacted, how many responded and converted, and the rates, by contact channel and value tier.
// param: campaignId string  the campaign
// index: Campaign.id (constraint campaign_id_unique)
MATCH (k:Campaign {id: $campaignId})<-[:PART_OF]-(t:Touchpoint)<-[:HAD_TOUCHPOINT]-(c:Customer)
WITH DISTINCT k, c, t.channel AS channel
OPTIONAL MATCH (c)-[:HAD_TOUCHPOINT]->(:Touchpoint)-[resp:RESPONDED_TO]->(k)
WITH channel, coalesce(c.value_tier, 'none') AS tier, c,
     count(resp) > 0 AS responded, any(x IN collect(resp.converted) WHERE x) AS converted
WITH channel, tier, count(c) AS contacted,
     sum(CASE WHEN responded THEN 1 ELSE 0 END) AS responses,
     sum(CASE WHEN converted THEN 1 ELSE 0 END) AS conversions
RETURN channel, tier, contacted, responses, conversions
ORDER BY channel, tier
