"""The embedded store's compiled SQL gives the in-memory scan's answers, shape by shape,
including the awkward values: missing properties, numbers where text is usual, lists,
text that looks like a JSON list, holdings without a product."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.embedded import EmbeddedStore
from graph.errors import StoreError
from graph.store import RelRow
from queries import customer_sql
from queries.customer_filter import AllOf, AnyOf, Compare, Filter, Not, Order, Related
from queries.customer_list import aggregate_customers, list_customers
from tests.support.named_fixture import RECENT_COMPLAINT, customer_list_fixture


class _ScanOnly:
    """The store without its SQL reader: the list falls back to the in-memory scan."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name in ("read_sql", "codes", "has_rollups"):
            raise AttributeError(name)
        return getattr(self._store, name)


class _NoRollups:
    """The store as a file without the rollup tables reads: values computed per query."""

    has_rollups = False

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[EmbeddedStore, Any]]:
    store = EmbeddedStore(tmp_path / "store.sqlite")
    store.apply_schema()
    customer_list_fixture(store)
    store.upsert_nodes(
        "Customer",
        [
            # Odd values the model does not forbid: the SQL must not match them where
            # Python's comparison would refuse.
            {"id": "eve", "name": "[Eve]", "city": ["Oslo", "Bergen"], "lifetime_value": "900"},
            {"id": "fay", "name": "Fay", "value_tier": "gold", "lifetime_value": 120},
            {"id": "gus", "name": "gus", "city": "Østfold", "churn_score": 0.5},
        ],
    )
    store.upsert_nodes(
        "Holding",
        [
            {"id": "f1", "status": "active", "monthly_value": 7.5},
            {"id": "f2", "status": "active", "monthly_value": "12"},  # not a number
            {"id": "g1", "status": "pending", "monthly_value": 3.0},
        ],
    )
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow("fay", "f1"), RelRow("fay", "f2"), RelRow("gus", "g1"), RelRow("eve", "a4")],
    )
    store.upsert_relationships(
        "OF_PRODUCT", "Holding", "Product", [RelRow("f1", "MOB"), RelRow("g1", "SAV")]
    )  # f2 has no product
    store.upsert_nodes(
        "Touchpoint",
        [
            {
                "id": "t5",
                "kind": "complaint",
                "occurred_at": "2026-11-02T09:00:00Z",
                "channel": "web",
            }
        ],
    )
    store.upsert_relationships("HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow("gus", "t5")])
    yield store, _ScanOnly(store)
    store.close()


FILTERS: list[Filter | None] = [
    None,
    Compare("id", "eq", "bob"),
    Compare("id", "in", ["bob", "zed", "gus"]),
    Compare("id", "gt", "cy"),
    Compare("id", "starts_with", "d"),
    Compare("id", "contains", "u"),
    Compare("id", "eq", 7),
    Compare("value_tier", "eq", "gold"),
    Compare("value_tier", "in", ["gold", "bronze"]),
    Compare("value_tier", "in", []),
    Compare("lifetime_value", "gte", 120),
    Compare("lifetime_value", "lt", 500.0),
    Compare("lifetime_value", "gt", "1"),
    Compare("lifetime_value", "eq", "900"),
    Compare("churn_score", "lte", 0.5),
    Compare("name", "starts_with", "B"),
    Compare("name", "starts_with", "["),
    Compare("name", "starts_with", ""),
    Compare("name", "eq", "[Eve]"),
    Compare("name", "lt", "C"),
    Compare("name", "gte", "D"),
    Compare("city", "contains", "erg"),
    Compare("city", "contains", "Oslo"),
    Compare("city", "eq", "Oslo"),
    Compare("city", "in", ["Oslo", '["Oslo", "Bergen"]']),
    Compare("city", "starts_with", "Ø"),
    Not(Compare("city", "eq", "Oslo")),
    Not(AnyOf((Compare("city", "eq", "Oslo"), Compare("lifetime_value", "gt", 100)))),
    AnyOf(()),
    AllOf(()),
    Not(AllOf(())),
    RECENT_COMPLAINT,
    Related("touchpoints", "some", (Compare("channel", "eq", "web"),)),
    Related("touchpoints", "none", (Compare("kind", "eq", "complaint"),)),
    Related("touchpoints", "none", ()),
    Related("touchpoints", "some", (Compare("kind", "in", []),)),
    Related(
        "touchpoints",
        "some",
        (
            Compare("kind", "in", ["complaint", "inquiry"]),
            Compare("occurred_at", "lt", "2026-10-21"),
        ),
    ),
    Related("touchpoints", "some", (Compare("occurred_at", "gte", "2026-10-21"),)),
    Related("touchpoints", "some", ()),
    Related("holdings", "some", (Compare("line", "in", ["mobile", "tv"]),)),
    Related("holdings", "none", (Compare("line", "eq", "mobile"),)),
    Related(
        "holdings", "some", (Compare("product", "eq", "SAV"), Compare("status", "eq", "active"))
    ),
    Related("holdings", "some", (Compare("status", "in", ["pending", "closed"]),)),
    Related("holdings", "none", ()),
    AllOf(
        (
            Compare("value_tier", "in", ["gold", "silver"]),
            RECENT_COMPLAINT,
            Related("holdings", "none", (Compare("line", "eq", "mobile"),)),
        )
    ),
    Not(AllOf((Compare("city", "eq", "Oslo"), RECENT_COMPLAINT))),
    # A driving Related with others probed per candidate (correlated).
    AllOf(
        (
            Related("touchpoints", "some", (Compare("kind", "eq", "complaint"),)),
            Related("touchpoints", "some", (Compare("channel", "eq", "web"),)),
            Related("holdings", "some", (Compare("status", "eq", "active"),)),
            Related("touchpoints", "none", (Compare("occurred_at", "lt", "2026-09-01"),)),
        )
    ),
    AllOf((RECENT_COMPLAINT, AnyOf((Compare("value_tier", "eq", "gold"), Not(RECENT_COMPLAINT))))),
]
ORDERS: list[list[Order]] = [
    [],
    [Order("total_value", descending=True)],
    [Order("total_value")],
    [Order("touchpoint_count", descending=True)],
    [Order("holdings_count"), Order("name", descending=True)],
    [Order("lifetime_value")],
    [Order("churn_score", descending=True), Order("id", descending=True)],
    [Order("city")],  # a list among strings sorts as the scan would not: see below
]


@pytest.mark.parametrize("where", FILTERS, ids=repr)
def test_sql_lists_what_the_scan_lists(stores: tuple[EmbeddedStore, Any], where: Filter) -> None:
    sql, scan = stores
    assert sql.has_rollups
    assert customer_sql.sql_store(sql) is sql
    assert customer_sql.sql_store(scan) is None
    for order in ORDERS:
        if order == [Order("city")] or order == [Order("lifetime_value")]:
            continue  # mixed types in one property: the scan cannot order them at all
        scanned = list_customers(scan, where, order, 100, None)
        for compiled in (
            list_customers(sql, where, order, 100, None),
            list_customers(_NoRollups(sql), where, order, 100, None),
        ):
            assert (compiled.ids, compiled.total) == (scanned.ids, scanned.total), order


@pytest.mark.parametrize("where", FILTERS, ids=repr)
def test_sql_aggregates_what_the_scan_aggregates(
    stores: tuple[EmbeddedStore, Any], where: Filter
) -> None:
    sql, scan = stores
    scanned = aggregate_customers(scan, where)
    assert aggregate_customers(sql, where) == scanned
    assert aggregate_customers(_NoRollups(sql), where) == scanned


def test_pages_follow_on_in_sql(stores: tuple[EmbeddedStore, Any]) -> None:
    sql, scan = stores
    order = [Order("total_value", descending=True)]
    seen: list[str] = []
    after = None
    while True:
        page = list_customers(sql, None, order, 2, after)
        seen += page.ids
        after = page.end_cursor
        if not page.has_next:
            break
    assert seen == list_customers(scan, None, order, 100, None).ids
    assert len(seen) == 7


def test_values_never_enter_the_sql_text(stores: tuple[EmbeddedStore, Any]) -> None:
    sql, _ = stores
    where = AllOf((Compare("name", "eq", "x' OR 1=1 --"), RECENT_COMPLAINT))
    compiled = customer_sql.compile_list(sql.codes, where, [Order("total_value")], False)
    assert "OR 1=1" not in compiled.page + compiled.count
    assert "x' OR 1=1 --" in compiled.params.values()
    assert list_customers(sql, where, [], 10, None).ids == []


def _same_everywhere(store: EmbeddedStore) -> None:
    """Lists sorted by every rollup, and aggregates, agree on all three paths."""
    paths = (store, _NoRollups(store), _ScanOnly(store))
    for where in (None, Compare("value_tier", "eq", "gold"), RECENT_COMPLAINT):
        for order in (
            [Order("total_value", descending=True)],
            [Order("holdings_count")],
            [Order("touchpoint_count", descending=True)],
        ):
            found = [list_customers(p, where, order, 100, None) for p in paths]  # type: ignore[arg-type]
            assert len({(tuple(f.ids), f.total) for f in found}) == 1, (where, order, found)
        totals = [aggregate_customers(p, where) for p in paths]  # type: ignore[arg-type]
        assert totals[0] == totals[1] == totals[2], (where, totals)
    [(rows,)] = store.read_sql("SELECT count(*) FROM rollups", {})
    assert rows == store.counts().nodes["Customer"]


def test_rollups_follow_every_write(stores: tuple[EmbeddedStore, Any]) -> None:
    store, _ = stores
    _same_everywhere(store)
    steps: list[Any] = [
        lambda: store.upsert_nodes(
            "Holding", [{"id": "a1", "monthly_value": 30.0}, {"id": "a3", "status": "active"}]
        ),
        lambda: store.upsert_relationships("HOLDS", "Customer", "Holding", [RelRow("cy", "a2")]),
        lambda: store.delete_relationships("HOLDS", "Customer", "Holding", [RelRow("ann", "a1")]),
        lambda: store.delete_nodes("Holding", ["a4"]),
        lambda: store.upsert_nodes("Customer", [{"id": "hal", "value_tier": "gold"}]),
        lambda: store.upsert_nodes("Customer", [{"id": "ann", "lifetime_value": 50.0}]),
        lambda: store.delete_relationships(
            "OF_PRODUCT", "Holding", "Product", [RelRow("a2", "MOB2")]
        ),
        lambda: store.upsert_relationships(
            "OF_PRODUCT", "Holding", "Product", [RelRow("a2", "SAV")]
        ),
        lambda: store.delete_relationships(
            "IN_LINE", "Product", "ProductLine", [RelRow("MOB", "mobile")]
        ),
        lambda: store.upsert_relationships(
            "IN_LINE", "Product", "ProductLine", [RelRow("MOB", "tv")]
        ),
        lambda: store.delete_nodes("ProductLine", ["tv"]),
        lambda: store.delete_nodes("Product", ["SAV"]),
        lambda: store.delete_nodes("Touchpoint", ["t1"]),
        lambda: store.upsert_relationships(
            "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow("hal", "t3"), RelRow("hal", "t4")]
        ),
        lambda: store.delete_nodes("Customer", ["bob"]),
    ]
    for n, step in enumerate(steps):
        step()
        try:
            _same_everywhere(store)
        except AssertionError as exc:
            raise AssertionError(f"after step {n}: {exc}") from None
    with store.atomic():  # one transaction: its reads see its rollups
        store.upsert_nodes("Holding", [{"id": "z1", "status": "active", "monthly_value": 999.0}])
        store.upsert_relationships("HOLDS", "Customer", "Holding", [RelRow("gus", "z1")])
        top = list_customers(store, None, [Order("total_value", descending=True)], 1, None)
        assert top.ids == ["gus"]
    _same_everywhere(store)
    store.clear()
    assert store.read_sql("SELECT count(*) FROM rollups", {}) == [(0,)]
    assert store.read_sql("SELECT count(*) FROM customer_lines", {}) == [(0,)]


def test_a_file_without_rollups_gets_them_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.sqlite"
    store = EmbeddedStore(path)
    customer_list_fixture(store)
    order = [Order("total_value", descending=True)]
    expected = list_customers(store, None, order, 10, None).ids
    store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:  # a file from before them
        conn.execute("DROP TABLE rollups")
        conn.execute("DROP TABLE customer_lines")
        conn.commit()
    with monkeypatch.context() as patched:  # a user who may only read the file
        real_access = os.access
        patched.setattr(os, "access", lambda p, mode: mode != os.W_OK and real_access(p, mode))
        reading = EmbeddedStore(path)
        assert not reading.has_rollups  # computes the values per query instead
        assert list_customers(reading, None, order, 10, None).ids == expected
        reading.close()
    writing = EmbeddedStore(path)
    assert writing.has_rollups
    assert writing.read_sql("SELECT count(*) FROM rollups", {}) == [(4,)]
    assert list_customers(writing, None, order, 10, None).ids == expected
    _same_everywhere(writing)
    writing.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:  # another ckb's columns
        conn.execute("ALTER TABLE rollups DROP COLUMN lifetime_value")
        conn.commit()
    rebuilt = EmbeddedStore(path)
    assert rebuilt.has_rollups
    _same_everywhere(rebuilt)
    rebuilt.close()


def test_read_sql_runs_only_selects(stores: tuple[EmbeddedStore, Any]) -> None:
    store, _ = stores
    with pytest.raises(StoreError, match="SELECT statements only"):
        store.read_sql("DELETE FROM nodes", {})
