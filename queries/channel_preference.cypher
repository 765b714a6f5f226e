// name: channel_preference
// answers: How one customer uses and answers each channel in a period: contacts they started (inbound), contacts we made (outbound), campaign contacts and how many of those campaigns they responded to. ckb names the preferred channel by use (most inbound) and by response (best response rate).
// param: customerId string  the golden customer ID
// param: from string  period start, an ISO date or time (inclusive)
// param: to string  period end, an ISO date or time (exclusive)
// index: Customer.id (constraint customer_id_unique)
MATCH (c:Customer {id: $customerId})-[:HAD_TOUCHPOINT]->(t:Touchpoint)
WHERE t.occurred_at >= $from AND t.occurred_at < $to
OPTIONAL MATCH (t)-[:PART_OF]->(k:Campaign)
WITH c, t, k,
     k IS NOT NULL AND EXISTS { (c)-[:HAD_TOUCHPOINT]->(:Touchpoint)-[:RESPONDED_TO]->(k) } AS answered
RETURN t.channel AS channel,
       count(CASE WHEN t.direction = 'inbound' THEN 1 END) AS inbound,
       count(CASE WHEN t.direction = 'outbound' THEN 1 END) AS outbound,
       count(k) AS campaignContacts,
       count(CASE WHEN answered THEN 1 END) AS responses
ORDER BY channel
