"""Copy a whole graph from one store to another through the store port (e.g. the embedded
demo graph into Neo4j for a benchmark or a first production load)."""

from __future__ import annotations

from collections import defaultdict

from graph.schema import schema
from graph.store import GraphStore, RelRow


def copy_graph(source: GraphStore, target: GraphStore, batch: int = 5000) -> tuple[int, int]:
    """Every node, then every relationship; returns (nodes, relationships) copied.
    Idempotent: copying again changes nothing on the target."""
    model = schema()
    nodes = rels = 0
    for label in model.labels:
        after: str | None = None
        while keys := source.keys_page(label, after, batch):
            after = keys[-1]
            found = source.get_nodes(label, keys)
            key_name = model.node(label).key
            target.upsert_nodes(
                label, [{**found[k].props, key_name: k} for k in keys if k in found]
            )
            nodes += len(found)
    for label in model.labels:
        after = None
        while keys := source.keys_page(label, after, batch):
            after = keys[-1]
            grouped: dict[tuple[str, str], list[RelRow]] = defaultdict(list)
            edges = source.neighbours_many(label, keys, None, "out", limit=10**7)
            for key, neighbours in edges.items():
                for n in neighbours:
                    grouped[(n.edge.type, n.node.label)].append(
                        RelRow(key, n.node.key, n.edge.props)
                    )
            for (rel_type, other), rows in sorted(grouped.items()):
                target.upsert_relationships(rel_type, label, other, rows)
                rels += len(rows)
    return nodes, rels
