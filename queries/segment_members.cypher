// name: segment_members
// answers: The customers of one value tier in ID order, a page at a time (`first` 1 to 1000, after the ID `after`, '' for the first page), with name and lifetime value: a campaign target list.
// param: tier string  gold, silver or bronze (set by `ckb segment`)
// param: after string  the last customer ID of the previous page, or ''
// param: first int  page size, 1 to 1000
// index: Customer.value_tier (customer_value_tier)
MATCH (c:Customer)
WHERE c.value_tier = $tier AND c.id > $after
RETURN c.id AS customerId, c.name AS name, c.lifetime_value AS lifetimeValue
ORDER BY customerId
LIMIT $first
