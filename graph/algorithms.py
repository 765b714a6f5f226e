"""Graph algorithms on networkx graphs (the algorithm engine on both stores): no store, no I/O.

They run on projections (graph/projection.py) or on graphs a caller builds from its own
links (identity clusters), and are unit-tested on hand-built graphs. Every answer is
deterministic: whatever order a graph was built in, the same graph gives the same answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # networkx is imported where an algorithm runs: 0.1 s a ckb command
    import networkx as nx


N = TypeVar("N", bound=Hashable)
EdgeData = dict[str, Any]

COMMUNITY_SEED = 0


def linked_groups(links: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components of the graph the links make: every group of two or more
    linked items, each sorted, groups ordered by their first item."""
    import networkx as nx

    graph: nx.Graph[str] = nx.Graph()
    graph.add_edges_from((a, b) for a, b in links if a != b)
    groups = [sorted(c) for c in nx.connected_components(graph)]
    return sorted(groups)


def shortest_routes(
    graph: nx.MultiGraph[N], source: N, target: N
) -> list[tuple[list[N], list[EdgeData]]]:
    """Every shortest route from ``source`` to ``target``: its nodes and, for each step,
    the data of the edge taken — one route per choice among parallel edges, as Cypher's
    ``allShortestPaths`` counts paths. Empty when they are not connected (or the same)."""
    import networkx as nx

    if source == target or source not in graph or target not in graph:
        return []
    try:
        node_paths = list(nx.all_shortest_paths(graph, source, target))
    except nx.NetworkXNoPath:
        return []
    routes: list[tuple[list[N], list[EdgeData]]] = []
    for nodes in node_paths:
        steps = [list(graph[u][v].values()) for u, v in itertools.pairwise(nodes)]
        routes.extend((nodes, list(edges)) for edges in itertools.product(*steps))
    return routes


def simple(graph: nx.Graph[N]) -> nx.Graph[N]:
    """A simple undirected graph of the same nodes and links (parallel edges and self
    loops dropped), built in sorted order so order-sensitive algorithms answer the same
    whatever order ``graph`` was built in. Nodes must be mutually comparable."""
    import networkx as nx

    nodes: list[N] = sorted(graph)  # type: ignore[type-var]
    rank = {n: i for i, n in enumerate(nodes)}
    pairs = {(u, v) if rank[u] < rank[v] else (v, u) for u, v in graph.edges() if u != v}
    out: nx.Graph[N] = nx.Graph()
    out.add_nodes_from(nodes)
    out.add_edges_from(sorted(pairs, key=lambda p: (rank[p[0]], rank[p[1]])))
    return out


def betweenness(graph: nx.Graph[N], digits: int = 6) -> dict[N, float]:
    """Exact normalised betweenness centrality (the share of shortest paths between other
    nodes that pass through each node: who holds the network together), rounded."""
    import networkx as nx

    found = nx.betweenness_centrality(simple(graph), normalized=True)
    return {n: round(v, digits) for n, v in found.items()}


def communities(graph: nx.Graph[N], seed: int = COMMUNITY_SEED) -> dict[N, int]:
    """Louvain communities (modularity, fixed seed) numbered from 1: largest first, then by
    smallest member. Each node maps to its community's number."""
    import networkx as nx

    found = nx.community.louvain_communities(simple(graph), seed=seed)
    ranked = sorted(found, key=lambda c: (-len(c), min(c)))
    return {n: i for i, members in enumerate(ranked, 1) for n in members}


def downstream(graph: nx.DiGraph[N]) -> dict[N, int]:
    """For each node, how many other nodes its out-edges lead to, directly or through
    others (cycles counted once)."""
    import networkx as nx

    return {n: len(nx.descendants(graph, n) - {n}) for n in graph}
