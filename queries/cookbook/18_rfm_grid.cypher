// name: rfm_grid
// answers: The RFM grid: customers by recency score and frequency score (the first two digits of `ckb segment`'s RFM code, 5 best), with their mean spend in the last year and mean lifetime value — champions top right, customers slipping away bottom right.
MATCH (c:Customer)
WHERE c.rfm IS NOT NULL
WITH substring(c.rfm, 0, 1) AS recency, substring(c.rfm, 1, 1) AS frequency, c
RETURN recency, frequency, count(c) AS customers,
       round(avg(c.monetary), 2) AS mean_spend_last_year,
       round(avg(c.lifetime_value), 2) AS mean_lifetime_value
ORDER BY recency DESC, frequency DESC
