"""Graph algorithms on hand-built networkx graphs: no store involved."""

from __future__ import annotations

import networkx as nx

from graph.algorithms import (
    betweenness,
    communities,
    downstream,
    linked_groups,
    shortest_routes,
    simple,
)
from graph.projection import Projection, add_edge
from graph.store import Edge
from queries.network_influence import score_network


def test_linked_groups_are_the_connected_components() -> None:
    links = [("c", "a"), ("b", "d"), ("e", "a"), ("x", "x"), ("d", "b")]
    assert linked_groups(links) == [["a", "c", "e"], ["b", "d"]]
    assert linked_groups([]) == []


def test_shortest_routes_count_each_parallel_edge() -> None:
    g: nx.MultiGraph[str] = nx.MultiGraph()
    g.add_edge("s", "m", key=1, kind="family")
    g.add_edge("m", "s", key=2, kind="co_signer")  # parallel, recorded the other way
    g.add_edge("m", "t", key=3, kind="referral")
    g.add_edge("s", "n", key=4, kind="employer")
    g.add_edge("n", "t", key=5, kind="referral")
    g.add_edge("s", "far", key=6, kind="x")
    g.add_edge("far", "farther", key=7, kind="x")
    g.add_edge("farther", "t", key=8, kind="x")  # longer: not a shortest route
    g.add_node("alone")
    routes = sorted(
        (nodes, [e["kind"] for e in edges]) for nodes, edges in shortest_routes(g, "s", "t")
    )
    assert routes == [
        (["s", "m", "t"], ["co_signer", "referral"]),
        (["s", "m", "t"], ["family", "referral"]),
        (["s", "n", "t"], ["employer", "referral"]),
    ]
    assert shortest_routes(g, "s", "alone") == []
    assert shortest_routes(g, "s", "s") == []
    assert shortest_routes(g, "s", "nowhere") == []


def test_simple_drops_parallel_edges_and_loops_and_ignores_build_order() -> None:
    g: nx.MultiGraph[str] = nx.MultiGraph()
    g.add_edges_from([("c", "a"), ("a", "c"), ("b", "b"), ("b", "a")])
    s = simple(g)
    assert list(s) == ["a", "b", "c"]
    assert sorted(tuple(sorted(e)) for e in s.edges()) == [("a", "b"), ("a", "c")]
    reverse: nx.MultiGraph[str] = nx.MultiGraph()
    reverse.add_edges_from([("a", "b"), ("c", "a")])
    assert list(simple(reverse).edges()) == list(s.edges())


def test_betweenness_of_a_path_and_a_star() -> None:
    path: nx.Graph[str] = nx.path_graph(["a", "b", "c"])
    assert betweenness(path) == {"a": 0.0, "b": 1.0, "c": 0.0}
    star: nx.Graph[str] = nx.star_graph(["hub", "x", "y", "z"])
    assert betweenness(star) == {"hub": 1.0, "x": 0.0, "y": 0.0, "z": 0.0}
    # Five nodes in a ring: each lies between its two neighbours only (1 pair of 6).
    ring: nx.Graph[int] = nx.cycle_graph(5)
    assert set(betweenness(ring).values()) == {0.166667}


def test_communities_split_two_triangles_joined_by_a_bridge() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("x", "y"), ("y", "z"), ("z", "x"), ("c", "x")]
    g: nx.Graph[str] = nx.Graph(edges)
    expected = {"a": 1, "b": 1, "c": 1, "x": 2, "y": 2, "z": 2}  # equal size: smallest member first
    assert communities(g) == expected
    assert communities(nx.Graph(list(reversed(edges)))) == expected


def test_downstream_counts_a_ring_once() -> None:
    g: nx.DiGraph[str] = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("d", "a"), ("e", "f")])
    g.add_node("g")
    assert downstream(g) == {"a": 2, "b": 2, "c": 2, "d": 3, "e": 1, "f": 0, "g": 0}


def _rel(src: str, dst: str, kind: str) -> Edge:
    return Edge("RELATED_TO", "Customer", src, "Customer", dst, {"kind": kind})


def test_a_relationship_read_from_both_ends_is_one_edge() -> None:
    g: Projection = nx.MultiGraph()
    first = add_edge(g, _rel("a", "b", "family"))
    assert add_edge(g, _rel("a", "b", "family")) == first
    add_edge(g, _rel("a", "b", "co_signer"))
    add_edge(g, _rel("b", "a", "family"))  # a different relationship: recorded the other way
    assert g.number_of_edges() == 3
    assert first == ("RELATED_TO", ("Customer", "a"), ("Customer", "b"), ("family",))
    assert g.edges[("Customer", "b"), ("Customer", "a"), first]["src"] == ("Customer", "a")


def test_score_network_on_a_hand_built_projection() -> None:
    # a - b - c in a line, b referred c and c referred d; d hangs off c.
    g: Projection = nx.MultiGraph()
    for key, depth in (("a", 0), ("b", 1), ("c", 2), ("d", 3)):
        g.add_node(("Customer", key), props={"name": key.upper()}, depth=depth)
    add_edge(g, _rel("a", "b", "family"))
    add_edge(g, _rel("b", "c", "referral"))
    add_edge(g, _rel("c", "d", "referral"))
    row = score_network(g, ("Customer", "a"), first=3)
    assert (row["customers"], row["households"], row["relationships"]) == (4, 0, 3)
    assert [
        (m["customerId"], m["distance"], m["links"], m["betweenness"], m["referred"],
         m["referralReach"])
        for m in row["members"]
    ] == [
        ("b", 1, 2, 0.666667, 1, 2),  # between a and c, a and d: 2 of 3 pairs
        ("c", 2, 2, 0.666667, 1, 1),
        ("a", 0, 1, 0.0, 0, 0),
    ]  # fmt: skip
