"""Projections: the part of the graph one question needs, pulled through the store port
into networkx, the algorithm engine on both stores, where the graph algorithms run.

:func:`expand` grows a projection from start nodes, hop by hop, with one
``neighbours_many`` call per (label, relationship type) per hop — never one call per
node — so it costs the same round trips on the embedded store and on Neo4j, and works on
any store the port fronts. Nodes are keyed ``(label, key)``; each carries its ``props``
and its ``depth`` (hops from the nearest start). Each relationship is one edge of the
undirected multigraph, keyed by what identifies it (type, endpoints, key properties), so
seeing it from both ends adds it once; it carries its ``type``, ``props`` and its
recorded direction (``src``, ``dst``).

A projection is capped (``max_nodes``): one that would hold more nodes, or a node with
more relationships of one type than the cap, raises :class:`ProjectionTooLargeError`
rather than pulling the world or answering from a silently truncated graph.

The algorithms that run on projections (graph/algorithms.py) do no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from graph.errors import ProjectionTooLargeError
from graph.schema import RelType, schema
from graph.store import Direction, Edge, GraphStore, PropertyValue

if TYPE_CHECKING:  # networkx is imported where an algorithm runs: 0.1 s a ckb command
    import networkx as nx

NodeId = tuple[str, str]  # (label, key)
Projection: TypeAlias = "nx.MultiGraph[NodeId]"  # networkx's classes are generic to mypy only
# (type, src, dst, key property values): one relationship, whichever end it was read from.
EdgeKey = tuple[str, NodeId, NodeId, tuple[Any, ...]]

DEFAULT_MAX_NODES = 50_000


def expand(
    store: GraphStore,
    starts: Iterable[NodeId],
    rel_types: Sequence[str],
    hops: int,
    *,
    direction: Direction = "both",
    max_nodes: int = DEFAULT_MAX_NODES,
    until: Callable[[Projection], bool] | None = None,
    induced: bool = False,
    node_props: Collection[str] | None = None,
) -> Projection:
    """The nodes within ``hops`` steps of ``starts`` over ``rel_types`` (followed in
    ``direction`` from the node being expanded), with every relationship read on the way.
    Starts that do not exist are left out.

    ``until``, when given, is asked before each hop and stops the growth once it holds
    (e.g. a goal has been reached). ``induced`` adds one more round of calls that reads
    the relationships of the last hop's nodes without adding nodes, so the projection
    holds every relationship among its nodes (the subgraph they induce) rather than only
    those on a walk from a start. ``node_props`` names the node properties to keep (all
    when None): a projection of many nodes holds only what its question reads (measured
    on the demo data: about 4.4 KB a node with every property, 2.4 KB with names only).
    Raises :class:`ProjectionTooLargeError` past ``max_nodes`` nodes.
    """
    import networkx as nx

    model = schema()
    rels = [model.relationship(t) for t in rel_types]
    graph: Projection = nx.MultiGraph()
    by_label: dict[str, list[str]] = {}
    for label, key in dict.fromkeys(starts):
        by_label.setdefault(label, []).append(key)
    for label, keys in sorted(by_label.items()):
        for key, node in sorted(store.get_nodes(label, keys).items()):
            graph.add_node((label, key), props=_kept(node.props, node_props), depth=0)
    _check_size(graph, max_nodes)
    frontier = sorted(graph)
    for depth in range(1, hops + 1):
        if not frontier or (until is not None and until(graph)):
            break
        frontier = _hop(store, graph, frontier, rels, direction, depth, max_nodes, node_props)
    if induced and frontier:
        _hop(store, graph, frontier, rels, direction, None, max_nodes, node_props)
    return graph


def _hop(
    store: GraphStore,
    graph: Projection,
    frontier: list[NodeId],
    rels: list[RelType],
    direction: Direction,
    depth: int | None,
    max_nodes: int,
    node_props: Collection[str] | None,
) -> list[NodeId]:
    """Read the frontier's relationships; add the nodes they reach at ``depth`` (none when
    ``depth`` is None: only relationships among nodes already held). Returns the new nodes."""
    reached: list[NodeId] = []
    by_label: dict[str, list[str]] = {}
    for label, key in frontier:
        by_label.setdefault(label, []).append(key)
    for label, keys in sorted(by_label.items()):
        for rel in rels:
            if not _touches(rel, label, direction):
                continue
            found = store.neighbours_many(label, keys, rel.type, direction, limit=max_nodes + 1)
            for key, neighbours in found.items():
                # How many of this type were read: a caller cutting a smaller network
                # from this one can refuse a hub as reading alone would have.
                graph.nodes[(label, key)].setdefault("read", {})[rel.type] = len(neighbours)
                if len(neighbours) > max_nodes:
                    raise ProjectionTooLargeError(
                        f"{label} {key} has more than {max_nodes:,} {rel.type} relationships"
                    )
                for edge, node in neighbours:
                    other = (node.label, node.key)
                    if other not in graph:
                        if depth is None:
                            continue
                        graph.add_node(other, props=_kept(node.props, node_props), depth=depth)
                        reached.append(other)
                        _check_size(graph, max_nodes)
                    add_edge(graph, edge, rel)
    return reached


def add_edge(graph: Projection, edge: Edge, rel: RelType | None = None) -> EdgeKey:
    """Add one relationship to a projection (again: no change); returns its edge key."""
    rel = rel or schema().relationship(edge.type)
    src, dst = (edge.src_label, edge.src_key), (edge.dst_label, edge.dst_key)
    key: EdgeKey = (edge.type, src, dst, rel.key_values(edge.props))
    graph.add_edge(src, dst, key=key, type=edge.type, props=edge.props, src=src, dst=dst)
    return key


def _kept(
    props: dict[str, PropertyValue], names: Collection[str] | None
) -> dict[str, PropertyValue]:
    return props if names is None else {n: props[n] for n in names if n in props}


def _touches(rel: RelType, label: str, direction: Direction) -> bool:
    """Can a node of ``label`` have a ``rel`` relationship in ``direction``?"""
    return any(
        (direction != "in" and src == label) or (direction != "out" and dst == label)
        for src, dst in rel.endpoints
    )


def _check_size(graph: Projection, max_nodes: int) -> None:
    if len(graph) > max_nodes:
        raise ProjectionTooLargeError(
            f"the projection would hold more than {max_nodes:,} nodes; ask about less of the graph"
        )
