// name: customer_360
// answers: The unified view of one customer in one call: golden attributes, every source record, household members, holdings across all product lines, the `first` most recent touchpoints, open complaints (up to 50), consents, preferred channels (by use over the 200 most recent touchpoints), and the scores of the last `ckb segment` run: value tier, lifetime value, churn score and signals, RFM. Bounded work whatever the customer's history.
// param: customerId string  the golden customer ID
// param: first int  how many recent touchpoints, 1 to 200
// index: Customer.id (constraint customer_id_unique)
MATCH (c:Customer {id: $customerId})
CALL (c) {
  OPTIONAL MATCH (c)<-[r:RESOLVED_TO]-(s:SourceRecord)
  WITH r, s ORDER BY s.source_system, s.source_record_id
  RETURN collect(CASE WHEN s IS NULL THEN null ELSE {system: s.source_system, recordId: s.source_record_id, rule: r.rule, score: r.score} END) AS sources
}
CALL (c) {
  OPTIONAL MATCH (c)-[:MEMBER_OF]->(h:Household)<-[m:MEMBER_OF]-(p:Customer)
  WITH h, m, p ORDER BY h.id, p.id
  RETURN collect(CASE WHEN p IS NULL THEN null ELSE {householdId: h.id, customerId: p.id, name: p.name, role: m.role, ageBand: m.age_band} END) AS members
}
CALL (c) {
  OPTIONAL MATCH (c)-[held:HOLDS]->(a:Holding)
  OPTIONAL MATCH (a)-[:OF_PRODUCT]->(prod:Product)
  OPTIONAL MATCH (prod)-[:IN_LINE]->(l:ProductLine)
  WITH a, held, prod, l ORDER BY l.id, a.id
  RETURN collect(CASE WHEN a IS NULL THEN null ELSE {accountId: a.id, productId: prod.id, productName: prod.name, line: l.id, status: a.status, role: held.role, openedOn: a.opened_on, closedOn: a.closed_on, balance: a.balance, monthlyValue: a.monthly_value} END) AS holdings
}
CALL (c) {
  OPTIONAL MATCH (c)-[:HAD_TOUCHPOINT]->(t:Touchpoint)
  WITH t ORDER BY t.occurred_at DESC, t.id DESC LIMIT 200
  RETURN collect(t) AS recent
}
CALL (c) {
  OPTIONAL MATCH (c)-[:HAS_CONSENT]->(k:Consent)
  WITH k ORDER BY k.purpose, k.channel
  RETURN collect(CASE WHEN k IS NULL THEN null ELSE {purpose: k.purpose, channel: k.channel, granted: k.granted} END) AS consents
}
CALL (c) {
  OPTIONAL MATCH (c)-[:HAD_TOUCHPOINT]->(o:Touchpoint {kind: 'complaint', resolution_status: 'open'})
  WITH o ORDER BY o.occurred_at DESC, o.id DESC LIMIT 50
  RETURN collect(CASE WHEN o IS NULL THEN null ELSE {id: o.id, occurredAt: o.occurred_at, category: o.category, reason: o.reason} END) AS openComplaints
}
CALL (recent) {
  UNWIND recent AS t
  WITH t.channel AS channel, count(*) AS uses
  ORDER BY uses DESC, channel
  RETURN collect({channel: channel, uses: uses}) AS channels
}
RETURN c {.id, .kind, .name, .birth_date, .email, .phone, .address, .postal_code, .city, .country,
          .customer_since, .status, .value_tier, .lifetime_value, .churn_score, .churn_signals,
          .rfm, .scored_on} AS customer,
       sources, members, holdings,
       [t IN recent[..$first] | {id: t.id, occurredAt: t.occurred_at, channel: t.channel, kind: t.kind,
                                 reason: t.reason, outcome: t.outcome, resolutionStatus: t.resolution_status}] AS touchpoints,
       openComplaints, consents, channels
