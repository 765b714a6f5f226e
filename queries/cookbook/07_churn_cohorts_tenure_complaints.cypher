// name: churn_cohorts_tenure_complaints
// answers: Churn cohorts by tenure and complaint history: customers grouped by how long they have been customers (as of asOf) and how many complaints they made in the year before asOf, with how many of each group have churned and the churn rate.
// param: asOf string  the day to measure from, ISO 8601, e.g. 2026-12-01
WITH date($asOf) AS asOf
WITH asOf, toString(asOf - duration({years: 1})) AS yearBefore
MATCH (c:Customer)
WHERE c.customer_since IS NOT NULL AND c.status IN ['active', 'churned']
WITH c, duration.between(date(c.customer_since), asOf).years AS years,
     COUNT {
       (c)-[:HAD_TOUCHPOINT]->(t:Touchpoint {kind: 'complaint'})
       WHERE t.occurred_at >= yearBefore
     } AS complaints
WITH c,
     CASE WHEN years < 1 THEN '0-1 y' WHEN years < 2 THEN '1-2 y' WHEN years < 5 THEN '2-5 y'
          ELSE '5+ y' END AS tenure,
     CASE WHEN complaints = 0 THEN '0' WHEN complaints = 1 THEN '1' WHEN complaints <= 3 THEN '2-3'
          ELSE '4+' END AS complaints_last_year
WITH tenure, complaints_last_year, count(c) AS customers,
     count(CASE WHEN c.status = 'churned' THEN 1 END) AS churned
RETURN tenure, complaints_last_year, customers, churned,
       round(100.0 * churned / customers, 1) AS churn_pct
ORDER BY tenure, complaints_last_year
