"""ckb's edges: the HTTP app (GraphQL, ingest, health) and the ``ckb`` command line."""
