"""Conformance on every store: the relationship queries (paths between customers, ego
networks, network influence computed in Python within its cap, related customers by kind)
give the hand-checked answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.embedded import EmbeddedStore
from graph.store import GraphStore, RelRow
from queries import network_influence as network
from queries.base import QueryParameterError
from queries.engine import run_query
from queries.network_influence import InfluenceScore
from queries.related_customers import RelatedCustomer
from tests.support.named_fixture import people_network


def test_relationship_path(store: GraphStore) -> None:
    people_network(store)
    direct = run_query(store, "relationship_path", fromId="a", toId="b", maxHops=3)
    assert direct.distance == 1
    assert [p.links for p in direct.paths] == [("co_signer",), ("family",)]
    two = run_query(store, "relationship_path", fromId="a", toId="c", maxHops=4)
    assert two.distance == 2
    assert [([s.id for s in p.steps], p.links) for p in two.paths] == [
        (["a", "b", "c"], ("co_signer", "referral")),
        (["a", "b", "c"], ("family", "referral")),
    ]
    via_household = run_query(store, "relationship_path", fromId="a", toId="d", maxHops=6)
    assert via_household.distance == 2
    assert [([(s.label, s.id) for s in p.steps], p.links) for p in via_household.paths] == [
        ([("Customer", "a"), ("Household", "h"), ("Customer", "d")], ("MEMBER_OF", "MEMBER_OF")),
    ]
    back = run_query(store, "relationship_path", fromId="d", toId="b", maxHops=6)
    assert [([s.id for s in p.steps], p.links) for p in back.paths] == [
        (["d", "c", "b"], ("employer", "referral"))
    ]
    assert back.paths[0].steps[0].name == "D"
    assert run_query(store, "relationship_path", fromId="a", toId="e", maxHops=2).distance is None
    assert run_query(store, "relationship_path", fromId="a", toId="e", maxHops=3).distance == 3
    assert run_query(store, "relationship_path", fromId="a", toId="z", maxHops=6).paths == ()
    assert run_query(store, "relationship_path", fromId="a", toId="a", maxHops=6).distance is None


def test_ego_network(store: GraphStore) -> None:
    people_network(store)
    # a -family/co_signer- b -referral- c -employer- d ; a and d share household h ; e -referral- c
    one = run_query(store, "ego_network", customerId="a", hops=1, limit=10)
    assert [(m.customer_id, m.distance) for m in one] == [("b", 1)]
    two = run_query(store, "ego_network", customerId="a", hops=2, limit=10)
    assert [(m.customer_id, m.distance) for m in two] == [("b", 1), ("c", 2), ("d", 2)]
    three = run_query(store, "ego_network", customerId="a", hops=3, limit=10)
    assert [(m.customer_id, m.name, m.distance) for m in three] == [
        ("b", "B", 1),
        ("c", "C", 2),
        ("d", "D", 2),
        ("e", "E", 3),
    ]
    assert [
        m.customer_id for m in run_query(store, "ego_network", customerId="a", hops=3, limit=2)
    ] == ["b", "c"]
    assert run_query(store, "ego_network", customerId="z", hops=4, limit=10) == []
    assert run_query(store, "ego_network", customerId="nobody", hops=4, limit=10) == []
    with pytest.raises(QueryParameterError, match="hops must be between 1 and 4"):
        run_query(store, "ego_network", customerId="a", hops=5, limit=10)


def _referral_ring(store: GraphStore) -> None:
    # p2 - H1 - p1, then a referral ring p1 -> p3 -> p4 -> p1, p4 -family- p5 - H2 - p6,
    # and p6 -referral-> x far out.
    store.upsert_nodes(
        "Customer", [{"id": k, "name": k.upper()} for k in ("p1", "p2", "p3", "p4", "p5", "p6", "x")]
    )  # fmt: skip
    store.upsert_nodes("Household", [{"id": "H1"}, {"id": "H2"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household",
        [RelRow("p1", "H1"), RelRow("p2", "H1"), RelRow("p5", "H2"), RelRow("p6", "H2")],
    )  # fmt: skip
    store.upsert_relationships(
        "RELATED_TO", "Customer", "Customer",
        [RelRow("p1", "p3", {"kind": "referral"}), RelRow("p3", "p4", {"kind": "referral"}),
         RelRow("p4", "p1", {"kind": "referral"}), RelRow("p4", "p5", {"kind": "family"}),
         RelRow("p6", "x", {"kind": "referral"})],
    )  # fmt: skip


def test_network_influence(store: GraphStore) -> None:
    _referral_ring(store)
    # Within 3 steps of p1: p1..p5, H1 and H2, 7 relationships (p6 and x lie further out).
    # As a simple graph it is the line p2-H1-p1-p4-p5-H2 with p3 on both p1 and p4.
    three = run_query(store, "network_influence", customerId="p1", hops=3, first=10)
    assert (three.customer_id, three.customers, three.households, three.relationships) == (
        "p1", 5, 2, 7,
    )  # fmt: skip
    assert three.communities == 3  # the referral ring; p2 with H1; p5 with H2
    assert three.members == (
        # {p2, H1} x {p3, p4, p5, H2}: 8 of the 15 pairs of others go through p1; as many
        # through p4; H2 x the other 5 through p5. Ties: referral reach, links, then ID.
        InfluenceScore("p1", "P1", 0, 3, 0.533333, 1, 1, 2),
        InfluenceScore("p4", "P4", 1, 3, 0.533333, 1, 1, 2),
        InfluenceScore("p5", "P5", 2, 2, 0.333333, 3, 0, 0),
        InfluenceScore("p3", "P3", 1, 2, 0.0, 1, 1, 2),
        InfluenceScore("p2", "P2", 2, 1, 0.0, 2, 0, 0),
    )
    # One step: the relationships among p1, H1, p3, p4 (p3 -> p4 included).
    one = run_query(store, "network_influence", customerId="p1", hops=1, first=2)
    assert (one.customers, one.households, one.relationships) == (3, 1, 4)
    assert [(m.customer_id, m.betweenness, m.referred, m.referral_reach) for m in one.members] == [
        ("p1", 0.666667, 1, 2),
        ("p3", 0.0, 1, 2),
    ]
    six = run_query(store, "network_influence", customerId="p1", hops=6, first=500)
    assert {m.customer_id: m.distance for m in six.members} == {
        "p1": 0, "p3": 1, "p4": 1, "p2": 2, "p5": 2, "p6": 4, "x": 5,
    }  # fmt: skip
    assert [m.referral_reach for m in six.members if m.customer_id == "p6"] == [1]
    assert run_query(store, "network_influence", customerId="nobody", hops=2, first=5) is None
    edge = run_query(store, "network_influence", customerId="x", hops=1, first=5)
    assert edge.members == (  # p6 referred x: the referrer ranks first
        InfluenceScore("p6", "P6", 1, 1, 0.0, 1, 1, 1),
        InfluenceScore("x", "X", 0, 1, 0.0, 1, 0, 0),
    )
    with pytest.raises(QueryParameterError, match="hops must be between 1 and 6"):
        run_query(store, "network_influence", customerId="p1", hops=7, first=5)
    with pytest.raises(QueryParameterError, match="first must be between 1 and 500"):
        run_query(store, "network_influence", customerId="p1", hops=1, first=501)


def test_network_influence_refuses_a_network_past_its_cap(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _referral_ring(store)
    monkeypatch.setattr(network, "MAX_NETWORK_NODES", 4)
    assert run_query(store, "network_influence", customerId="p1", hops=1, first=5).customers == 3
    with pytest.raises(QueryParameterError, match="more than 4 customers and households"):
        run_query(store, "network_influence", customerId="p1", hops=2, first=5)


def _tangle(store: GraphStore, people: int, seed: int) -> list[str]:
    """Overlapping networks: random links of every kind and shared households."""
    import random

    pick = random.Random(seed)
    ids = [f"q{n:02d}" for n in range(people)]
    store.upsert_nodes("Customer", [{"id": k, "name": k.upper()} for k in ids])
    store.upsert_nodes("Household", [{"id": f"HH{n}"} for n in range(people // 5)])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household",
        [RelRow(k, f"HH{pick.randrange(people // 5)}") for k in ids if pick.random() < 0.5],
    )  # fmt: skip
    kinds = ("referral", "family", "co_signer")
    links = {(pick.choice(ids), pick.choice(ids), pick.choice(kinds)) for _ in range(people)}
    store.upsert_relationships(
        "RELATED_TO", "Customer", "Customer",
        [RelRow(a, b, {"kind": kind}) for a, b, kind in sorted(links) if a != b],
    )  # fmt: skip
    return ids


@pytest.mark.parametrize("hops", [1, 2, 3])
def test_networks_of_a_page_answer_as_each_network_alone(store: GraphStore, hops: int) -> None:
    ids = _tangle(store, 40, seed=hops)
    together = run_query(
        store, "customers_network_influence", customerIds=[*ids, "nobody"], hops=hops, first=50
    )
    assert "nobody" not in together
    for key in ids:
        alone = run_query(store, "network_influence", customerId=key, hops=hops, first=50)
        assert together[key] == alone, key
    # The networks overlap: cutting them from one projection is what is being tested.
    assert sum(n.customers for n in together.values()) > 2 * len(ids)


def test_a_page_refuses_a_hub_its_network_reaches_as_the_network_alone_would(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """p5 lies within one hop of H2; five members make H2 a hub past a cap of 4 — pulled
    alone, p5's network reads H2's members and is refused; cut from a page's bigger
    projection it must be refused too, not answered."""
    _referral_ring(store)
    store.upsert_nodes("Customer", [{"id": f"m{n}"} for n in range(3)])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow(f"m{n}", "H2") for n in range(3)]
    )
    monkeypatch.setattr(network, "MAX_NETWORK_NODES", 4)
    with pytest.raises(QueryParameterError, match="network of p5"):
        run_query(store, "network_influence", customerId="p5", hops=1, first=5)
    with pytest.raises(QueryParameterError, match="network of p5"):
        run_query(store, "customers_network_influence", customerIds=["p1", "p5"], hops=1, first=5)
    assert run_query(store, "network_influence", customerId="p3", hops=1, first=5).customers == 3


def test_network_influence_runs_in_python_even_where_cypher_could(tmp_path: Path) -> None:
    """Neo4j Community has no graph algorithms: a store that answers Cypher is still asked
    through the port for this one question."""

    class AnswersCypher:
        def __init__(self, store: GraphStore) -> None:
            self._store = store

        def __getattr__(self, name: str) -> Any:
            return getattr(self._store, name)

        def read_query(self, name: str, text: str, params: dict[str, Any]) -> list[Any]:
            raise AssertionError(f"{name} was sent as Cypher")

    embedded = EmbeddedStore(tmp_path / "kb.sqlite")
    embedded.apply_schema()
    _referral_ring(embedded)
    proxy: Any = AnswersCypher(embedded)
    assert run_query(proxy, "network_influence", customerId="p1", hops=1, first=5).customers == 3
    with pytest.raises(AssertionError, match="ego_network was sent as Cypher"):
        run_query(proxy, "ego_network", customerId="p1", hops=1, limit=5)
    embedded.close()


def test_related_customers_by_kind_with_direction(store: GraphStore) -> None:
    people_network(store)
    store.upsert_relationships(
        "RELATED_TO", "Customer", "Customer", [RelRow("c", "b", {"kind": "family", "since": "2020-05-01"})]
    )  # fmt: skip
    assert run_query(store, "related_customers", customerId="b", kind="", first=10) == [
        RelatedCustomer("a", "A", "co_signer", "in", None),
        RelatedCustomer("a", "A", "family", "in", None),
        RelatedCustomer("c", "C", "family", "in", "2020-05-01"),
        RelatedCustomer("c", "C", "referral", "out", None),
    ]
    family = run_query(store, "related_customers", customerId="b", kind="family", first=1)
    assert [(r.customer_id, r.kind) for r in family] == [("a", "family")]
    assert run_query(store, "related_customers", customerId="z", kind="", first=10) == []
    assert run_query(store, "related_customers", customerId="nobody", kind="", first=10) == []
