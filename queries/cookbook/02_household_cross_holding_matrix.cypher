// name: household_cross_holding_matrix
// answers: The cross-holding matrix by household: for every pair of product lines, how many households hold both (any member, active accounts), and what share of the households holding the first line also hold the second. The diagonal is the households holding the line at all.
MATCH (hh:Household)<-[:MEMBER_OF]-(:Customer)-[:HOLDS]->(:Holding {status: 'active'})-[:OF_PRODUCT]->(:Product)-[:IN_LINE]->(l:ProductLine)
WITH hh, collect(DISTINCT l.id) AS lines
UNWIND lines AS line
UNWIND lines AS alsoLine
WITH line, alsoLine, count(hh) AS households
WITH line, collect({alsoLine: alsoLine, households: households}) AS cells
WITH line, cells, [cell IN cells WHERE cell.alsoLine = line][0].households AS holders
UNWIND cells AS cell
RETURN line, cell.alsoLine AS also_line, cell.households AS households,
       round(100.0 * cell.households / holders, 1) AS pct_of_line_households
ORDER BY line, also_line
