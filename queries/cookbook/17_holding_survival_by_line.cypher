// name: holding_survival_by_line
// answers: How long accounts last, per product line: accounts opened, how many are still active, and for the closed ones the mean and median months from opening to closing — which lines customers leave early.
MATCH (h:Holding)-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(l:ProductLine)
WITH l, h,
     CASE WHEN h.closed_on IS NOT NULL AND h.opened_on IS NOT NULL
          THEN duration.inDays(date(h.opened_on), date(h.closed_on)).days / 30.44
     END AS months
RETURN l.id AS line, l.name AS name, count(h) AS accounts,
       count(CASE WHEN h.status = 'active' THEN 1 END) AS active,
       count(months) AS closed,
       round(avg(months), 1) AS mean_months_to_close,
       round(percentileCont(months, 0.5), 1) AS median_months_to_close
ORDER BY mean_months_to_close, line
