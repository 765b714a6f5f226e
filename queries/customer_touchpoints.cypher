// name: customer_touchpoints
// answers: A customer's most recent touchpoints on every channel (or one channel), newest first, with what they were about and who handled them; at most `first` (1 to 500).
// param: customerId string  the golden customer ID
// param: channel string  a channel such as call_center, or '' for every channel
// param: first int  how many, 1 to 500
// param: beforeTime string  paging: the occurredAt of the last touchpoint of the previous page, or '' (derived by ckb from a cursor)
// param: beforeId string  paging: the id of that touchpoint, or '' for the first page
// index: Customer.id (constraint customer_id_unique)
MATCH (:Customer {id: $customerId})-[:HAD_TOUCHPOINT]->(t:Touchpoint)
WHERE ($channel = '' OR t.channel = $channel)
  AND ($beforeId = ''
       OR coalesce(t.occurred_at, '') < $beforeTime
       OR (coalesce(t.occurred_at, '') = $beforeTime AND t.id < $beforeId))
WITH t
ORDER BY t.occurred_at DESC, t.id DESC
LIMIT $first
OPTIONAL MATCH (t)-[:HANDLED_BY]->(agent:Agent)
RETURN t.id AS id, t.occurred_at AS occurredAt, t.channel AS channel, t.kind AS kind,
       t.reason AS reason, t.outcome AS outcome, t.resolution_status AS resolutionStatus,
       agent.id AS agentId
ORDER BY occurredAt DESC, id DESC
