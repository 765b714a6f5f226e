// name: customers_touchpoints
// answers: customer_touchpoints for a page of customers in one call: each customer's most recent touchpoints on every channel (or one channel), newest first, with who handled them; at most `first` (1 to 500) each.
// param: customerIds list  golden customer IDs (at most 500)
// param: channel string  a channel such as call_center, or '' for every channel
// param: first int  how many per customer, 1 to 500
// param: beforeTime string  paging: the occurredAt of the last touchpoint already read, or '' (derived by ckb from a cursor)
// param: beforeId string  paging: the id of that touchpoint, or '' for the first page
// index: Customer.id (constraint customer_id_unique)
UNWIND $customerIds AS forCustomer
WITH DISTINCT forCustomer
MATCH (c:Customer {id: forCustomer})
CALL (c) {
  MATCH (c)-[:HAD_TOUCHPOINT]->(t:Touchpoint)
  WHERE ($channel = '' OR t.channel = $channel)
    AND ($beforeId = ''
         OR coalesce(t.occurred_at, '') < $beforeTime
         OR (coalesce(t.occurred_at, '') = $beforeTime AND t.id < $beforeId))
  WITH t
  ORDER BY t.occurred_at DESC, t.id DESC
  LIMIT $first
  OPTIONAL MATCH (t)-[:HANDLED_BY]->(agent:Agent)
  RETURN t, agent
}
RETURN forCustomer, t.id AS id, t.occurred_at AS occurredAt, t.channel AS channel, t.kind AS kind,
       t.reason AS reason, t.outcome AS outcome, t.resolution_status AS resolutionStatus,
       agent.id AS agentId
ORDER BY forCustomer, occurredAt DESC, id DESC
