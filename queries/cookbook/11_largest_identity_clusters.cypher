// name: largest_identity_clusters
// answers: The largest identity clusters and their weakest link: golden customers resolved from at least minRecords source records, with the systems and matching rules involved and the lowest match score among their records — where an over-merge would hide.
// param: minRecords int  smallest cluster to list, e.g. 4
MATCH (c:Customer)<-[r:RESOLVED_TO]-(s:SourceRecord)
WITH c, count(s) AS records, collect(DISTINCT s.source_system) AS systems,
     collect(DISTINCT r.rule) AS rules, min(r.score) AS weakest
WHERE records >= $minRecords
RETURN c.id AS customer, c.name AS name, records, systems, rules, weakest,
       COUNT { (c)<-[m:MERGED WHERE m.role = 'survivor']-(:MergeEvent) } AS merges
ORDER BY records DESC, weakest, customer
LIMIT 50
