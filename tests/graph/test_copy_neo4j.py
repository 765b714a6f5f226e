"""`ckb copy --to ...`: every node then every relationship in batched UNWIND MERGE writes
(against the scripted driver of tests/support/neo4j_fakes.py), resumable from a checkpoint
after a failure, idempotent; and into a real Neo4j when CKB_TEST_NEO4J_URI is set."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from neo4j import exceptions as neo4j_errors

import graph.neo4j_store as adapter
from api.cli.main import main
from graph.copy import CopyCheckpointError, copy_graph
from graph.cypher import adapter_statements
from graph.embedded import EmbeddedStore
from graph.errors import StoreUnavailableError
from graph.neo4j_store import Neo4jStore
from graph.store import RelRow
from tests.support.commands import run_ckb
from tests.support.neo4j_fakes import Counters, FakeDriver
from tests.support.real_neo4j import NEO4J_SKIP, NEO4J_URI, open_neo4j
from tests.support.store_file import dump


def _source(path: Path) -> EmbeddedStore:
    store = EmbeddedStore(path)
    store.apply_schema()
    store.upsert_nodes(
        "Customer",
        [{"id": f"C{i}", "name": f"Person {i}", "lifetime_value": float(i)} for i in range(7)],
    )
    store.upsert_nodes("Household", [{"id": "H1", "size": 3}, {"id": "H2"}])
    store.upsert_relationships(
        "MEMBER_OF",
        "Customer",
        "Household",
        [RelRow(f"C{i}", "H1" if i < 3 else "H2", {"role": "head"}) for i in range(7)],
    )
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [RelRow("C0", "C1", {"kind": "referral"}), RelRow("C0", "C1", {"kind": "family"})],
    )
    return store


class Recorder:
    """A scripted Neo4j that records the MERGE batches it is sent, and can fail the
    n-th write as if the server went away."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.writes = 0
        self.nodes: list[tuple[str, dict[str, Any]]] = []
        self.rels: list[tuple[str, dict[str, Any]]] = []
        self.driver = FakeDriver(self.respond)
        self.merges = {
            s.text: s.name
            for s in adapter_statements().values()
            if s.name.startswith(("merge_nodes.", "merge_relationships."))
        }

    def respond(self, text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        name = self.merges.get(text)
        if name is None:  # schema statements
            return [], Counters()
        self.writes += 1
        if self.fail_at is not None and self.writes == self.fail_at:
            raise neo4j_errors.ServiceUnavailable("connection reset")
        for row in params["rows"]:
            (self.nodes if name.startswith("merge_nodes.") else self.rels).append((name, row))
        if name.startswith("merge_nodes."):
            return [], Counters(nodes_created=len(params["rows"]))
        return [], Counters(relationships_created=len(params["rows"]))


def _target(monkeypatch: pytest.MonkeyPatch, recorder: Recorder, batch_size: int = 3) -> Neo4jStore:
    monkeypatch.setattr(adapter.GraphDatabase, "driver", lambda uri, **kw: recorder.driver)
    return Neo4jStore.connect("neo4j://db:7687", user="u", password="p", batch_size=batch_size)


def test_copy_sends_batched_merges_nodes_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    recorder = Recorder()
    with _source(tmp_path / "s.sqlite") as source, _target(monkeypatch, recorder) as target:
        assert copy_graph(source, target, batch=4) == (9, 9)
    calls = [c for c in recorder.driver.calls if c.text in recorder.merges]
    names = [recorder.merges[c.text] for c in calls]
    first_rel = next(i for i, n in enumerate(names) if n.startswith("merge_relationships."))
    assert all(n.startswith("merge_nodes.") for n in names[:first_rel])
    assert all(n.startswith("merge_relationships.") for n in names[first_rel:])
    assert all(c.kind == "write" and c.text.startswith("UNWIND $rows") for c in calls)
    assert max(len(c.params["rows"]) for c in calls) <= 3  # the target's batch size
    sent = {r["key"]: r["props"] for n, r in recorder.nodes if n == "merge_nodes.Customer"}
    assert sent["C4"] == {"id": "C4", "name": "Person 4", "lifetime_value": 4.0}
    related = sorted(
        (r["src"], r["dst"], r["props"]["kind"])
        for n, r in recorder.rels
        if n == "merge_relationships.RELATED_TO.Customer.Customer"
    )
    assert related == [("C0", "C1", "family"), ("C0", "C1", "referral")]


def test_an_interrupted_copy_resumes_after_its_last_finished_page(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "copy.json"
    first = Recorder(fail_at=3)  # the third MERGE batch fails
    with _source(tmp_path / "s.sqlite") as source:
        with (
            _target(monkeypatch, first, batch_size=2) as target,
            pytest.raises(StoreUnavailableError, match="lost Neo4j"),
        ):
            copy_graph(source, target, batch=2, checkpoint=checkpoint)
        saved = json.loads(checkpoint.read_text())
        assert (saved["phase"], saved["label"], saved["after"]) == ("nodes", "Customer", "C3")
        second = Recorder()
        with _target(monkeypatch, second, batch_size=2) as target:
            assert copy_graph(source, target, batch=2, checkpoint=checkpoint) == (9, 9)
    assert not checkpoint.exists()  # done: nothing left to resume
    resent = [r["key"] for n, r in second.nodes if n == "merge_nodes.Customer"]
    assert resent == ["C4", "C5", "C6"]  # not C0 to C3 again
    everything = {r["key"] for _, r in first.nodes} | {r["key"] for _, r in second.nodes}
    assert everything == {f"C{i}" for i in range(7)} | {"H1", "H2"}
    assert len(second.rels) == 9


def test_a_checkpoint_of_another_copy_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "copy.json"
    checkpoint.write_text(
        json.dumps({"source": "elsewhere", "target": "there", "phase": "nodes"}), encoding="utf-8"
    )
    with (
        _source(tmp_path / "s.sqlite") as source,
        _target(monkeypatch, Recorder()) as target,
        pytest.raises(CopyCheckpointError, match="is for a copy from elsewhere to there"),
    ):
        copy_graph(source, target, checkpoint=checkpoint)


def test_ckb_copy_into_a_scripted_neo4j(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _source(tmp_path / "s.sqlite").close()
    recorder = Recorder()
    seen: dict[str, Any] = {}

    def driver(uri: str, **config: Any) -> FakeDriver:
        seen.update(uri=uri, **config)
        return recorder.driver

    monkeypatch.setattr(adapter.GraphDatabase, "driver", driver)
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    code = main(
        [
            "--graph",
            f"embedded:{tmp_path / 's.sqlite'}",
            "copy",
            "--to",
            "neo4j://db:7687",
            "--user",
            "analyst",
            "--password",
            "secret",
            "--database",
            "kb",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "copied 9 nodes and 9 relationships" in out
    assert seen["uri"] == "neo4j://db:7687"
    assert seen["auth"] == ("analyst", "secret")
    assert {c.database for c in recorder.driver.calls} == {"kb"}
    assert any("CREATE CONSTRAINT" in c.text for c in recorder.driver.calls)  # schema first
    assert not list(tmp_path.glob(".ckb-copy-*"))


def test_ckb_copy_between_files_is_whole_and_idempotent(tmp_path: Path) -> None:
    _source(tmp_path / "s.sqlite").close()
    env = {"CKB_GRAPH": f"embedded:{tmp_path / 's.sqlite'}"}
    target = tmp_path / "t.sqlite"
    for _ in range(2):
        done = run_ckb("copy", "--to", f"embedded:{target}", "--batch-size", "2", env=env)
        assert done.returncode == 0, done.stderr
    assert dump(target) == dump(tmp_path / "s.sqlite")
    same = run_ckb("copy", "--to", f"embedded:{tmp_path / 's.sqlite'}", env=env)
    assert same.returncode == 1
    assert "names the store being copied" in same.stderr


@pytest.mark.neo4j
def test_copy_into_a_real_neo4j(tmp_path: Path) -> None:
    if not NEO4J_URI:
        pytest.skip(NEO4J_SKIP)
    neo = open_neo4j()
    try:
        neo.clear()
        with _source(tmp_path / "s.sqlite") as source:
            checkpoint = tmp_path / "copy.json"
            assert copy_graph(source, neo, batch=2, checkpoint=checkpoint) == (9, 9)
            assert neo.counts() == source.counts()
            copy_graph(source, neo)  # again: nothing changes
            assert neo.counts() == source.counts()
            [member] = neo.neighbours("Customer", "C4", "MEMBER_OF")
            assert (member.node.key, member.edge.props) == ("H2", {"role": "head"})
        env = {
            "CKB_GRAPH": f"embedded:{tmp_path / 's.sqlite'}",
            "NEO4J_USER": os.environ.get("NEO4J_USER", "neo4j"),
        }
        done = run_ckb("copy", "--to", NEO4J_URI, env=env)
        assert done.returncode == 0, done.stderr
    finally:
        neo.clear()
        neo.close()
