// name: identity_clusters_by_source_overlap
// answers: Identity clusters by source-system overlap: how many golden customers are known to exactly each combination of source systems (billing only, billing and webshop, ...), with how many source records such a customer has on average — the Venn diagram of the systems.
MATCH (c:Customer)
WHERE EXISTS { (c)<-[:RESOLVED_TO]-(:SourceRecord) }
WITH c,
     COLLECT {
       MATCH (c)<-[:RESOLVED_TO]-(s:SourceRecord)
       RETURN DISTINCT s.source_system AS system ORDER BY system
     } AS systems,
     COUNT { (c)<-[:RESOLVED_TO]-(:SourceRecord) } AS records
RETURN systems, size(systems) AS system_count, count(c) AS customers,
       round(avg(records), 2) AS mean_records
ORDER BY customers DESC, system_count
