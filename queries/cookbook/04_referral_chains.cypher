// name: referral_chains
// answers: Referral chains: every chain of referrals (A referred B, who referred C ...) up to four steps that starts at a customer nobody referred and ends at one who referred nobody, with the lifetime value the chain brought in (the referred customers' values). Longest and most valuable first; at most `first`.
// param: first int  how many chains, e.g. 25
MATCH p = (root:Customer)(()-[r:RELATED_TO WHERE r.kind = 'referral']->()){1,4}(last:Customer)
WHERE NOT EXISTS { (:Customer)-[x:RELATED_TO WHERE x.kind = 'referral']->(root) }
  AND NOT EXISTS { (last)-[y:RELATED_TO WHERE y.kind = 'referral']->(:Customer) }
WITH root, p, tail(nodes(p)) AS referred
RETURN root.id AS referrer, root.name AS name, length(p) AS steps,
       [c IN nodes(p) | c.id] AS chain,
       round(reduce(total = 0.0, c IN referred | total + coalesce(c.lifetime_value, 0.0)), 2) AS chain_value
ORDER BY steps DESC, chain_value DESC, referrer
LIMIT $first
