"""A store file of the embedded store's first design is refused in one line and converted
in place by ``ckb store upgrade``, keeping every node, relationship and property."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from graph.embedded import EmbeddedStore
from tests.support.commands import run_ckb

# The first design's tables, as it wrote them (rows found through an in-memory mirror).
_FIRST_DDL = (
    "CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE nodes (id INTEGER PRIMARY KEY, label TEXT NOT NULL, key TEXT NOT NULL,"
    " props TEXT NOT NULL)",
    "CREATE TABLE rels (id INTEGER PRIMARY KEY, src INTEGER NOT NULL, type TEXT NOT NULL,"
    " dst INTEGER NOT NULL, rkey TEXT NOT NULL, props TEXT NOT NULL)",
)


def _first_design_file(path: Path) -> None:
    nodes = [
        (1, "Customer", "c1", {"id": "c1", "name": "Ann Lee", "name_keys": "ann lee an"}),
        (2, "Customer", "c2", {"id": "c2", "name": "王伟", "lifetime_value": 1.5}),
        (3, "Household", "h1", {"id": "h1"}),
    ]
    rels = [
        (1, 1, "MEMBER_OF", 3, "", {"role": "head"}),
        (2, 1, "RELATED_TO", 2, "family", {"kind": "family"}),
    ]
    with sqlite3.connect(path) as conn:
        for ddl in _FIRST_DDL:
            conn.execute(ddl)
        conn.execute("INSERT INTO meta VALUES ('format', 'ckb-embedded/1')")
        conn.executemany(
            "INSERT INTO nodes VALUES (?, ?, ?, ?)",
            [(i, label, key, orjson.dumps(p).decode()) for i, label, key, p in nodes],
        )
        conn.executemany(
            "INSERT INTO rels VALUES (?, ?, ?, ?, ?, ?)",
            [(i, s, t, d, k, orjson.dumps(p).decode()) for i, s, t, d, k, p in rels],
        )
    path.with_name(path.name + ".lock").write_text("12345")


def test_a_first_design_file_is_refused_then_converted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _first_design_file(path)
    graph = f"embedded:{path}"
    refused = run_ckb("--graph", graph, "stats")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert f"ckb --graph {graph} store upgrade" in refused.stderr

    upgraded = run_ckb("--graph", graph, "store", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "3 nodes, 2 relationships" in upgraded.stdout
    assert not path.with_name("old.sqlite.lock").exists()
    again = run_ckb("--graph", graph, "store", "upgrade")
    assert "already in the current format" in again.stdout

    with EmbeddedStore(path) as store:
        counts = store.counts()
        assert counts.nodes["Customer"] == 2
        assert counts.relationships["RELATED_TO"] == 1
        assert store.get_node("Customer", "c2").props == {  # type: ignore[union-attr]
            "id": "c2",
            "name": "王伟",
            "lifetime_value": 1.5,
        }
        [(edge, node)] = store.neighbours("Customer", "c1", "MEMBER_OF")
        assert (edge.props, node.key) == ({"role": "head"}, "h1")
        [(hit, shared)] = store.find_terms("Customer", "name_keys", ["ann", "lee", "zed"])
        assert (hit.key, shared) == ("c1", 2)
        # Reloading what the file holds changes nothing (one JSON rendering throughout):
        # the touch lands only on a changed node.
        touch = {"loaded_at": "2026-12-02T00:00:00Z"}
        store.upsert_nodes("Customer", [{"id": "c2", "name": "王伟", "lifetime_value": 1.5}], touch)
        assert "loaded_at" not in store.get_node("Customer", "c2").props  # type: ignore[union-attr]
        store.upsert_nodes("Customer", [{"id": "c2", "lifetime_value": 2.5}], touch)
        assert store.get_node("Customer", "c2").props["loaded_at"] == touch["loaded_at"]  # type: ignore[union-attr]
