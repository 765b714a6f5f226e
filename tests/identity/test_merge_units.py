"""``ckb resolve`` hands TransactionGroups several merge chunks as one unit, so that a
write transaction is bounded by time rather than by a count sized for loader batches.
The chunks themselves — which groups share a merge call — must not change: fewer
commits, the same graph, merge history included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from graph import clock
from graph.embedded.store import EmbeddedStore
from graph.store import RelRow
from identity import resolve
from identity.resolve import ResolveSummary, _merge_groups, source_records
from tests.support.identity_fixtures import customers_with_one_record_each

GROUPS = 23  # groups of three customers; each group's middle one related to the next group


def _build(store: EmbeddedStore) -> tuple[list[list[str]], dict[str, list[str]]]:
    customers = [f"c{i:03d}" for i in range(GROUPS * 3)]
    customers_with_one_record_each(
        store,
        [
            {"id": c, "name": f"Person {i // 3}", "name_keys": f"k{i // 3} k{c}",
             "created_at": f"2020-01-01T00:00:{i % 60:02d}Z"}
            for i, c in enumerate(customers)
        ],
        "crm",
    )  # fmt: skip
    # Relationships across groups: whether both ends merge in one call shows in the
    # merge events' snapshots.
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [
            RelRow(customers[i * 3 + 1], customers[i * 3 + 5], {"kind": "referral"})
            for i in range(GROUPS - 1)
        ],
    )
    groups = [customers[i * 3 : i * 3 + 3] for i in range(GROUPS)]
    return groups, {c: [f"s:{c}"] for c in customers}


def _resolve(path: Path, per_unit: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Merge the groups two a call, ``per_unit`` calls a unit; the number of commits."""
    monkeypatch.setattr(resolve, "MERGE_CHUNK", 2)
    monkeypatch.setattr(resolve, "MERGE_CHUNKS_PER_UNIT", per_unit)
    monkeypatch.setattr(resolve, "MERGE_GROUP_SECONDS", 10.0**9)
    with EmbeddedStore(path) as store:
        store.apply_schema()
        groups, records_of = _build(store)
        assert {n.key for n, _ in source_records(store)} == {
            r for rs in records_of.values() for r in rs
        }
        commits = 0
        commit = store._commit

        def counted(conn: sqlite3.Connection) -> None:
            nonlocal commits
            commits += 1
            commit(conn)

        monkeypatch.setattr(store, "_commit", counted)
        summary = ResolveSummary()
        seen: list[int] = []
        _merge_groups(
            store, groups, records_of, {}, "test", summary, lambda _p, done, _t: seen.append(done)
        )
        assert (summary.merges, summary.absorbed) == (GROUPS, GROUPS * 2)
        assert seen == [0, *range(2, GROUPS, 2), GROUPS]  # progress after every call
    return commits


def _graph(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        return {
            name: sorted(db.execute(sql).fetchall(), key=repr)
            for name, sql in (
                ("nodes", "SELECT label, key, props FROM node_rows"),
                ("rels", "SELECT * FROM relationship_rows"),
                ("counts", "SELECT kind, name, n FROM counts WHERE n <> 0"),
                ("terms", "SELECT t.field, t.term, n.key FROM terms AS t "
                 "JOIN nodes AS n ON n.id = t.node"),
            )
        }  # fmt: skip


def test_chunks_grouped_into_units_commit_less_and_write_the_same_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "now_iso_precise", lambda: "2026-03-01T12:00:00.000000Z")
    one, three = tmp_path / "one.sqlite", tmp_path / "three.sqlite"
    # 12 calls: ten units a transaction (the embedded store's cap) -> 2 merge commits;
    # three calls a unit -> 4 units, one merge commit.
    with_one = _resolve(one, 1, monkeypatch)
    with_three = _resolve(three, 3, monkeypatch)
    assert with_three == with_one - 1
    graph = _graph(one)
    assert graph == _graph(three)
    events = [n for n in graph["nodes"] if '"kind":"merge"' in str(n[2])]
    assert len(events) == GROUPS
    assert sum(1 for n in graph["nodes"] if n[0] == "Customer") == GROUPS  # survivors
