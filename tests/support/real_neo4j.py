"""A real Neo4j for the tests that can use one: where it is (``CKB_TEST_NEO4J_URI``), the
reason they skip without it, and a store connected to it in small batches."""

from __future__ import annotations

import os

from graph.store import GraphStore

NEO4J_URI = os.environ.get("CKB_TEST_NEO4J_URI")
NEO4J_SKIP = "Neo4j store not tested: set CKB_TEST_NEO4J_URI (e.g. bolt://localhost:7687)"


def open_neo4j() -> GraphStore:
    """The Neo4j store at ``NEO4J_URI`` (credentials from the NEO4J_* variables)."""
    from graph.neo4j_store import Neo4jStore

    assert NEO4J_URI
    return Neo4jStore.connect(
        NEO4J_URI,
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD"),
        database=os.environ.get("NEO4J_DATABASE", "neo4j"),
        batch_size=3,  # small batches so the tests cross batch boundaries
    )
