// name: churn_risk
// answers: One customer's churn early-warning as of a date: the inputs every signal reads (holdings active then and closed in the 180 days before, complaints in the last 90 days, complaints open then and older than 14 days, competitor or switching inquiries in the last 60 days, customer-initiated contacts in the last 90 days and the 270 before). ckb turns them into named signals with evidence and a score (scoring/churn.py, docs/queries.md).
// param: customerId string  the golden customer ID
// param: asOf string  the date to assess at, YYYY-MM-DD (its whole day counts)
// param: until string  the day after asOf (derived by ckb, not typed)
// param: since60 string  asOf minus 59 days (derived)
// param: since90 string  asOf minus 89 days (derived)
// param: since180 string  asOf minus 179 days (derived)
// param: since360 string  asOf minus 359 days (derived)
// param: openBefore string  asOf minus 13 days: complaints open since before it count (derived)
// param: competitorReasons list  touchpoint reasons that mean a competitor inquiry (derived)
// param: competitorCategories list  touchpoint categories that mean switching (derived)
// index: Customer.id (constraint customer_id_unique)
MATCH (c:Customer {id: $customerId})
CALL (c) {
  OPTIONAL MATCH (c)-[:HOLDS]->(a:Holding)
  WHERE a.opened_on IS NULL OR a.opened_on < $until
  WITH a, CASE
            WHEN a IS NULL THEN false
            WHEN a.closed_on IS NOT NULL THEN a.closed_on >= $until
            ELSE coalesce(a.status = 'active', false)
          END AS active
  RETURN count(a) AS holdings,
         count(CASE WHEN active THEN 1 END) AS activeHoldings,
         collect(CASE WHEN a.closed_on >= $since180 AND a.closed_on < $until THEN a.id END) AS closedRecently
}
CALL (c) {
  OPTIONAL MATCH (c)-[:HAD_TOUCHPOINT]->(t:Touchpoint)
  WHERE t.occurred_at < $until
  WITH t,
       t.kind = 'complaint' AND t.occurred_at < $openBefore
         AND (t.resolution_status = 'open' OR t.resolved_at >= $until) AS stillOpen,
       t.occurred_at >= $since60
         AND (t.reason IN $competitorReasons OR t.category IN $competitorCategories) AS competitor
  RETURN count(CASE WHEN t.kind = 'complaint' AND t.occurred_at >= $since90 THEN 1 END) AS complaints,
         count(CASE WHEN stillOpen THEN 1 END) AS openComplaints,
         min(CASE WHEN stillOpen THEN t.occurred_at END) AS oldestOpenComplaint,
         count(CASE WHEN competitor THEN 1 END) AS competitorInquiries,
         max(CASE WHEN competitor THEN t.occurred_at END) AS lastCompetitorInquiry,
         count(CASE WHEN t.direction = 'inbound' AND t.occurred_at >= $since90 THEN 1 END) AS inboundRecent,
         count(CASE WHEN t.direction = 'inbound' AND t.occurred_at < $since90
                     AND t.occurred_at >= $since360 THEN 1 END) AS inboundPrior
}
RETURN c.id AS customerId, $asOf AS asOf, holdings, activeHoldings, closedRecently, complaints,
       openComplaints, oldestOpenComplaint, competitorInquiries, lastCompetitorInquiry,
       inboundRecent, inboundPrior
