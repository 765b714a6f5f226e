"""Walk a whole store label by label, one page of keys at a time, through the store port.

For the jobs that move or snapshot every element (``ckb export neo4j``, ``ckb copy``):
memory holds one page of nodes and their relationships, never the graph, on either store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graph.store import Edge, GraphStore, Node


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


def pages(
    store: GraphStore,
    label: str,
    size: int,
    after: str | None = None,
    with_relationships: bool = True,
) -> Iterator[Page]:
    """Pages of ``label`` in key order, after the key ``after`` (a resumed job)."""
    while keys := store.keys_page(label, after, size):
        after = keys[-1]
        nodes = store.get_nodes(label, keys)
        edges = (
            outgoing_edges(label, store.relationships_of(label, keys)) if with_relationships else []
        )
        yield Page(label, keys, nodes, edges)
