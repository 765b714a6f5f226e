"""A *world*: a directory holding what ckb's writing commands write (the embedded store
and, beside it, ``data/``: rejects files, enrichment reports), which commands run in; and
what it holds, reduced for comparison (content without wall-clock values, a digest) and
checked after a crash. The fault injection (tests/support/faults.py) compares worlds."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tests.support.paths import REPO
from tests.support.store_file import dump

KILL_ENV = "CKB_FAULT_KILL_AT_COMMIT"
STORE = "kb.sqlite"


@dataclass(frozen=True, slots=True)
class World:
    """A directory with a store and the files beside it; commands run in it."""

    root: Path

    @property
    def store(self) -> Path:
        return self.root / STORE

    def env(self, kill_at: int | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CKB_", "NEO4J_"))}
        env.update(
            CKB_GRAPH=f"embedded:{self.store}",
            CKB_REJECTS_DIR=str(self.root / "data" / "rejects"),
            PYTHONPATH=str(REPO),
        )
        if kill_at is not None:
            env[KILL_ENV] = str(kill_at)
        return env

    def copy(self, dest: Path) -> World:
        shutil.copytree(self.root, dest)
        return World(dest)


# Properties that hold the wall clock of the write, not content: two uninterrupted runs of
# one command a second apart differ in these and in nothing else, and a killed run's
# re-run legitimately writes later times. Per label or relationship type, so that a
# property of the same name that is data (Touchpoint.resolved_at, from the source
# systems) still counts.
CLOCK_PROPERTIES: Mapping[str, frozenset[str]] = {
    # Provenance on every node a loader writes: "when a load last created or changed it".
    "*": frozenset({"loaded_at"}),
    # The golden customer: when a load or a merge last changed it (created_at: when it was
    # made; no command writes it today, it is the same kind of value).
    "Customer": frozenset({"updated_at", "created_at"}),
    # When resolve retired the ID into its survivor.
    "CustomerAlias": frozenset({"retired_at"}),
    # When resolve queued the possible match for review.
    "ReviewItem": frozenset({"created_at"}),
    # When resolve last estimated the model (it only moves when the model does).
    "MatchModel": frozenset({"estimated_at"}),
    # Events: when the merge, split or audited action happened.
    "MergeEvent": frozenset({"at"}),
    "AuditEntry": frozenset({"at"}),
    # When the record was resolved to its customer (resolve, push ingest's arrivals).
    "RESOLVED_TO": frozenset({"resolved_at"}),
}
# IDs minted per run: an erasure's audit entry is AU-ERASE-<uuid4> (governance/erase.py), the
# GraphQL mutations' AU-<uuid4> (governance/audit.py). A killed erasure and its re-run are one
# request under two names. (Every other key is derived from the data: M…/R… hashes.)
RUN_IDS = re.compile(r"\bAU-(?:ERASE-)?[0-9a-f]{32}\b")


def _without_clock(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    drop = CLOCK_PROPERTIES["*"] | CLOCK_PROPERTIES.get(name, frozenset())
    return {k: v for k, v in props.items() if k not in drop}


def _snapshot(text: str) -> Any:
    """A MergeEvent's snapshot (customers' props and relationships, as JSON text) without
    the clock values inside it."""
    snap = orjson.loads(text)
    if not isinstance(snap, dict):
        return snap

    def customer(part: Any) -> Any:
        if not isinstance(part, dict):
            return part
        rels = [
            {**r, "props": _without_clock(str(r.get("type")), r.get("props") or {})}
            for r in part.get("rels", [])
        ]
        return {**part, "props": _without_clock("Customer", part.get("props") or {}), "rels": rels}

    absorbed = snap.get("absorbed")
    if isinstance(absorbed, dict):
        snap["absorbed"] = {k: customer(v) for k, v in absorbed.items()}
    if "survivor" in snap:
        snap["survivor"] = customer(snap["survivor"])
    return snap


def _node(label: str, key: str, text: str) -> tuple[str, ...]:
    props = _without_clock(label, orjson.loads(text))
    if label == "MergeEvent" and isinstance(props.get("snapshot"), str):
        props["snapshot"] = _snapshot(props["snapshot"])
    body = orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode()
    return ("node", label, RUN_IDS.sub("AU-<run>", key), RUN_IDS.sub("AU-<run>", body))


def _rel(row: Sequence[Any]) -> tuple[str, ...]:
    src_label, src_key, rel_type, dst_label, dst_key, rkey, text = row
    props = _without_clock(str(rel_type), orjson.loads(text))
    body = orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode()
    ends = (src_label, src_key, rel_type, dst_label, dst_key, rkey)
    return ("rel", *(RUN_IDS.sub("AU-<run>", str(e)) for e in ends), body)


def content(store: Path) -> list[tuple[str, ...]]:
    """The graph in the file, by name, without clock values or per-run IDs, sorted: the
    search index terms too (field, term, the node's label and key)."""
    rows = [_node(*row) if len(row) == 3 else _rel(row) for row in dump(store)]  # type: ignore[arg-type]
    with contextlib.closing(sqlite3.connect(store)) as conn:
        terms = conn.execute(
            "SELECT v.name, t.term, n.label, n.key FROM terms AS t"
            " JOIN vocab AS v ON v.code = t.field JOIN node_rows AS n ON n.id = t.node"
        ).fetchall()
    rows += [("term", *(RUN_IDS.sub("AU-<run>", str(c)) for c in t)) for t in terms]
    return sorted(rows)


def files(root: Path) -> dict[str, bytes]:
    """The files a world's commands wrote beside the store (``data/``), by relative path."""
    data = root / "data"
    if not data.is_dir():
        return {}
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()
    }


@dataclass(frozen=True, slots=True)
class Digest:
    """What a world holds, reduced for comparison: the graph's and the side files' hashes,
    and the graph itself (kept to say what differs)."""

    graph: str
    side_files: str
    rows: tuple[tuple[str, ...], ...] = field(repr=False, compare=False)

    def differences(self, other: Digest, most: int = 5) -> list[str]:
        """What differs from ``other``: a few rows of each side, for a failure message."""
        if self == other:
            return []
        if self.graph == other.graph:
            return ["the files beside the store (data/) differ"]
        mine, theirs = set(self.rows), set(other.rows)
        only_here = sorted(mine - theirs)[:most]
        only_there = sorted(theirs - mine)[:most]
        return [
            f"{len(mine - theirs)} row(s) only here, {len(theirs - mine)} only in the other",
            *(f"  here:  {r}"[:400] for r in only_here),
            *(f"  there: {r}"[:400] for r in only_there),
        ]


def digest(world: World, with_files: bool = True) -> Digest:
    """What ``world`` holds, reduced: its content and (``with_files``) the files beside it."""
    rows = content(world.store)
    graph = hashlib.sha256(orjson.dumps(rows)).hexdigest()
    side = files(world.root) if with_files else {}
    side_hash = hashlib.sha256(orjson.dumps(sorted(side.items()), default=bytes.hex)).hexdigest()
    return Digest(graph, side_hash, tuple(rows))


def check_file(store: Path) -> list[str]:
    """What is wrong with a store file after a crash: SQLite's integrity check, and the
    stored per-label and per-type counts against the rows (they commit together)."""
    if not store.exists():
        return []  # killed before the store was created: nothing to check
    problems: list[str] = []
    with contextlib.closing(sqlite3.connect(store)) as conn:
        found = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if found != ["ok"]:
            problems += [f"integrity_check: {r}" for r in found]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "counts" not in tables:
            return problems
        stored = {
            (kind, name): n
            for kind, name, n in conn.execute("SELECT kind, name, n FROM counts WHERE n != 0")
        }
        actual = {
            ("node", label): n
            for label, n in conn.execute("SELECT label, count(*) FROM node_rows GROUP BY label")
        } | {
            ("rel", t): n
            for t, n in conn.execute("SELECT type, count(*) FROM relationship_rows GROUP BY type")
        }
    if stored != actual:
        wrong = sorted(k for k in stored.keys() | actual.keys() if stored.get(k) != actual.get(k))
        problems += [
            f"counts {k}: stored {stored.get(k, 0)}, found {actual.get(k, 0)}" for k in wrong
        ]
    return problems
