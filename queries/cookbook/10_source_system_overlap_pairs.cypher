// name: source_system_overlap_pairs
// answers: How much two source systems overlap: for every pair of systems, the golden customers both hold a record of, as a share of each system's customers and as their Jaccard index (shared / known to either).
MATCH (c:Customer)<-[:RESOLVED_TO]-(s:SourceRecord)
WITH c, collect(DISTINCT s.source_system) AS systems
UNWIND systems AS a
UNWIND systems AS b
WITH a, b, count(c) AS shared
WITH collect({a: a, b: b, shared: shared}) AS cells
UNWIND cells AS cell
WITH cell, [x IN cells WHERE x.a = cell.a AND x.b = cell.a][0].shared AS ofA,
           [x IN cells WHERE x.a = cell.b AND x.b = cell.b][0].shared AS ofB
WHERE cell.a < cell.b
RETURN cell.a AS system, cell.b AS other_system, cell.shared AS shared_customers,
       round(100.0 * cell.shared / ofA, 1) AS pct_of_system, round(100.0 * cell.shared / ofB, 1) AS pct_of_other,
       round(toFloat(cell.shared) / (ofA + ofB - cell.shared), 3) AS jaccard
ORDER BY jaccard DESC, system, other_system
