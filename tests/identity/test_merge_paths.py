"""A merge on the embedded store re-draws relationships inside SQLite
(``repoint_relationships``); through the port alone (Neo4j) it reads and upserts them.
Both must leave the same graph — nodes, relationships, properties byte for byte, the
merge events' snapshots, counts and rollups — on a graph with the awkward cases: moved
relationships landing on the survivor's own, two absorbed customers' folding into one,
customers related across groups and within one, self-loops, incoming relationships,
aliases of earlier merges."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from graph import clock
from graph.embedded.store import EmbeddedStore
from graph.store import GraphStore, RelationshipRepointer, RelRow
from identity.merge import merge_customers
from identity.resolve import source_records
from tests.support.identity_fixtures import customers_with_one_record_each

NOW = "2026-03-01T12:00:00.000000Z"


class _PortOnly:
    """The store seen through the port alone: no ``repoint_relationships``."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        if name == "repoint_relationships":
            raise AttributeError(name)
        return getattr(self._store, name)


def _build(store: GraphStore) -> None:
    customers = [f"c{i}" for i in range(1, 10)]
    customers_with_one_record_each(
        store,
        [
            {"id": c, "name": f"Person {c}", "name_keys": f"k{c} shared",
             "created_at": f"2020-01-0{i}T00:00:00Z", "lifetime_value": float(i)}
            for i, c in enumerate(customers, start=1)
        ],
        "billing",
    )  # fmt: skip
    store.upsert_nodes(
        "Holding", [{"id": h, "status": "active", "monthly_value": 10.0} for h in ("H1", "H2")]
    )
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [
            RelRow("c1", "H1", {"role": "primary"}),  # the survivor's own: c2's, c3's land on it
            RelRow("c2", "H1", {"role": "joint", "since": "2021-01-01"}),
            RelRow("c3", "H1", {"role": "other"}),
            RelRow("c3", "H2", {"since": "2019-05-05", "role": "joint"}),  # folds over c2's
            RelRow("c2", "H2", {"role": "primary"}),
        ],
    )
    store.upsert_nodes("Touchpoint", [{"id": t, "kind": "call"} for t in ("T1", "T2", "T3")])
    store.upsert_relationships(
        "HAD_TOUCHPOINT",
        "Customer",
        "Touchpoint",
        [RelRow("c2", "T1"), RelRow("c5", "T2"), RelRow("c1", "T3"), RelRow("c3", "T3")],
    )
    store.upsert_nodes("Household", [{"id": "HH1"}])
    store.upsert_relationships(
        "MEMBER_OF",
        "Customer",
        "Household",
        [RelRow("c1", "HH1", {"role": "head"}), RelRow("c3", "HH1", {"role": "partner", "age_band": "30s"})],
    )  # fmt: skip
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [
            RelRow("c2", "c5", {"kind": "referral"}),  # both absorbed, into different groups
            RelRow("c3", "c4", {"kind": "family"}),  # to another group's survivor
            RelRow("c5", "c1", {"kind": "family", "since": "2001-01-01"}),
            RelRow("c4", "c1", {"kind": "family"}),  # c5's lands on it
            RelRow("c2", "c1", {"kind": "family"}),  # within one person: dropped
            RelRow("c3", "c3", {"kind": "employer"}),  # a self-loop
            RelRow("c4", "c2", {"kind": "employer"}),  # from a survivor into an absorbed
            RelRow("c9", "c3", {"kind": "referral"}),  # from outside the merge
            RelRow("c8", "c6", {"kind": "co_signer"}),
        ],
    )
    store.upsert_nodes("ProductInstance", [{"epc": "P1"}, {"epc": "P2"}])
    store.upsert_relationships(
        "SOLD_TO",
        "ProductInstance",
        "Customer",
        [RelRow("P1", "c2", {"event_id": "e1"}), RelRow("P1", "c1", {"event_id": "e0"}), RelRow("P2", "c5")],
    )  # fmt: skip


def _merge(store: GraphStore) -> None:
    records_of = {f"c{i}": [f"s:c{i}"] for i in range(1, 10)}
    by_record = {node.key: node for node, _ in source_records(store)}
    # An earlier merge leaves c8 an alias of c7, and c7 a MERGED history.
    merge_customers(store, [["c7", "c8"]], records_of, by_record, {}, "test")
    merge_customers(
        store, [["c1", "c2", "c3"], ["c4", "c5"], ["c6", "c7"]], records_of, by_record, {}, "test"
    )


def _table(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return sorted(db.execute(sql).fetchall(), key=repr)


def _graph(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Everything the store file holds, by key (node IDs differ between files)."""
    by_key = "JOIN nodes AS n ON n.id = t.node"
    return {
        "nodes": _table(path, "SELECT label, key, props FROM node_rows"),
        "rels": _table(path, "SELECT * FROM relationship_rows"),
        "counts": _table(path, "SELECT kind, name, n FROM counts WHERE n <> 0"),
        "terms": _table(path, f"SELECT t.field, t.term, n.key FROM terms AS t {by_key}"),
        "rollups": _table(
            path,
            "SELECT n.key, t.total_value, t.holdings, t.touchpoints, t.lifetime_value "
            f"FROM rollups AS t {by_key}",
        ),
    }


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setattr(clock, "now_iso_precise", lambda: NOW)
    paths = (tmp_path / "fast.sqlite", tmp_path / "port.sqlite")
    for path, fast in zip(paths, (True, False), strict=True):
        with EmbeddedStore(path) as store:
            store.apply_schema()
            _build(store)
            assert isinstance(store, RelationshipRepointer)
            seen: GraphStore = store if fast else _PortOnly(store)  # type: ignore[assignment]
            assert isinstance(seen, RelationshipRepointer) is fast
            _merge(seen)
    return paths


def test_repointing_in_the_store_leaves_the_graph_the_port_path_leaves(
    stores: tuple[Path, Path],
) -> None:
    fast, port = (_graph(path) for path in stores)
    assert fast["rels"] == port["rels"]
    assert fast == port
    # The cases were there: c2's and c3's holdings folded onto c1's, c5's relationship
    # to c1 landed on c4's, the merge events kept what the survivor had.
    rels = {(r[1], r[2], r[4], r[5]): r[6] for r in fast["rels"]}
    assert rels[("c1", "HOLDS", "H1", "")] == '{"role":"other","since":"2021-01-01"}'
    assert rels[("c1", "HOLDS", "H2", "")] == '{"role":"joint","since":"2019-05-05"}'
    assert rels[("c4", "RELATED_TO", "c1", "family")] == '{"kind":"family","since":"2001-01-01"}'
    assert ("c1", "RELATED_TO", "c1", "family") not in rels
    events = [n for n in fast["nodes"] if '"kind":"merge"' in str(n[2])]
    assert len(events) == 4
    assert any('\\"HOLDS\\"' in str(n[2]) and '\\"c1\\"' in str(n[2]) for n in events)
