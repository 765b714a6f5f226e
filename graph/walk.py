"""Walk a whole store label by label, one page of keys at a time, through the store port.

For the jobs that move or snapshot every element (``ckb export neo4j``, ``ckb copy``):
memory holds one page of nodes and their relationships, never the graph, on either store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graph.schema import GraphSchema
from graph.store import Edge, GraphCounts, GraphStore, Node


@dataclass(frozen=True, slots=True)
class Page:
    label: str
    keys: list[str]
    nodes: dict[str, Node]
    # Each relationship once: under the page of its start node, in the store's order.
    outgoing: list[Edge]

    @property
    def last(self) -> str:
        return self.keys[-1]


def outgoing_edges(label: str, edges_by_key: dict[str, list[Edge]]) -> list[Edge]:
    """The relationships starting at these nodes, each once. ``relationships_of`` lists
    a relationship under both its ends; a loop (a node to itself) may come back under
    its one node twice, once per direction."""
    found: list[Edge] = []
    for key, edges in edges_by_key.items():
        loops: list[Edge] = []
        for edge in edges:
            if edge.src_label != label or edge.src_key != key:
                continue
            if edge.dst_label == label and edge.dst_key == key:
                if edge in loops:
                    continue
                loops.append(edge)
            found.append(edge)
    return found


def starts_relationships(model: GraphSchema, label: str) -> bool:
    """Whether any relationship type may start at ``label`` (else its pages need not
    read relationships: each is listed under its start node's page)."""
    return any(src == label for _, src, _ in model.endpoint_pairs())


# Above this many incoming relationships per node a label is a hub (a channel, a product,
# a store): reading its pages' relationships in both directions would pull every
# touchpoint or purchase line pointing at it into memory at once. Its outgoing ones are
# read instead (their other ends come along; hubs have few).
HUB_FAN_IN = 16.0


def is_hub(model: GraphSchema, counts: GraphCounts, label: str) -> bool:
    incoming = sum(
        counts.relationships.get(rel.type, 0)
        for rel in model.relationships
        if any(dst == label for _, dst in rel.endpoints)
    )
    return incoming > HUB_FAN_IN * max(1, counts.nodes.get(label, 0))


def pages(
    store: GraphStore,
    label: str,
    size: int,
    after: str | None = None,
    with_relationships: bool = True,
    hub: bool = False,
) -> Iterator[Page]:
    """Pages of ``label`` in key order, after the key ``after`` (a resumed job). Memory
    holds one page and its relationships: a page of a ``hub`` label reads only the
    relationships starting at it."""
    while keys := store.keys_page(label, after, size):
        after = keys[-1]
        nodes = store.get_nodes(label, keys)
        edges: list[Edge] = []
        if with_relationships and hub:
            found = store.neighbours_many(label, keys, None, "out", limit=_NO_LIMIT)
            edges = outgoing_edges(label, {k: [n.edge for n in ns] for k, ns in found.items()})
        elif with_relationships:
            edges = outgoing_edges(label, store.relationships_of(label, keys))
        yield Page(label, keys, nodes, edges)


_NO_LIMIT = 2**31 - 1
