"""Projections pulled through the store port, on every store: what they hold, how many
calls they make, and their cap."""

from __future__ import annotations

from typing import Any

import pytest

from graph.errors import ProjectionTooLargeError, UnknownRelationshipTypeError
from graph.projection import expand
from graph.store import CypherReader, GraphStore, RelRow
from queries.engine import run_query

NETWORK = ("MEMBER_OF", "RELATED_TO")


def _graph(store: GraphStore) -> None:
    # a, b share household h; a -family- c and a -co_signer- c (parallel);
    # c -referral-> d -referral-> e -referral-> c (a ring); f alone; a holds an account.
    store.upsert_nodes("Customer", [{"id": k, "name": k.upper()} for k in "abcdef"])
    store.upsert_nodes("Household", [{"id": "h"}])
    store.upsert_nodes("Holding", [{"id": "acc"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow("a", "h", {"role": "head"}), RelRow("b", "h")]
    )
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [
            RelRow("a", "c", {"kind": "family"}),
            RelRow("a", "c", {"kind": "co_signer"}),
            RelRow("c", "d", {"kind": "referral"}),
            RelRow("d", "e", {"kind": "referral"}),
            RelRow("e", "c", {"kind": "referral"}),
        ],
    )
    store.upsert_relationships("HOLDS", "Customer", "Holding", [RelRow("a", "acc")])


class Counting:
    """A store that records the port calls made to it."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.calls: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, *args[:1], *args[2:3]))  # method, label, rel type
            return found(*args, **kwargs)

        return counted


def _edges(graph: Any) -> list[tuple[str, str, str, str]]:
    return sorted(
        (e["type"], e["src"][1], e["dst"][1], str(e["props"].get("kind", "")))
        for _, _, e in graph.edges(data=True)
    )


def test_expand_grows_hop_by_hop_with_props_depths_and_each_relationship_once(
    store: GraphStore,
) -> None:
    _graph(store)
    one = expand(store, [("Customer", "a")], NETWORK, hops=1)
    assert sorted(one.nodes(data="depth")) == [
        (("Customer", "a"), 0), (("Customer", "c"), 1), (("Household", "h"), 1),
    ]  # fmt: skip
    assert one.nodes[("Customer", "a")]["props"]["name"] == "A"
    assert _edges(one) == [
        ("MEMBER_OF", "a", "h", ""),
        ("RELATED_TO", "a", "c", "co_signer"),
        ("RELATED_TO", "a", "c", "family"),
    ]
    edge = one.edges[("Customer", "a"), ("Household", "h"), next(iter(one[("Customer", "a")][("Household", "h")]))]  # fmt: skip
    assert edge["props"] == {"role": "head"}
    two = expand(store, [("Customer", "a")], NETWORK, hops=2)
    assert {n: d for n, d in two.nodes(data="depth") if d == 2} == {
        ("Customer", "b"): 2, ("Customer", "d"): 2, ("Customer", "e"): 2,
    }  # fmt: skip
    # a-c read from both ends is still two relationships; d -> e (both at the last hop)
    # is on no walk of two steps from a, so it is not read.
    assert _edges(two) == [
        ("MEMBER_OF", "a", "h", ""),
        ("MEMBER_OF", "b", "h", ""),
        ("RELATED_TO", "a", "c", "co_signer"),
        ("RELATED_TO", "a", "c", "family"),
        ("RELATED_TO", "c", "d", "referral"),
        ("RELATED_TO", "e", "c", "referral"),
    ]
    induced = expand(store, [("Customer", "a")], NETWORK, hops=2, induced=True)
    assert sorted(induced) == sorted(two)
    assert _edges(induced) == sorted([*_edges(two), ("RELATED_TO", "d", "e", "referral")])


def test_expand_makes_one_call_per_label_and_type_per_hop(store: GraphStore) -> None:
    _graph(store)
    counting = Counting(store)
    expand(counting, [("Customer", "a")], NETWORK, hops=2)  # type: ignore[arg-type]
    assert counting.calls == [
        ("get_nodes", "Customer"),
        ("neighbours_many", "Customer", "MEMBER_OF"),
        ("neighbours_many", "Customer", "RELATED_TO"),
        ("neighbours_many", "Customer", "MEMBER_OF"),
        ("neighbours_many", "Customer", "RELATED_TO"),
        ("neighbours_many", "Household", "MEMBER_OF"),  # no Household RELATED_TO call
    ]


def test_expand_direction_starts_until_and_what_it_refuses(store: GraphStore) -> None:
    _graph(store)
    out = expand(store, [("Customer", "c")], ("RELATED_TO",), hops=5, direction="out")
    assert sorted(out.nodes(data="depth")) == [
        (("Customer", "c"), 0), (("Customer", "d"), 1), (("Customer", "e"), 2),
    ]  # fmt: skip
    assert len(_edges(out)) == 3  # the ring closes: e -> c read at the third hop
    assert len(expand(store, [("Customer", "nobody")], NETWORK, hops=3)) == 0
    both = expand(store, [("Customer", "b"), ("Customer", "f"), ("Customer", "zz")], NETWORK, 1)
    assert sorted(both) == [("Customer", "b"), ("Customer", "f"), ("Household", "h")]
    stopped = expand(
        store, [("Customer", "b")], NETWORK, hops=6, until=lambda g: ("Customer", "a") in g
    )
    assert max(d for _, d in stopped.nodes(data="depth")) == 2
    assert len(expand(store, [("Customer", "a")], NETWORK, hops=1, max_nodes=3)) == 3
    with pytest.raises(ProjectionTooLargeError, match="more than 2 nodes"):
        expand(store, [("Customer", "b")], NETWORK, hops=2, max_nodes=2)
    # A node with more relationships than the cap could be read only in part: refused too.
    with pytest.raises(ProjectionTooLargeError, match="Customer c has more than 3 RELATED_TO"):
        expand(store, [("Customer", "c")], NETWORK, hops=1, max_nodes=3)
    with pytest.raises(UnknownRelationshipTypeError):
        expand(store, [("Customer", "a")], ("KNOWS",), hops=1)


def test_path_and_ego_questions_read_a_projection_a_hop_at_a_time(store: GraphStore) -> None:
    if isinstance(store, CypherReader):
        pytest.skip("on Neo4j these two questions are answered by their Cypher files")
    _graph(store)
    counting = Counting(store)
    found = run_query(counting, "relationship_path", fromId="a", toId="e", maxHops=6)
    assert [(p.links, [s.id for s in p.steps]) for p in found.paths] == [
        (("co_signer", "referral"), ["a", "c", "e"]),
        (("family", "referral"), ["a", "c", "e"]),
    ]
    calls = [c[0] for c in counting.calls]
    assert "neighbours" not in calls
    assert calls.count("neighbours_many") == 5  # 2 for the first hop, 3 for the second
    counting.calls.clear()
    ego = run_query(counting, "ego_network", customerId="a", hops=4, limit=2)
    assert [(m.customer_id, m.distance) for m in ego] == [("c", 1), ("b", 2)]
    # Two customers are nearer than a third hop could reach: it is not read.
    assert [c[0] for c in counting.calls].count("neighbours_many") == 5
