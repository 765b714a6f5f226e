// name: campaigns_response
// answers: campaign_response for many campaigns in one call: for each, customers contacted, how many responded and converted, by contact channel and value tier.
// param: campaignIds list  campaign IDs (at most 500)
// index: Campaign.id (constraint campaign_id_unique)
UNWIND $campaignIds AS forCampaign
WITH DISTINCT forCampaign
MATCH (k:Campaign {id: forCampaign})
CALL (k) {
  MATCH (k)<-[:PART_OF]-(t:Touchpoint)<-[:HAD_TOUCHPOINT]-(c:Customer)
  WITH DISTINCT k, c, t.channel AS channel
  OPTIONAL MATCH (c)-[:HAD_TOUCHPOINT]->(:Touchpoint)-[resp:RESPONDED_TO]->(k)
  WITH channel, coalesce(c.value_tier, 'none') AS tier, c,
       count(resp) > 0 AS responded, any(x IN collect(resp.converted) WHERE x) AS converted
  RETURN channel, tier, count(c) AS contacted,
         sum(CASE WHEN responded THEN 1 ELSE 0 END) AS responses,
         sum(CASE WHEN converted THEN 1 ELSE 0 END) AS conversions
}
RETURN forCampaign, channel, tier, contacted, responses, conversions
ORDER BY forCampaign, channel, tier
