"""Many processes on one embedded store file, for real.

``ckb serve`` takes pushed batches while other processes read the same file with the CLI
and load files into it. Afterwards every acknowledged record is in the store, the counts
agree with the rows, the file passes SQLite's integrity check and a fresh server answers
GraphQL from it. (Processes writing or creating one file at once: test_concurrent_writers.)
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from graph.embedded import EmbeddedStore
from loaders.record_rows import source_record_key
from loaders.sources import read_records
from tests.support.commands import CKB, run_ckb
from tests.support.serve import free_port
from tests.support.store_file import row_counts

INGEST_TOKEN = "push-token"
FEED_KEY = "feed-key"  # an API key with the loader role: the other way to push
READ_KEY = "read-key"
SERVER_ENV = {
    "CKB_INGEST_TOKENS": INGEST_TOKEN,
    "CKB_API_KEYS": f"feeder:loader:{FEED_KEY},reader:analyst+agent:{READ_KEY}",
}
PUSH_BATCHES = 10
PUSH_BATCH_SIZE = 20
CRM_CUSTOMERS = 150


# ----------------------------------------------------------------- helpers


def _env(tmp_path: Path) -> dict[str, str]:
    """For every ckb process: a long busy timeout, rejects kept under tmp_path."""
    return {"CKB_SQLITE_BUSY_TIMEOUT": "30", "CKB_REJECTS_DIR": str(tmp_path / "rejects")}


@contextmanager
def _serving(store: Path, tmp_path: Path, name: str) -> Iterator[str]:
    """``ckb serve`` on the store as a real subprocess, ready; stopped with SIGINT after."""
    port = free_port()
    log_path = tmp_path / f"{name}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(CKB), "--graph", f"embedded:{store}", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,  # to a file: a full pipe would stall the server
            env={**os.environ, **_env(tmp_path), **SERVER_ENV},
            cwd=tmp_path,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    ready = httpx.get(f"{url}/readyz", timeout=2)
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, f"not ready:\n{log_path.read_text()}"
                time.sleep(0.1)
            yield url
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    output = log_path.read_text()
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output


@dataclass
class Pushed:
    """What the server acknowledged (200, status accepted) and what it refused."""

    customers: list[str] = field(default_factory=list)  # source record keys
    touchpoints: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (label, key)
    errors: list[str] = field(default_factory=list)


def _ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def _post(
    http: httpx.Client, url: str, rows: list[dict[str, Any]], out: Pushed
) -> list[dict[str, Any]] | None:
    """Each line's result, or None (noted in ``out.errors``) unless the answer is 200."""
    r = http.post(url, content=_ndjson(rows))
    if r.status_code != 200:
        out.errors.append(f"{url}: {r.status_code} {r.text[:300]}")
        return None
    results: list[dict[str, Any]] = r.json()["results"]
    if [x["line"] for x in results] != list(range(1, len(rows) + 1)):
        out.errors.append(f"{url}: one result per line expected, got {results}")
        return None
    return results


def _push(base: str, token: str, tag: str, start: threading.Barrier, out: Pushed) -> None:
    """Customers, then touchpoints of those customers, batch after batch; one invalid
    record in each batch, which must be refused and never land."""
    system = f"push{tag.lower()}"  # source-system names are lower-case (docs/formats.md)
    start.wait()
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        for batch in range(PUSH_BATCHES):
            ids = [f"{tag}{batch:02d}{i:02d}" for i in range(PUSH_BATCH_SIZE)]
            customers: list[dict[str, Any]] = [
                {
                    "source_record_id": rid,
                    "name": f"Pushed {tag} Person {rid}",
                    "email": f"{rid.lower()}@push.example",
                }
                for rid in ids
            ]
            bad = f"{tag}{batch:02d}BAD"
            customers.append({"source_record_id": bad, "name": "X", "gender": "robot"})
            results = _post(http, f"{base}/ingest/customers?source={system}", customers, out)
            if results is None:
                continue
            accepted = []
            for row, result in zip(customers, results, strict=True):
                key = source_record_key(system, row["source_record_id"])
                if result["status"] == "accepted":
                    accepted.append(row["source_record_id"])
                    out.customers.append(key)
                else:
                    out.refused.append(("SourceRecord", key))
            if sorted(accepted) != sorted(ids):
                out.errors.append(f"{system} batch {batch}: accepted {accepted}, sent {ids}")
            touchpoints: list[dict[str, Any]] = [
                {
                    "touchpoint_id": f"TP-{rid}",
                    "customer_id": rid,
                    "occurred_at": "2025-05-01T10:00:00Z",
                    "channel": "web",
                    "kind": "visit",
                }
                for rid in accepted
            ]
            touchpoints.append(
                {
                    "touchpoint_id": f"TP-{bad}",
                    "customer_id": bad,  # never accepted: the touchpoint has no customer
                    "occurred_at": "2025-05-01T10:00:00Z",
                    "channel": "web",
                    "kind": "visit",
                }
            )
            results = _post(http, f"{base}/ingest/touchpoints?source={system}", touchpoints, out)
            if results is None:
                continue
            for row, result in zip(touchpoints, results, strict=True):
                if result["status"] == "accepted":
                    out.touchpoints.append(row["touchpoint_id"])
                else:
                    out.refused.append(("Touchpoint", row["touchpoint_id"]))


@dataclass
class Reads:
    stats: list[dict[str, Any]] = field(default_factory=list)
    queries: int = 0
    errors: list[str] = field(default_factory=list)


def _read_until(
    graph: str, cwd: Path, env: dict[str, str], start: threading.Barrier, done: threading.Event
) -> Reads:
    """``ckb stats --json`` and two named queries, again and again until the writers are
    done, then once more: every run must exit 0 with JSON of the right shape."""
    reads = Reads()
    start.wait()
    while True:
        last = done.is_set()
        stats = run_ckb("--graph", graph, "stats", "--json", env=env, cwd=cwd)
        try:
            assert stats.returncode == 0
            reads.stats.append(json.loads(stats.stdout))
        except (AssertionError, ValueError):
            reads.errors.append(f"stats: exit {stats.returncode}: {stats.stderr}{stats.stdout}")
        found = run_ckb(
            "--graph", graph, "query", "search_customers", "text=john", "first=3", env=env, cwd=cwd
        )
        try:
            assert found.returncode == 0
            hits = json.loads(found.stdout)
            assert isinstance(hits, list)
            assert len(hits) <= 3
            assert all(h["customer_id"].startswith("C") for h in hits)
            reads.queries += 1
        except (AssertionError, ValueError, KeyError, TypeError, AttributeError):
            reads.errors.append(f"search: exit {found.returncode}: {found.stderr}{found.stdout}")
            hits = []
        if hits:
            sources = run_ckb(
                "--graph", graph, "query", "customer_sources",
                f"customerId={hits[0]['customer_id']}", env=env, cwd=cwd,
            )  # fmt: skip
            try:
                assert sources.returncode == 0
                assert isinstance(json.loads(sources.stdout), list)
                reads.queries += 1
            except (AssertionError, ValueError):
                reads.errors.append(
                    f"sources: exit {sources.returncode}: {sources.stderr}{sources.stdout}"
                )
        if last:
            return reads


@dataclass
class Loads:
    summaries: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _load(
    graph: str, cwd: Path, env: dict[str, str], sample: Path, crm: Path, start: threading.Barrier
) -> Loads:
    loads = Loads()
    start.wait()
    loaded_dir = run_ckb("--graph", graph, "load-dir", str(sample), "--json", env=env, cwd=cwd)
    if loaded_dir.returncode == 0:
        loads.summaries += json.loads(loaded_dir.stdout)["files"]
    else:
        loads.errors.append(f"load-dir: exit {loaded_dir.returncode}: {loaded_dir.stderr}")
    loaded = run_ckb(
        "--graph", graph, "load", "customers", str(crm), "--source", "crm", "--json",
        env=env, cwd=cwd,
    )  # fmt: skip
    if loaded.returncode == 0:
        loads.summaries.append(json.loads(loaded.stdout))
    else:
        loads.errors.append(f"load: exit {loaded.returncode}: {loaded.stderr}")
    return loads


def _expected_keys(summary: dict[str, Any], cwd: Path) -> list[str]:
    """The source record keys of a loaded customers file: every record but the rejected."""
    rejected: set[int] = set()
    if summary["rejects_file"]:
        with (cwd / summary["rejects_file"]).open(encoding="utf-8") as f:
            rejected = {json.loads(line)["line"] for line in f if line.strip()}
    return [
        source_record_key(summary["system"], str(rec.data["source_record_id"]))
        for rec in read_records(cwd / summary["origin"])
        if rec.line not in rejected and rec.data is not None
    ]


def _graphql(url: str, query: str) -> dict[str, Any]:
    r = httpx.post(
        f"{url}/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {READ_KEY}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


# ----------------------------------------------------------------- tests


def test_serve_push_read_and_load_at_once_lose_nothing(tmp_path: Path) -> None:  # noqa: PLR0915 - four processes at once, one scenario
    store_path = tmp_path / "kb.sqlite"
    graph = f"embedded:{store_path}"
    env = _env(tmp_path)
    sample = tmp_path / "sample"
    made = run_ckb(
        "sample", "--customers", "200", "--seed", "3", "--out", str(sample), cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    crm = tmp_path / "crm_customers.csv"
    with crm.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["source_record_id", "name", "email"])
        for i in range(CRM_CUSTOMERS):
            writer.writerow([f"CRM{i:04d}", f"John Crm{i:04d}", f"john.crm{i}@crm.example"])

    with _serving(store_path, tmp_path, "serve-1") as url:
        start = threading.Barrier(4)
        writers_done = threading.Event()
        pushed = {tag: Pushed() for tag in "AB"}
        results: dict[str, Any] = {}

        def reader() -> None:
            results["reads"] = _read_until(graph, tmp_path, env, start, writers_done)

        def loader() -> None:
            results["loads"] = _load(graph, tmp_path, env, sample, crm, start)

        clients = [
            threading.Thread(target=_push, args=(url, INGEST_TOKEN, "A", start, pushed["A"])),
            threading.Thread(target=_push, args=(url, FEED_KEY, "B", start, pushed["B"])),
            threading.Thread(target=loader),
        ]
        read_thread = threading.Thread(target=reader)
        for t in (*clients, read_thread):
            t.start()
        for t in clients:
            t.join(timeout=120)
        writers_done.set()
        read_thread.join(timeout=120)
        assert not any(t.is_alive() for t in (*clients, read_thread)), "a client hung"

    # The writers: every push answered 200, every load exited 0.
    for tag, out in pushed.items():
        assert out.errors == [], (tag, out.errors)
        assert len(out.customers) == PUSH_BATCHES * PUSH_BATCH_SIZE
        assert len(out.touchpoints) == PUSH_BATCHES * PUSH_BATCH_SIZE
        assert len(out.refused) == 2 * PUSH_BATCHES
    loads: Loads = results["loads"]
    assert loads.errors == []
    # The reader: every run succeeded; counts of what nothing deletes never went down.
    reads: Reads = results["reads"]
    assert reads.errors == []
    assert len(reads.stats) >= 2
    assert reads.queries >= 2
    for label in ("SourceRecord", "Touchpoint"):
        seen = [s["nodes"][label] for s in reads.stats]
        assert seen == sorted(seen), (label, seen)

    with EmbeddedStore(store_path) as store:
        # Every acknowledged pushed record is there, linked; no refused one is.
        customers = [k for out in pushed.values() for k in out.customers]
        touchpoints = [k for out in pushed.values() for k in out.touchpoints]
        found = store.get_nodes("SourceRecord", customers)
        assert sorted(found) == sorted(customers)
        assert sorted(store.get_nodes("Touchpoint", touchpoints)) == sorted(touchpoints)
        for tp in touchpoints:
            assert store.degree("Touchpoint", tp, "HAD_TOUCHPOINT", "in") == 1, tp
        for out in pushed.values():
            for label, key in out.refused:
                assert store.get_node(label, key) is None, (label, key)
        # Every loaded record is there.
        by_kind: dict[str, int] = {}
        for summary in loads.summaries:
            by_kind[summary["kind"]] = by_kind.get(summary["kind"], 0) + summary["loaded"]
            if summary["kind"] == "customers":
                keys = _expected_keys(summary, tmp_path)
                assert len(keys) == summary["loaded"], summary
                assert sorted(store.get_nodes("SourceRecord", keys)) == sorted(keys), summary
        loaded_customers = {s["system"] for s in loads.summaries if s["kind"] == "customers"}
        assert loaded_customers == {"billing", "callcenter", "stores", "webshop", "crm"}
        crm_keys = [source_record_key("crm", f"CRM{i:04d}") for i in range(CRM_CUSTOMERS)]
        assert len(store.get_nodes("SourceRecord", crm_keys)) == CRM_CUSTOMERS
        # Nothing else: the counts are exactly loaded + pushed, and match the rows.
        counts = store.counts()
        assert counts.nodes["SourceRecord"] == by_kind["customers"] + len(customers)
        assert counts.nodes["Touchpoint"] == by_kind["touchpoints"] + len(touchpoints)
        rows_nodes, rows_rels = row_counts(store_path)
        assert {k: v for k, v in counts.nodes.items() if v} == rows_nodes
        assert {k: v for k, v in counts.relationships.items() if v} == rows_rels
        # The reader's last run came after every write: it saw the final store.
        assert reads.stats[-1]["nodes"] == counts.nodes
        assert reads.stats[-1]["relationships"] == counts.relationships
        pushed_key = pushed["B"].customers[-1]
        [(edge, _)] = store.neighbours("SourceRecord", pushed_key, "RESOLVED_TO")
        pushed_customer = edge.dst_key
        [(edge, _)] = store.neighbours("SourceRecord", crm_keys[0], "RESOLVED_TO")
        crm_customer = edge.dst_key

    with closing(sqlite3.connect(store_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    # A fresh server on the file answers GraphQL with what was written.
    with _serving(store_path, tmp_path, "serve-2") as url:
        for customer_id, system, record_id in (
            (pushed_customer, "pushb", pushed_key.split(":", 1)[1]),
            (crm_customer, "crm", "CRM0000"),
        ):
            data = _graphql(
                url, f'{{ customer(id: "{customer_id}") {{ id sources {{ system recordId }} }} }}'
            )
            assert data["customer"]["id"] == customer_id
            assert {"system": system, "recordId": record_id} in data["customer"]["sources"]
