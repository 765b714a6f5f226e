// name: white_space_by_segment_region
// answers: White space by segment and region: for each value tier, country and product line, how many active customers hold no active account in the line, as a share of the group; groups smaller than minCustomers are left out.
// param: minCustomers int  smallest tier-and-country group worth reporting, e.g. 10
MATCH (l:ProductLine)
WITH collect(l) AS lines
MATCH (c:Customer {status: 'active'})
CALL (c) {
  OPTIONAL MATCH (c)-[:HOLDS]->(:Holding {status: 'active'})-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(held:ProductLine)
  RETURN collect(DISTINCT held) AS held
}
UNWIND lines AS line
WITH coalesce(c.value_tier, 'unscored') AS tier, coalesce(c.country, '??') AS country, line,
     count(c) AS customers, sum(CASE WHEN line IN held THEN 0 ELSE 1 END) AS lacking
WHERE customers >= $minCustomers
RETURN tier, country, line.id AS line, customers, lacking,
       round(100.0 * lacking / customers, 1) AS pct_white_space
ORDER BY tier, country, pct_white_space DESC, line
