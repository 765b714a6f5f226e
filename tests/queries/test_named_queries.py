"""Conformance: every named query gives the same, hand-checked answer on every store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from epcis.capture import capture, read_documents
from epcis.shelf_signals import store_bucket
from graph.embedded import EmbeddedStore
from graph.store import GraphStore, RelRow
from identity.names import name_keys, normalize_name
from identity.resolve import resolve_store
from loaders.directory import plan_directory
from loaders.pipeline import load_file
from loaders.rejects import RejectsFile
from queries import network
from queries.named import (
    QUERIES,
    CustomerValue,
    HouseholdMember,
    HouseholdValue,
    LineValue,
    QueryParameterError,
    RelatedCustomer,
    SourceLink,
    UnknownQueryError,
    run_query,
)
from queries.network import InfluenceScore
from sample.generator import generate_sample
from scoring.segments import assign_segments
from tests.epcis.test_shelf import _capture, object_event
from tests.support.paths import DOCS


def _fixture(store: GraphStore) -> None:
    store.upsert_nodes(
        "ProductLine",
        [
            {"id": "mobile", "name": "Mobile"},
            {"id": "savings", "name": "Savings"},
            {"id": "tv", "name": "TV"},
        ],
    )
    store.upsert_nodes("Product", [{"id": "MOB"}, {"id": "MOB2"}, {"id": "SAV"}])
    store.upsert_relationships(
        "IN_LINE",
        "Product",
        "ProductLine",
        [RelRow("MOB", "mobile"), RelRow("MOB2", "mobile"), RelRow("SAV", "savings")],
    )
    store.upsert_nodes(
        "Customer",
        [{"id": "ann", "name": "Ann"}, {"id": "bob", "name": "Bob"}, {"id": "cy", "name": "Cy"}],
    )
    store.upsert_nodes(
        "SourceRecord",
        [
            {"id": "web:1", "source_system": "web", "source_record_id": "1"},
            {"id": "billing:B7", "source_system": "billing", "source_record_id": "B7"},
            {"id": "billing:B8", "source_system": "billing", "source_record_id": "B8"},
        ],
    )
    store.upsert_relationships(
        "RESOLVED_TO",
        "SourceRecord",
        "Customer",
        [
            RelRow("web:1", "ann", {"rule": "email", "score": 0.97}),
            RelRow("billing:B7", "ann", {"rule": "singleton", "score": 1.0}),
            RelRow("billing:B8", "bob", {"rule": "singleton", "score": 1.0}),
        ],
    )
    store.upsert_nodes("Household", [{"id": "h1"}])
    store.upsert_relationships(
        "MEMBER_OF",
        "Customer",
        "Household",
        [
            RelRow("ann", "h1", {"role": "head", "age_band": "35-44"}),
            RelRow("bob", "h1", {"role": "partner"}),
        ],
    )
    store.upsert_nodes(
        "Holding",
        [
            {"id": "a1", "status": "active", "monthly_value": 20.5},
            {"id": "a2", "status": "active", "monthly_value": 14},
            {"id": "a3", "status": "closed", "monthly_value": 99.0},
            {"id": "a4", "status": "active", "monthly_value": 5.25},
            {"id": "a5", "status": "active"},
        ],
    )
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [
            RelRow("ann", "a1"),
            RelRow("ann", "a2"),
            RelRow("ann", "a3"),
            RelRow("ann", "a4"),
            RelRow("bob", "a4"),
            RelRow("ann", "a5"),
        ],
    )
    store.upsert_relationships(
        "OF_PRODUCT",
        "Holding",
        "Product",
        [
            RelRow("a1", "MOB"),
            RelRow("a2", "MOB2"),
            RelRow("a3", "SAV"),
            RelRow("a4", "SAV"),
            RelRow("a5", "SAV"),
        ],
    )


def test_customer_sources(store: GraphStore) -> None:
    _fixture(store)
    assert run_query(store, "customer_sources", customerId="ann") == [
        SourceLink("billing", "B7", "singleton", 1.0),
        SourceLink("web", "1", "email", 0.97),
    ]
    assert run_query(store, "customer_sources", customerId="nobody") == []


def test_household_members(store: GraphStore) -> None:
    _fixture(store)
    expected = [
        HouseholdMember("h1", "ann", "Ann", "head", "35-44"),
        HouseholdMember("h1", "bob", "Bob", "partner", None),
    ]
    assert run_query(store, "household_members", customerId="bob") == expected
    assert run_query(store, "household_members", customerId="cy") == []


def test_customer_value(store: GraphStore) -> None:
    _fixture(store)
    ann = run_query(store, "customer_value", customerId="ann")
    assert ann == CustomerValue(
        "ann", (LineValue("mobile", "Mobile", 2, 34.5), LineValue("savings", "Savings", 2, 5.25)), 3
    )
    assert ann.total_monthly_value == 39.75
    assert ann.lines_held == 2
    assert run_query(store, "customer_value", customerId="cy") == CustomerValue("cy", (), 3)
    assert run_query(store, "customer_value", customerId="nobody") is None


def test_household_value_counts_a_joint_account_once(store: GraphStore) -> None:
    _fixture(store)
    value = run_query(store, "household_value", householdId="h1")
    assert value == HouseholdValue(
        "h1",
        ("ann", "bob"),
        (LineValue("mobile", "Mobile", 2, 34.5), LineValue("savings", "Savings", 2, 5.25)),
    )
    assert value.total_monthly_value == 39.75
    assert run_query(store, "household_value", householdId="nope") is None
    store.upsert_nodes("Household", [{"id": "empty"}])
    assert run_query(store, "household_value", householdId="empty") == HouseholdValue(
        "empty", (), ()
    )


def _people(store: GraphStore) -> None:
    # a -family- b -referral- c ; a and d share household h ; d -employer- c (two routes a..c)
    store.upsert_nodes(
        "Customer", [{"id": k, "name": k.upper()} for k in ("a", "b", "c", "d", "e", "z")]
    )
    store.upsert_nodes("Household", [{"id": "h"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow("a", "h"), RelRow("d", "h")]
    )
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [
            RelRow("a", "b", {"kind": "family"}),
            RelRow("b", "c", {"kind": "referral"}),
            RelRow("c", "d", {"kind": "employer"}),
            RelRow("a", "b", {"kind": "co_signer"}),
            RelRow("e", "c", {"kind": "referral"}),
        ],
    )


def test_relationship_path(store: GraphStore) -> None:
    _people(store)
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


def test_parameters_are_checked_before_any_store_call() -> None:
    with pytest.raises(UnknownQueryError):
        run_query(None, "nope", customerId="x")  # type: ignore[arg-type]
    with pytest.raises(QueryParameterError, match="missing customerId"):
        run_query(None, "customer_value")  # type: ignore[arg-type]
    with pytest.raises(QueryParameterError, match="unknown id"):
        run_query(None, "customer_value", customerId="x", id="y")  # type: ignore[arg-type]
    with pytest.raises(QueryParameterError, match="maxHops must be between 1 and 6"):
        run_query(None, "relationship_path", fromId="a", toId="b", maxHops=9)  # type: ignore[arg-type]
    with pytest.raises(QueryParameterError, match="maxHops must be int"):
        run_query(None, "relationship_path", fromId="a", toId="b", maxHops="3")  # type: ignore[arg-type]


def test_every_query_has_a_declared_cypher_file() -> None:
    for query in QUERIES.values():
        assert query.file.name == query.name
        assert query.file.parameters
        assert query.file.indexes, f"{query.name}: say which index the lookup uses"


def test_every_query_is_documented_for_analysts() -> None:
    docs = (DOCS / "queries.md").read_text("utf-8")
    headings = [line for line in docs.splitlines() if line.startswith("## ")]
    for name in QUERIES:
        assert any(f" {name}(" in h for h in headings), f"docs/queries.md lacks {name}"


def test_customer_holdings(store: GraphStore) -> None:
    _fixture(store)
    store.upsert_nodes("Holding", [{"id": "a9", "status": "active", "balance": -1200}])
    store.upsert_relationships(
        "HOLDS", "Customer", "Holding", [RelRow("ann", "a9", {"role": "primary"})]
    )
    rows = run_query(store, "customer_holdings", customerId="ann")
    assert [(h.account_id, h.line, h.status, h.monthly_value) for h in rows] == [
        ("a1", "mobile", "active", 20.5),
        ("a2", "mobile", "active", 14.0),
        ("a3", "savings", "closed", 99.0),
        ("a4", "savings", "active", 5.25),
        ("a5", "savings", "active", None),
        ("a9", None, "active", None),
    ]
    assert rows[-1].balance == -1200.0
    assert rows[-1].role == "primary"
    assert run_query(store, "customer_holdings", customerId="nobody") == []


def test_customer_touchpoints_newest_first_bounded(store: GraphStore) -> None:
    _fixture(store)
    store.upsert_nodes("Agent", [{"id": "ag1"}])
    store.upsert_nodes(
        "Touchpoint",
        [
            {
                "id": f"t{i}",
                "occurred_at": f"2025-01-{i + 1:02d}T10:00:00Z",
                "channel": "web" if i % 3 else "call_center",
                "kind": "visit" if i % 3 else "complaint",
                "resolution_status": None if i % 3 else "open",
            }
            for i in range(9)
        ]
        + [{"id": "t9", "occurred_at": "2025-01-09T10:00:00Z", "channel": "web", "kind": "visit"}],
    )
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow("ann", f"t{i}") for i in range(10)]
    )
    store.upsert_relationships("HANDLED_BY", "Touchpoint", "Agent", [RelRow("t6", "ag1")])
    latest = run_query(store, "customer_touchpoints", customerId="ann", channel="", first=3)
    assert [t.id for t in latest] == ["t9", "t8", "t7"]
    calls = run_query(
        store, "customer_touchpoints", customerId="ann", channel="call_center", first=10
    )
    assert [(t.id, t.kind, t.resolution_status, t.agent_id) for t in calls] == [
        ("t6", "complaint", "open", "ag1"),
        ("t3", "complaint", "open", None),
        ("t0", "complaint", "open", None),
    ]
    with pytest.raises(QueryParameterError, match="first must be between 1 and 500"):
        run_query(store, "customer_touchpoints", customerId="ann", channel="", first=0)
    # Paging: t8 and t9 share a moment; the page after t9 starts at t8, then goes on.
    older = run_query(
        store, "customer_touchpoints", customerId="ann", channel="", first=3,
        beforeTime="2025-01-09T10:00:00Z", beforeId="t9",
    )  # fmt: skip
    assert [t.id for t in older] == ["t8", "t7", "t6"]


def test_customer_360(store: GraphStore) -> None:
    _fixture(store)
    store.upsert_nodes(
        "Customer",
        [{"id": "ann", "email": "ann@example.com", "national_id": "123", "lifetime_value": 1500.0}],
    )
    store.upsert_nodes(
        "Touchpoint",
        [
            {"id": "t1", "occurred_at": "2025-01-01T10:00:00Z", "channel": "web", "kind": "visit"},
            {
                "id": "t2",
                "occurred_at": "2025-01-02T10:00:00Z",
                "channel": "call_center",
                "kind": "complaint",
                "resolution_status": "open",
                "category": "billing",
            },
            {"id": "t3", "occurred_at": "2025-01-03T10:00:00Z", "channel": "web", "kind": "visit"},
            {
                "id": "t4",
                "occurred_at": "2025-01-04T10:00:00Z",
                "channel": "call_center",
                "kind": "complaint",
                "resolution_status": "resolved",
            },
        ],
    )
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow("ann", f"t{i}") for i in range(1, 5)]
    )
    store.upsert_nodes(
        "Consent",
        [
            {"id": "k1", "purpose": "marketing", "channel": "email", "granted": True},
            {"id": "k2", "purpose": "marketing", "channel": "phone", "granted": False},
        ],
    )
    store.upsert_relationships(
        "HAS_CONSENT", "Customer", "Consent", [RelRow("ann", "k2"), RelRow("ann", "k1")]
    )
    view = run_query(store, "customer_360", customerId="ann", first=2)
    assert view.customer["email"] == "ann@example.com"
    assert view.customer["lifetime_value"] == 1500.0
    assert "national_id" not in view.customer
    assert [s.system for s in view.sources] == ["billing", "web"]
    assert [m.customer_id for m in view.household_members] == ["ann", "bob"]
    assert [h.account_id for h in view.holdings] == ["a1", "a2", "a3", "a4", "a5"]
    assert [t.id for t in view.touchpoints] == ["t4", "t3"]
    assert [(c.id, c.category) for c in view.open_complaints] == [("t2", "billing")]
    assert [(k.channel, k.granted) for k in view.consents] == [("email", True), ("phone", False)]
    assert [(c.channel, c.uses) for c in view.preferred_channels] == [
        ("call_center", 2),
        ("web", 2),
    ]
    bare = run_query(store, "customer_360", customerId="cy", first=5)
    assert (bare.sources, bare.holdings, bare.touchpoints, bare.preferred_channels) == (
        (),
        (),
        (),
        (),
    )
    assert run_query(store, "customer_360", customerId="nobody", first=5) is None


def test_search_customers(store: GraphStore) -> None:
    people = {
        "c1": ("Wang Xiaoming", {"email": "x@example.com"}),
        "c2": ("Ｗａｎｇ Li", {"phone": "+8613800000000"}),
        "c3": ("x@example.com fan club", {}),
        "c4": ("王伟", {}),
        "c5": ("John Smith", {}),
        "c6": ("Joan Smythe-Davies", {}),
    }
    store.upsert_nodes(
        "Customer",
        [
            {
                "id": key,
                "name": name,
                "name_normalized": normalize_name(name),
                "name_keys": " ".join(name_keys(name)),
                **extra,
            }
            for key, (name, extra) in people.items()
        ],
    )
    store.upsert_nodes("SourceRecord", [{"id": "web:W9", "source_record_id": "W9"}])
    store.upsert_relationships("RESOLVED_TO", "SourceRecord", "Customer", [RelRow("web:W9", "c2")])

    def search(text: str, first: int = 10) -> list[tuple[str, tuple[str, ...]]]:
        return [(h.customer_id, h.matched_on) for h in run_query(store, "search_customers", text=text, first=first)]  # fmt: skip

    both = ("name", "similar_name")
    assert search("  WANG ") == [("c1", both), ("c2", both), ("c4", ("similar_name",))]
    assert search("Ｗａｎｇ x") == [("c1", ("name",))]
    assert search("x@example.com") == [("c1", ("email",)), ("c3", both)]
    # Emails are stored normalised (lower case, no +tag): found however they are typed.
    assert search(" X@Example.COM ")[0] == ("c1", ("email",))
    assert search("x+newsletter@example.com")[0] == ("c1", ("email",))
    assert search("W9", first=5) == [("c2", ("source_id",))]
    assert search("+8613800000000", first=5)[0] == ("c2", ("phone",))
    # Typos, word order, Chinese characters for pinyin and back.
    assert search("jhon smiht")[0] == ("c5", ("similar_name",))
    assert search("Smith, John")[0] == ("c5", ("similar_name",))
    assert search("wang wei") == [("c4", ("similar_name",))]
    assert search("Wangwei") == [("c4", ("similar_name",))]
    assert search("王偉") == [("c4", ("similar_name",))]
    assert search("王小明") == [("c1", ("similar_name",))]
    hits = run_query(store, "search_customers", text="wang wei", first=1)
    assert hits[0].similarity == 1.0
    assert search("nobody") == []
    with pytest.raises(QueryParameterError, match="text must not be empty"):
        run_query(store, "search_customers", text="  ", first=5)
    with pytest.raises(QueryParameterError, match="at most 200 characters"):
        run_query(store, "search_customers", text="x" * 201, first=5)


def test_ego_network(store: GraphStore) -> None:
    _people(store)
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
    _people(store)
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


def test_contact_frequency_against_a_target(store: GraphStore) -> None:
    store.upsert_nodes("Agent", [{"id": "ao1"}, {"id": "ao2"}])
    store.upsert_nodes(
        "Customer",
        [{"id": k, "name": k.upper(), "value_tier": "gold"} for k in ("c1", "c2", "c3", "c4")],
    )
    store.upsert_relationships(
        "OWNED_BY",
        "Customer",
        "Agent",
        [RelRow("c1", "ao1"), RelRow("c2", "ao1"), RelRow("c3", "ao1"), RelRow("c4", "ao2")],
    )
    touchpoints = [
        ("t1", "c1", "sales_call", "2025-03-01T10:00:00Z"),
        ("t2", "c1", "sales_visit", "2025-04-01T10:00:00Z"),
        ("t3", "c1", "sales_call", "2025-07-01T00:00:00Z"),  # outside [from, to)
        ("t4", "c2", "sales_call", "2025-02-01T10:00:00Z"),
        ("t5", "c2", "complaint", "2025-02-02T10:00:00Z"),  # not a sales contact
        ("t6", "c4", "sales_call", "2025-02-01T10:00:00Z"),
    ]
    store.upsert_nodes(
        "Touchpoint", [{"id": t, "kind": k, "occurred_at": at} for t, _, k, at in touchpoints]
    )
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow(c, t) for t, c, _, _ in touchpoints]
    )
    rows = run_query(
        store,
        "contact_frequency",
        agentId="ao1",
        **{"from": "2025-01-01", "to": "2025-07-01", "target": 2},
    )
    assert [(r.customer_id, r.contacts, r.on_target) for r in rows] == [
        ("c3", 0, False),
        ("c2", 1, False),
        ("c1", 2, True),
    ]
    assert rows[0].value_tier == "gold"
    assert (
        run_query(
            store,
            "contact_frequency",
            agentId="nobody",
            **{"from": "2025-01-01", "to": "2025-07-01", "target": 2},
        )
        == []
    )
    with pytest.raises(QueryParameterError, match="from must be before to"):
        run_query(
            store,
            "contact_frequency",
            agentId="ao1",
            **{"from": "2025-07-01", "to": "2025-01-01", "target": 2},
        )


def test_campaign_response_by_channel_and_tier(store: GraphStore) -> None:
    store.upsert_nodes("Campaign", [{"id": "K1"}])
    store.upsert_nodes(
        "Customer",
        [
            {"id": "c1", "value_tier": "gold"},
            {"id": "c2", "value_tier": "gold"},
            {"id": "c3"},
            {"id": "c4"},
        ],
    )
    tps = [
        ("k1", "c1", "email", "PART_OF", None),
        ("k1b", "c1", "email", "PART_OF", None),  # contacted twice: counted once
        ("k2", "c2", "email", "PART_OF", None),
        ("k3", "c3", "email", "PART_OF", None),
        ("k4", "c4", "sms", "PART_OF", None),
        ("r1", "c1", "web", "RESPONDED_TO", True),
        ("r1b", "c1", "web", "RESPONDED_TO", False),
        ("r3", "c3", "email", "RESPONDED_TO", False),
        ("r4", "c4", "sms", "RESPONDED_TO", True),
    ]
    store.upsert_nodes("Touchpoint", [{"id": t, "channel": ch} for t, _, ch, _, _ in tps])
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow(c, t) for t, c, _, _, _ in tps]
    )
    store.upsert_relationships(
        "PART_OF",
        "Touchpoint",
        "Campaign",
        [RelRow(t, "K1") for t, _, _, rel, _ in tps if rel == "PART_OF"],
    )
    store.upsert_relationships(
        "RESPONDED_TO",
        "Touchpoint",
        "Campaign",
        [
            RelRow(t, "K1", {"converted": conv})
            for t, _, _, rel, conv in tps
            if rel == "RESPONDED_TO"
        ],
    )
    cells = run_query(store, "campaign_response", campaignId="K1")
    assert [(c.channel, c.tier, c.contacted, c.responses, c.conversions) for c in cells] == [
        ("email", "gold", 2, 1, 1),
        ("email", "none", 1, 1, 0),
        ("sms", "none", 1, 1, 1),
    ]
    assert (cells[0].response_rate, cells[0].conversion_rate) == (0.5, 0.5)
    assert run_query(store, "campaign_response", campaignId="nope") == []


def test_batches_answer_like_the_single_customer_queries(store: GraphStore) -> None:
    _fixture(store)
    ids = ["ann", "bob", "cy", "nobody", "ann"]
    holdings = run_query(store, "customers_holdings", customerIds=ids)
    values = run_query(store, "customers_value", customerIds=ids)
    households = run_query(store, "customers_households", customerIds=ids)
    for customer in ("ann", "bob", "cy"):
        assert holdings.get(customer, []) == run_query(
            store, "customer_holdings", customerId=customer
        )
        assert values[customer] == run_query(store, "customer_value", customerId=customer)
        assert households.get(customer, []) == run_query(
            store, "household_members", customerId=customer
        )
    assert holdings["ann"]
    assert households["bob"]
    assert "nobody" not in values
    assert "nobody" not in holdings
    with pytest.raises(QueryParameterError, match="at most 500"):
        run_query(store, "customers_value", customerIds=[str(i) for i in range(501)])
    with pytest.raises(QueryParameterError, match="must be list"):
        run_query(store, "customers_value", customerIds="ann")


def _capture_events(store: GraphStore, events: list[dict[str, Any]], tmp_path: Path) -> None:
    summary = _capture(store, events, tmp_path)
    assert summary.rejected == 0, summary.results


def test_shelf_interactions_and_pickup_to_purchase_conversion(
    store: GraphStore, tmp_path: Path
) -> None:
    from epcis.epc import canonical_epc
    from epcis.shelf_signals import SHELF_PICKUP, SHELF_PUTDOWN
    from queries.shelf import ShelfCount, ShelfInteraction

    shop, other = "urn:epc:id:sgln:0614141.00001.0", "urn:epc:id:sgln:0614141.00002.0"
    shelf_a, shelf_b = "urn:epc:id:sgln:0614141.00001.1", "urn:epc:id:sgln:0614141.00001.2"
    store.upsert_nodes(
        "Product",
        [
            {"id": "RT-PHONE", "name": "Phone", "gtin": "10614141073464"},
            {"id": "RT-KETTLE", "name": "Kettle", "gtin": "10614141099990"},
        ],
    )
    store.upsert_nodes("Location", [{"id": canonical_epc(shop)}, {"id": canonical_epc(other)}])
    # As the purchases loader writes them: a store purchase's store|time sale key.
    store.upsert_nodes(
        "Purchase",
        [
            {"id": pid, "purchased_at": when, "store_sale": store_bucket(canonical_epc(at), when)}
            for pid, when, at in (
                ("P1", "2026-05-01T11:00:00Z", shop),
                ("P2", "2026-05-02T09:00:00Z", shop),
                ("P3", "2026-06-01T00:00:00Z", shop),  # after the window
                ("P4", "2026-05-01T12:00:00Z", other),  # another store
            )
        ],
    )
    store.upsert_relationships(
        "INCLUDES",
        "Purchase",
        "Product",
        [
            RelRow("P1", "RT-PHONE", {"quantity": 1}),
            RelRow("P1", "RT-KETTLE", {"quantity": 2}),
            RelRow("P2", "RT-PHONE", {"quantity": 2}),
            RelRow("P3", "RT-PHONE", {"quantity": 5}),
            RelRow("P4", "RT-PHONE", {"quantity": 7}),
        ],
    )
    store.upsert_relationships(
        "AT",
        "Purchase",
        "Location",
        [RelRow(p, canonical_epc(shop)) for p in ("P1", "P2", "P3")]
        + [RelRow("P4", canonical_epc(other))],
    )
    # Written around the purchase loader: their daily store sales made as it keeps them.
    from epcis.store_sales import rebuild

    assert rebuild(store) == 5  # shop: 05-01 x 2 products, 05-02, 06-01; other: 05-01

    def at(shelf: str, where: str = shop) -> dict[str, Any]:
        return {"readPoint": {"id": shelf}, "bizLocation": {"id": where}}

    events = [
        object_event("s1", SHELF_PICKUP, "2026-05-01T10:05:00Z", 1, **at(shelf_a)),
        object_event("s2", SHELF_PUTDOWN, "2026-05-01T10:07:00Z", 1, **at(shelf_a)),
        object_event("s3", SHELF_PICKUP, "2026-05-01T10:30:00Z", 2, **at(shelf_b)),
        object_event("s4", SHELF_PICKUP, "2026-05-02T18:00:00Z", 3, **at(shelf_a)),
        object_event("s5", SHELF_PICKUP, "2026-05-31T23:59:00Z", 4, **at(shelf_b)),
        object_event("s6", SHELF_PICKUP, "2026-06-01T00:00:00Z", 5, **at(shelf_a)),  # after
        object_event("s7", SHELF_PICKUP, "2026-05-01T10:00:00Z", 6, **at(other + "9", other)),
        {
            **object_event("k1", SHELF_PICKUP, "2026-05-03T10:00:00Z", 0, **at(shelf_b)),
            "epcList": [],
            "quantityList": [{"epcClass": "urn:epc:idpat:sgtin:0614141.109999.*", "quantity": 3}],
        },
    ]
    _capture_events(store, events, tmp_path)
    may = {"store": shop, "from": "2026-05-01", "to": "2026-06-01"}
    phone = ShelfInteraction(
        "10614141073464",
        "RT-PHONE",
        "Phone",
        pickups=4,
        putdowns=1,
        purchased=3,
        conversion=0.75,
        shelves=(
            ShelfCount(canonical_epc(shelf_a), 2, 1),
            ShelfCount(canonical_epc(shelf_b), 2, 0),
        ),
    )
    kettle = ShelfInteraction(
        "10614141099990",
        "RT-KETTLE",
        "Kettle",
        3,
        0,
        2,
        0.6667,
        (ShelfCount(canonical_epc(shelf_b), 3, 0),),
    )
    assert run_query(store, "shelf_interactions", product="", **may) == [phone, kettle]
    assert run_query(store, "shelf_interactions", product="RT-PHONE", **may) == [phone]
    # The store by its Digital Link, the window in another offset: 10:00-11:00 UTC.
    hour = run_query(
        store,
        "shelf_interactions",
        store=canonical_epc(shop),
        product="RT-PHONE",
        **{"from": "2026-05-01T12:00:00+02:00", "to": "2026-05-01T13:00:00+02:00"},
    )
    assert [(i.pickups, i.putdowns, i.purchased, i.conversion) for i in hour] == [(2, 1, 0, 0.0)]
    assert run_query(store, "shelf_interactions", product="RT-NOPE", **may) == []
    with pytest.raises(QueryParameterError, match="before"):
        run_query(store, "shelf_interactions", store=shop, product="", **{"from": "2026-06-01", "to": "2026-05-01"})  # fmt: skip


def test_end_of_life_from_cbv_steps_and_dispositions(store: GraphStore, tmp_path: Path) -> None:
    from queries.lifecycle import EndOfLife

    declared = {"errorDeclaration": {"declarationTime": "2026-07-01T00:00:00Z"}}
    events = [
        object_event("c1", "commissioning", "2026-05-01T10:00:00Z", 1),
        object_event("x1", "collecting", "2026-05-05T10:00:00Z", 1, disposition="disposed"),
        object_event("x2", "destroying", "2026-05-06T10:00:00Z", 1),
        object_event("x2", "destroying", "2026-05-06T10:00:00Z", 1, **declared),  # retracted
        object_event("r1", "receiving", "2026-05-02T10:00:00Z", 2, disposition="returned"),
        object_event("r2", "receiving", "2026-05-03T10:00:00Z", 3, disposition="returned"),
        object_event(
            "r3", "stocking", "2026-05-04T10:00:00Z", 3, disposition="sellable_accessible"
        ),
        object_event("d1", "decommissioning", "2026-05-04T10:00:00Z", 4, disposition="inactive"),
        object_event("z1", "disassembling", "2026-05-04T10:00:00Z", 5, disposition="destroyed"),
    ]
    _capture_events(store, events, tmp_path)

    def eol(serial: int) -> EndOfLife | None:
        answer: EndOfLife | None = run_query(
            store, "end_of_life", epc=f"urn:epc:id:sgtin:0614141.107346.{serial}"
        )
        return answer

    key = "https://id.gs1.org/01/10614141073464/21/"
    assert eol(1) == EndOfLife(
        key + "1", "recycled", "2026-05-05T10:00:00Z", "x1", "collecting", "disposed"
    )
    assert eol(2) == EndOfLife(key + "2", "returned", "2026-05-02T10:00:00Z", "r1", "receiving", "returned")  # fmt: skip
    assert eol(3) is None  # returned, then restocked
    assert [getattr(eol(n), "status", None) for n in (4, 5)] == ["decommissioned", "destroyed"]
    assert eol(9) is None


def _eligibility_catalogue(store: GraphStore) -> None:
    """Adult-only, person-only and mutually exclusive products; a 12-year-old, a
    16-year-old, a business and a fixed-rate mortgage holder, with their consents."""
    lines = {
        "broadband": [("BB-300", "Fibre 300", 5, {"min_age": 18, "excludes": ["BB-1000"]}),
                      ("BB-1000", "Fibre 1000", 2, {"min_age": 18})],
        "home_services": [("HS-BOILER", "Boiler cover", 4, {"min_age": 18, "customer_types": ["person"]})],
        "mortgage_fixed": [("MORT-FIX5", "Fixed-rate mortgage 5y", 3, {"min_age": 18, "customer_types": ["person"]})],
        "mortgage_variable": [("MORT-VAR", "Variable mortgage", 3, {"min_age": 18, "customer_types": ["person"], "excludes": ["MORT-FIX5"]})],
        "credit_card": [("CC-CLASSIC", "Classic card", 6, {"min_age": 18})],
        "mobile": [("MOB-UNL", "Mobile unlimited", 9, {"min_age": 18}),
                   ("MOB-10", "Mobile 10 GB", 3, {"min_age": 16})],
        "savings": [("SAV-EASY", "Easy-access savings", 1, {})],
    }  # fmt: skip
    store.upsert_nodes("ProductLine", [{"id": line, "name": line.title()} for line in lines])
    store.upsert_nodes(
        "Product",
        [{"id": p, "name": n, "holders": h, **t} for ps in lines.values() for p, n, h, t in ps],
    )
    store.upsert_relationships(
        "IN_LINE", "Product", "ProductLine",
        [RelRow(p[0], line) for line, ps in lines.items() for p in ps],
    )  # fmt: skip
    store.upsert_nodes(
        "Customer",
        [
            {"id": "kid", "kind": "person", "birth_date": "2014-03-01", "country": "US"},
            {"id": "teen", "kind": "person", "birth_date": "2010-01-01"},
            {"id": "acme", "kind": "organization", "name": "Acme Ltd"},
            {"id": "fay", "kind": "person", "birth_date": "1980-05-01"},
        ],
    )
    store.upsert_nodes("Holding", [{"id": "fay-m", "status": "active", "monthly_value": 900.0}])
    store.upsert_relationships("HOLDS", "Customer", "Holding", [RelRow("fay", "fay-m")])
    store.upsert_relationships("OF_PRODUCT", "Holding", "Product", [RelRow("fay-m", "MORT-FIX5")])
    consents = [
        ("acme", "any", True, "2024-01-01T00:00:00Z"),
        ("fay", "email", True, "2024-01-01T00:00:00Z"),
        ("fay", "phone", False, "2025-01-01T00:00:00Z"),
    ]
    store.upsert_nodes(
        "Consent",
        [{"id": f"k-{c}-{ch}", "purpose": "marketing", "channel": ch, "granted": g,
          "given_at" if g else "withdrawn_at": at} for c, ch, g, at in consents]
        + [{"id": "k-kid-3p", "purpose": "third_party_data", "channel": "any", "granted": True}],
    )  # fmt: skip
    store.upsert_relationships(
        "HAS_CONSENT", "Customer", "Consent",
        [RelRow(c, f"k-{c}-{ch}") for c, ch, _, _ in consents] + [RelRow("kid", "k-kid-3p")],
    )  # fmt: skip


def _next_best(store: GraphStore, customer: str, **params: Any) -> Any:
    return run_query(store, "next_best_products", customerId=customer, first=10, **params)


def test_next_best_products_offers_a_child_nothing_for_adults(store: GraphStore) -> None:
    _eligibility_catalogue(store)
    kid = _next_best(store, "kid", asOf="2026-06-30")
    assert kid.as_of == "2026-06-30"
    assert [(r.line, r.product_id) for r in kid.recommendations] == [("savings", "SAV-EASY")]
    assert {i.line: i.reasons for i in kid.ineligible} == {
        "broadband": ("Fibre 300: under 18 (age 12)", "Fibre 1000: under 18 (age 12)"),
        "credit_card": ("Classic card: under 18 (age 12)",),
        "home_services": ("Boiler cover: under 18 (age 12)",),
        "mobile": ("Mobile unlimited: under 18 (age 12)", "Mobile 10 GB: under 16 (age 12)"),
        "mortgage_fixed": ("Fixed-rate mortgage 5y: under 18 (age 12)",),
        "mortgage_variable": ("Variable mortgage: under 18 (age 12)",),
    }
    # Ages are taken today without asOf: still a child for years to come.
    assert [r.line for r in _next_best(store, "kid").recommendations] == ["savings"]
    with pytest.raises(QueryParameterError, match="asOf must be a date"):
        _next_best(store, "kid", asOf="soon")


def test_next_best_products_proposes_the_eligible_product_of_a_line(store: GraphStore) -> None:
    _eligibility_catalogue(store)
    teen = _next_best(store, "teen", asOf="2026-06-30")
    mobile = next(r for r in teen.recommendations if r.line == "mobile")
    assert (mobile.product_id, mobile.product_name) == ("MOB-10", "Mobile 10 GB")
    assert mobile.eligibility == (
        "Mobile 10 GB: age 16 (16+)",
        "Mobile unlimited not offered: under 18 (age 16)",
    )
    assert mobile.evidence == (
        "Mobile: held by 0% of all customers; Mobile 10 GB: age 16 (16+); Mobile unlimited "
        "not offered: under 18 (age 16); no marketing consent: offer only when the customer "
        "gets in touch"
    )


def test_next_best_products_gives_a_business_no_personal_product(store: GraphStore) -> None:
    _eligibility_catalogue(store)
    acme = _next_best(store, "acme", asOf="2026-06-30")
    assert [(r.line, r.product_id) for r in acme.recommendations] == [
        ("broadband", "BB-300"),
        ("credit_card", "CC-CLASSIC"),
        ("mobile", "MOB-UNL"),  # no age for a business
        ("savings", "SAV-EASY"),
    ]
    assert {i.line: i.reasons for i in acme.ineligible} == {
        "home_services": ("Boiler cover: personal customers only",),
        "mortgage_fixed": ("Fixed-rate mortgage 5y: personal customers only",),
        "mortgage_variable": ("Variable mortgage: personal customers only",),
    }
    assert {r.consent_allows for r in acme.recommendations} == {
        ("email", "phone", "post", "sms", "web")
    }


def test_next_best_products_a_fixed_rate_mortgage_excludes_the_variable_one(
    store: GraphStore,
) -> None:
    _eligibility_catalogue(store)
    fay = _next_best(store, "fay", asOf="2026-06-30")
    assert fay.held_lines == ("mortgage_fixed",)
    assert [i.line for i in fay.ineligible] == ["mortgage_variable"]
    assert fay.ineligible[0].reasons == (
        "Variable mortgage: excluded by held Fixed-rate mortgage 5y",
    )
    assert "mortgage_variable" not in [r.line for r in fay.recommendations]
    broadband = fay.recommendations[0]
    assert (broadband.line, broadband.product_id) == ("broadband", "BB-300")
    assert broadband.eligibility == ("Fibre 300: age 46 (18+)",)
    # Marketing by email only: the phone consent was withdrawn.
    assert broadband.consent_allows == ("email",)
    assert broadband.evidence.endswith("; Fibre 300: age 46 (18+); marketing consent: email")


def test_next_best_products_does_not_offer_again_a_line_closed_recently(
    store: GraphStore,
) -> None:
    _eligibility_catalogue(store)
    store.upsert_nodes("Customer", [{"id": "gus", "kind": "person", "birth_date": "1970-01-01"}])
    holdings = [
        ("gus-sav", "SAV-EASY", "active", None),
        ("gus-mob", "MOB-10", "closed", "2026-05-21"),  # 40 days before asOf
        ("gus-mob0", "MOB-10", "closed", "2024-01-01"),  # an older closure of the same
        ("gus-bb", "BB-1000", "closed", "2026-01-01"),  # 180 days before: still too soon
        ("gus-cc", "CC-CLASSIC", "closed", "2025-12-12"),  # 200 days: a win-back is fair
        ("gus-hs", "HS-BOILER", "suspended", None),  # not closed: does not block
    ]
    store.upsert_nodes(
        "Holding",
        [{"id": h, "status": s, **({"closed_on": on} if on else {})} for h, _, s, on in holdings],
    )
    store.upsert_relationships(
        "HOLDS", "Customer", "Holding", [RelRow("gus", h[0]) for h in holdings]
    )
    store.upsert_relationships(
        "OF_PRODUCT", "Holding", "Product", [RelRow(h, p) for h, p, _, _ in holdings]
    )
    gus = _next_best(store, "gus", asOf="2026-06-30")
    assert gus.held_lines == ("savings",)
    assert {i.line: i.reasons for i in gus.ineligible} == {
        "broadband": ("closed Fibre 1000 180 days ago",),
        "mobile": ("closed Mobile 10 GB 40 days ago",),
    }
    assert [r.line for r in gus.recommendations] == [
        "credit_card", "home_services", "mortgage_fixed", "mortgage_variable",
    ]  # fmt: skip
    # Half a year on, both lines may be offered again.
    later = _next_best(store, "gus", asOf="2026-12-31")
    assert later.ineligible == ()
    assert {"broadband", "mobile"} <= {r.line for r in later.recommendations}
    for as_of in ("2026-06-30", "2026-12-31"):
        _batch_answers_like_single(
            store, "customers_next_best_products", "next_best_products", "customerId",
            ["gus", "fay", "kid"], first=10, asOf=as_of,
        )  # fmt: skip


# ----------------------------------------------------------------------------- page batches

UNKNOWN_EPC = "urn:epc:id:sgtin:0614141.107346.9"


def _batch_answers_like_single(
    store: GraphStore,
    batch: str,
    single: str,
    subject: str,
    subjects: list[str],
    missing: str = "nobody",
    **params: Any,
) -> dict[str, Any]:
    """The batch over ``subjects`` (plus one that does not exist, and a repeat) maps each
    subject to exactly what the single-subject query answers for it."""
    ids = {"customerId": "customerIds", "householdId": "householdIds", "epc": "epcs"}.get(
        subject, f"{subject}s"
    )
    batched = run_query(store, batch, **{ids: [*subjects, missing, subjects[0]]}, **params)
    for one in subjects:
        expected = run_query(store, single, **{subject: one}, **params)
        empty: Any = [] if isinstance(expected, list) else None
        assert batched.get(one, empty) == expected, (batch, one)
    assert missing not in batched
    return dict(batched)


def _touchpoints_and_agents(store: GraphStore) -> None:
    store.upsert_nodes("Agent", [{"id": "ag1"}])
    store.upsert_nodes(
        "Touchpoint",
        [
            {
                "id": f"t{i}",
                "occurred_at": f"2025-0{1 + i % 3}-0{1 + i % 5}T10:00:00Z",
                "channel": "web" if i % 3 else "call_center",
                "kind": "visit" if i % 3 else "complaint",
                "direction": "inbound",
                "resolution_status": None if i % 3 else "open",
            }
            for i in range(9)
        ],
    )
    store.upsert_relationships(
        "HAD_TOUCHPOINT",
        "Customer",
        "Touchpoint",
        [RelRow("ann" if i % 2 else "bob", f"t{i}") for i in range(9)],
    )
    store.upsert_relationships("HANDLED_BY", "Touchpoint", "Agent", [RelRow("t6", "ag1")])


def test_page_batches_answer_like_the_single_subject_queries(store: GraphStore) -> None:
    _fixture(store)
    _people(store)
    _eligibility_catalogue(store)
    _touchpoints_and_agents(store)
    people = ["ann", "bob", "cy", "a", "b", "c", "d", "kid", "fay", "acme"]
    sources = _batch_answers_like_single(
        store, "customers_sources", "customer_sources", "customerId", people
    )
    assert [s.record_id for s in sources["ann"]] == ["B7", "1"]
    for channel, before in (("", ("", "")), ("call_center", ("", "")), ("", ("2025-02-02", "t9"))):
        touched = _batch_answers_like_single(
            store, "customers_touchpoints", "customer_touchpoints", "customerId", people,
            channel=channel, first=2, beforeTime=before[0], beforeId=before[1],
        )  # fmt: skip
        assert all(len(found) <= 2 for found in touched.values())
    assert _batch_answers_like_single(
        store, "customers_touchpoints", "customer_touchpoints", "customerId", people,
        channel="", first=10,
    )["ann"][0].agent_id is None  # fmt: skip
    for kind, first in (("", 1), ("", 50), ("referral", 50)):
        related = _batch_answers_like_single(
            store, "customers_related", "related_customers", "customerId", people,
            kind=kind, first=first,
        )  # fmt: skip
    assert [r.customer_id for r in related["c"]] == ["b", "e"]
    for as_of in ("2025-01-15", "2026-06-30"):
        risks = _batch_answers_like_single(
            store, "customers_churn_risk", "churn_risk", "customerId", people, asOf=as_of
        )
        assert set(risks) == set(people)
        best = _batch_answers_like_single(
            store, "customers_next_best_products", "next_best_products", "customerId", people,
            first=3, asOf=as_of,
        )  # fmt: skip
        assert "broadband" in {i.line for i in best["kid"].ineligible}  # adults only
    _batch_answers_like_single(
        store, "customers_items", "customer_items", "customerId", people, first=5
    )
    households = _batch_answers_like_single(
        store, "households_value", "household_value", "householdId", ["h1", "h"]
    )
    assert households["h1"].members == ("ann", "bob")
    _batch_answers_like_single(
        store, "households_white_space", "household_white_space", "householdId", ["h1", "h"],
        first=3,
    )  # fmt: skip


def test_page_batches_check_their_parameters_before_any_store_call() -> None:
    nobody: Any = None  # a resolver reaching for the store would fail, not answer
    with pytest.raises(QueryParameterError, match="first must be between 1 and 500"):
        run_query(nobody, "customers_touchpoints", customerIds=["a"], channel="", first=0)
    with pytest.raises(QueryParameterError, match="customerIds may hold at most 500 IDs"):
        run_query(nobody, "customers_churn_risk", customerIds=[str(i) for i in range(501)])
    with pytest.raises(QueryParameterError, match="asOf must be a date"):
        run_query(nobody, "customers_next_best_products", customerIds=["a"], first=3, asOf="x")
    with pytest.raises(QueryParameterError, match="first must be between 1 and 50,"):
        run_query(nobody, "households_white_space", householdIds=["h"], first=51)
    with pytest.raises(QueryParameterError, match="epc must not be empty"):
        run_query(nobody, "instances_location", epcs=["urn:epc:id:sgtin:0614141.107346.2", " "])
    with pytest.raises(QueryParameterError, match="epcs must be a list of EPC strings"):
        run_query(nobody, "instances_journey", epcs=[1], first=5)


SAMPLE_AS_OF = date(2026, 3, 1)


def _sample(store: GraphStore, tmp_path: Path, customers: int) -> None:
    """A generated sample loaded into the store as ``make demo`` does: every file, the
    EPCIS events, identity resolution and scoring (co-ownership rules)."""
    out = tmp_path / "sample"
    generate_sample(customers, 11, out, as_of=SAMPLE_AS_OF)
    plan = plan_directory(out, None)
    for item in plan.loads:
        rejects = tmp_path / "rejects" / f"{item.path.name}.jsonl"
        load_file(store, item.kind, item.path, item.system, rejects_path=rejects)
    for path in plan.captures:
        events = RejectsFile(tmp_path / "rejects" / f"{path.name}.jsonl", str(path), "epcis")
        try:
            capture(store, read_documents(path), events, keep_captured=False)
        finally:
            events.close()
    resolve_store(store, SAMPLE_AS_OF)
    assign_segments(store, SAMPLE_AS_OF)


def test_every_page_batch_answers_like_its_single_query_on_a_sample(
    store: GraphStore, tmp_path: Path
) -> None:
    _sample(store, tmp_path, 60)
    customers = store.keys_page("Customer", None, 1000)
    households = store.keys_page("Household", None, 1000)
    campaigns = store.keys_page("Campaign", None, 1000)
    items = store.keys_page("ProductInstance", None, 1000)
    as_of = SAMPLE_AS_OF.isoformat()
    found = {
        "sources": _batch_answers_like_single(
            store, "customers_sources", "customer_sources", "customerId", customers
        ),
        "touchpoints": _batch_answers_like_single(
            store, "customers_touchpoints", "customer_touchpoints", "customerId", customers,
            channel="", first=5,
        ),
        "related": _batch_answers_like_single(
            store, "customers_related", "related_customers", "customerId", customers,
            kind="", first=3,
        ),
        "churn": _batch_answers_like_single(
            store, "customers_churn_risk", "churn_risk", "customerId", customers, asOf=as_of
        ),
        "next best": _batch_answers_like_single(
            store, "customers_next_best_products", "next_best_products", "customerId",
            customers, first=3, asOf=as_of,
        ),
        "items": _batch_answers_like_single(
            store, "customers_items", "customer_items", "customerId", customers, first=5
        ),
        "household value": _batch_answers_like_single(
            store, "households_value", "household_value", "householdId", households
        ),
        "white space": _batch_answers_like_single(
            store, "households_white_space", "household_white_space", "householdId",
            households, first=3,
        ),
        "campaigns": _batch_answers_like_single(
            store, "campaigns_response", "campaign_response", "campaignId", campaigns
        ),
        "location": _batch_answers_like_single(
            store, "instances_location", "current_location", "epc", items, UNKNOWN_EPC
        ),
        "journey": _batch_answers_like_single(
            store, "instances_journey", "product_journey", "epc", items, UNKNOWN_EPC, first=20
        ),
        "custody": _batch_answers_like_single(
            store, "instances_custody", "chain_of_custody", "epc", items, UNKNOWN_EPC, first=20
        ),
    }  # fmt: skip
    # The sample exercises every question: each batch has answers to compare.
    assert all(found.values()), [name for name, answers in found.items() if not answers]
    assert any(step.container for steps in found["journey"].values() for step in steps)
    # An item written as a Digital Link is answered under that spelling.
    link = "https://id.gs1.org/01/06141410000007/21/2"
    assert link in run_query(store, "instances_location", epcs=[link])
