// name: contact_frequency
// answers: Are an account owner's customers contacted often enough? For each customer the agent owns, the sales calls and visits in [from, to) against a target count, fewest contacts first.
// param: agentId string  the account owner (Agent.id)
// param: from string  start of the period, ISO 8601 (inclusive)
// param: to string  end of the period, ISO 8601 (exclusive)
// param: target int  contacts each customer should have had in the period, 0 to 1000
// index: Agent.id (constraint agent_id_unique)
MATCH (:Agent {id: $agentId})<-[:OWNED_BY]-(c:Customer)
OPTIONAL MATCH (c)-[:HAD_TOUCHPOINT]->(t:Touchpoint)
WHERE t.kind IN ['sales_call', 'sales_visit'] AND t.occurred_at >= $from AND t.occurred_at < $to
WITH c, count(t) AS contacts
RETURN c.id AS customerId, c.name AS name, c.value_tier AS valueTier, contacts, contacts >= $target AS onTarget
ORDER BY contacts, customerId
