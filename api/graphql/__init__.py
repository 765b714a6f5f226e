"""The GraphQL API: the endpoint and schema assembly (app.py), the Query root (schema.py),
mutations and subscriptions, the object types (types/), the list inputs (filters.py), the
per-request context and DataLoaders (context.py), limits, permissions and field metrics."""
