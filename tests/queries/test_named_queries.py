"""Conformance: the customer-view named queries (sources, household, value, holdings,
touchpoints, the 360, search) give the same, hand-checked answer on every store; every query
is declared, documented and checks its parameters before any store call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from graph.store import GraphStore, RelRow
from identity.names import name_keys, normalize_name
from queries.base import QueryParameterError, UnknownQueryError
from queries.customer_holdings import holdings_many
from queries.customer_sources import SourceLink
from queries.customer_sql import sql_store
from queries.customer_value import CustomerValue, LineValue, value_many
from queries.engine import QUERIES, run_query
from queries.household_members import HouseholdMember
from queries.household_value import HouseholdValue
from tests.support.named_fixture import named_fixture
from tests.support.paths import DOCS


def test_customer_sources(store: GraphStore) -> None:
    named_fixture(store)
    assert run_query(store, "customer_sources", customerId="ann") == [
        SourceLink("billing", "B7", "singleton", 1.0),
        SourceLink("web", "1", "email", 0.97),
    ]
    assert run_query(store, "customer_sources", customerId="nobody") == []


def test_household_members(store: GraphStore) -> None:
    named_fixture(store)
    expected = [
        HouseholdMember("h1", "ann", "Ann", "head", "35-44"),
        HouseholdMember("h1", "bob", "Bob", "partner", None),
    ]
    assert run_query(store, "household_members", customerId="bob") == expected
    assert run_query(store, "household_members", customerId="cy") == []


def test_customer_value(store: GraphStore) -> None:
    named_fixture(store)
    ann = run_query(store, "customer_value", customerId="ann")
    assert ann == CustomerValue(
        "ann", (LineValue("mobile", "Mobile", 2, 34.5), LineValue("savings", "Savings", 2, 5.25)), 3
    )
    assert ann.total_monthly_value == 39.75
    assert ann.lines_held == 2
    assert run_query(store, "customer_value", customerId="cy") == CustomerValue("cy", (), 3)
    assert run_query(store, "customer_value", customerId="nobody") is None


class _Walking:
    """The store without its SQL reads: value is walked holding by holding, as on a file
    without the kept line table."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name == "read_sql":
            raise AttributeError(name)
        return getattr(self._store, name)


@pytest.mark.parametrize("batch", [value_many, holdings_many], ids=["value", "holdings"])
def test_sql_reads_answer_as_the_walk_through_the_port(
    store: GraphStore, batch: Callable[[GraphStore, list[str]], list[Any]]
) -> None:
    if sql_store(store) is None:
        pytest.skip("only the embedded store reads in SQL")
    named_fixture(store)
    people = ["ann", "bob", "cy", "nobody"]
    before = batch(store, people)
    assert before == batch(cast(GraphStore, _Walking(store)), people)
    # A write both must follow (the kept line table on write): one of Ann's holdings closes.
    store.upsert_nodes("Holding", [{"id": "a1", "status": "closed", "monthly_value": 20.5}])
    after = batch(store, people)
    assert after != before
    assert after == batch(cast(GraphStore, _Walking(store)), people)


def test_household_value_counts_a_joint_account_once(store: GraphStore) -> None:
    named_fixture(store)
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
    named_fixture(store)
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
    named_fixture(store)
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
    named_fixture(store)
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
