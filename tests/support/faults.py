"""Fault injection: kill a writing command with SIGKILL, recover, compare with a clean run.

A *world* is a directory holding what the commands write: the embedded store and, beside
it, ``data/`` (rejects files, enrichment reports); commands run in it. A *step* is one
writing command (``ckb load``, ``load-dir``, ``load epcis``, ``resolve``, ``enrich``, an
erasure, a push to ``ckb serve``) and the step whose result it starts from. A *trial*
copies the step's starting world, runs the command until it is killed — at its N-th store
commit (``CKB_FAULT_KILL_AT_COMMIT``, the hook in ``graph/embedded.py``: deterministic) or
after a delay (anywhere: mid-statement, mid-commit, mid-file) — checks the file
(``PRAGMA integrity_check``, the stored counts), runs the command again to completion and
digests the result, to compare with the digest of the same step run once, uninterrupted.

``tests/test_fault_injection.py`` runs a few kill points per command; ``bench/crash_points.py``
runs hundreds. ``python -m tests.support.faults erase CUSTOMER_ID`` (in a world, with
``CKB_GRAPH`` set) is the erasure as the GraphQL mutation ``eraseCustomer`` runs it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import orjson

from tests.support.serve import free_port
from tests.support.store_file import dump

REPO = Path(__file__).resolve().parents[2]
CKB = Path(sys.executable).parent / "ckb"
KILL_ENV = "CKB_FAULT_KILL_AT_COMMIT"
KILLED = -signal.SIGKILL
STORE = "kb.sqlite"
_COMMIT_LINE = re.compile(rb"^ckb-fault: commit (\d+)$", re.MULTILINE)
_API_KEY = "fault-injection-key"
_TIMEOUT = 120.0

# ------------------------------------------------------------------------------ content

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


# ------------------------------------------------------------------------------- worlds


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


@dataclass(slots=True)
class Outcome:
    """How one run of a command ended."""

    returncode: int | None
    commits: int  # store commits the process began (a kill comes before the last of them)
    output: str
    seconds: float  # the process's run; a push: its request's
    before: int = 0  # a server's commits before the request (its start)
    answer: int | None = None  # a push: the HTTP status; None when no answer came

    @property
    def killed(self) -> bool:
        return self.returncode == KILLED


def _commits(stderr: bytes) -> int:
    return len(_COMMIT_LINE.findall(stderr))


class Command(Protocol):
    """A writing command. ``run`` kills it just before its ``kill_at``-th store commit, or
    after ``delay`` seconds; without either it runs to the end. With ``kill_at`` set (0:
    no kill) the process announces its commits, which the outcome counts."""

    def run(
        self, world: World, kill_at: int | None = None, delay: float | None = None
    ) -> Outcome: ...

    def finished(self, outcome: Outcome) -> bool:
        """Whether a run to the end did all its work."""
        ...


def _process(
    argv: Sequence[str], world: World, kill_at: int | None, delay: float | None
) -> Outcome:
    world.root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=world.root,
        env=world.env(kill_at),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(timeout=_TIMEOUT if delay is None else delay)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=_TIMEOUT)
    seconds = time.perf_counter() - started
    text = (out + err).decode(errors="replace")
    return Outcome(proc.returncode, _commits(err), text, seconds)


@dataclass(frozen=True, slots=True)
class Cli:
    """``ckb ARGS...``."""

    args: tuple[str, ...]

    def run(self, world: World, kill_at: int | None = None, delay: float | None = None) -> Outcome:
        return _process([str(CKB), *self.args], world, kill_at, delay)

    def finished(self, outcome: Outcome) -> bool:
        return outcome.returncode == 0

    def __str__(self) -> str:
        return "ckb " + " ".join(Path(a).name if "/" in a else a for a in self.args)


@dataclass(frozen=True, slots=True)
class Erase:
    """The erasure of one customer as the GraphQL mutation ``eraseCustomer`` runs it: the
    same function, the same rejects and report folders (``main`` below)."""

    customer: str

    def run(self, world: World, kill_at: int | None = None, delay: float | None = None) -> Outcome:
        argv = [sys.executable, "-m", "tests.support.faults", "erase", self.customer]
        return _process(argv, world, kill_at, delay)

    def finished(self, outcome: Outcome) -> bool:
        # Killed after its one commit, the erasure was done: the re-run finds nobody.
        return outcome.returncode == 0 or (
            outcome.returncode == _NOBODY and "no customer" in outcome.output
        )

    def __str__(self) -> str:
        return f"erase {self.customer}"


@dataclass(frozen=True, slots=True)
class Push:
    """``ckb serve``, then ``POST /ingest/KIND?source=SOURCE`` with a file's lines. A run
    that kills the server and gets its answer first (``kill_at`` past the request's last
    commit, a long ``delay``) kills it after the answer: lost on the way, as far as the
    client knows, which pushes again."""

    kind: str
    source: str
    body: Path

    def run(self, world: World, kill_at: int | None = None, delay: float | None = None) -> Outcome:
        # The hook counts from the server's start; a server starting on an existing store
        # commits nothing (Outcome.before says so), so the count is the request's.
        port = free_port()
        env = world.env(kill_at)
        env["CKB_API_KEYS"] = f"fault:loader:{_API_KEY}"
        log = world.root.parent / f"{world.root.name}.serve.log"
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [str(CKB), "serve", "--port", str(port)],
                cwd=world.root,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
            try:
                before = self._wait_ready(proc, port, log)
                started = time.perf_counter()
                answer = self._post(proc, port, delay)
                seconds = time.perf_counter() - started
                if proc.poll() is None:
                    if kill_at or delay is not None:
                        proc.kill()
                    else:
                        proc.send_signal(signal.SIGINT)
                proc.wait(timeout=_TIMEOUT)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        text = log.read_bytes()
        output = text.decode(errors="replace")
        return Outcome(proc.returncode, _commits(text) - before, output, seconds, before, answer)

    def finished(self, outcome: Outcome) -> bool:
        return outcome.answer == 200

    def _wait_ready(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> int:
        """Wait for the server to answer; how many commits its start made."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"ckb serve stopped: {log.read_text(errors='replace')}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    return _commits(log.read_bytes())
            time.sleep(0.05)
        raise RuntimeError("ckb serve did not become ready")

    def _post(self, proc: subprocess.Popen[bytes], port: int, delay: float | None) -> int | None:
        timer = threading.Timer(delay, proc.kill) if delay is not None else None
        if timer is not None:
            timer.start()
        try:
            response = httpx.post(
                f"http://127.0.0.1:{port}/ingest/{self.kind}",
                params={"source": self.source},
                content=self.body.read_bytes(),
                headers={"authorization": f"Bearer {_API_KEY}"},
                timeout=_TIMEOUT,
            )
        except httpx.TransportError:
            return None  # the server died mid-request
        finally:
            if timer is not None:
                timer.cancel()
        return response.status_code

    def __str__(self) -> str:
        return f"POST /ingest/{self.kind}?source={self.source}"


# ------------------------------------------------------------------------------- trials


@dataclass(frozen=True, slots=True)
class Step:
    """A command and the step whose result it starts from (None: no store yet)."""

    command: Command
    after: str | None


# Push ingest resolves each customer record as it arrives, one commit each: a few dozen
# lines give as many kill points mid-request without a slow request.
PUSH_LINES = 30


def steps(sample: Path, push_body: Path, batch_size: int | None = None) -> dict[str, Step]:
    """Every writing command, on the sample in ``sample``. ``batch_size``: the loads'
    (default: the loader's). The loader commits every ten batches or every second, so
    small batches give more places to kill a load, but how many depends on the machine's
    speed; with whole files in one batch it does not."""
    from sample.showcase import WANG_WEI

    batches = ("--batch-size", str(batch_size)) if batch_size else ()
    load = ("load", "customers", str(sample / "billing.customers.csv"), "--source", "billing")
    return {
        "load": Step(Cli((*load, *batches)), None),
        "load-dir": Step(Cli(("load-dir", str(sample), *batches)), None),
        "load epcis": Step(Cli(("load", "epcis", str(sample / "supplychain.epcis.jsonl"))), None),
        "resolve": Step(Cli(("resolve",)), "load-dir"),
        "enrich": Step(Cli(("enrich", str(sample / "third_party_demographics.csv"))), "resolve"),
        # Wang Wei (the sample's showcase): four source records, a household others share,
        # a merge event, lines in the rejects files.
        "erase": Step(Erase(WANG_WEI), "enrich"),
        # A system the store has not heard of: new records, resolved on arrival onto the
        # customers resolve made (merges).
        "push": Step(Push("customers", "crm", push_body), "resolve"),
    }


@dataclass(frozen=True, slots=True)
class Reference:
    """A step run once, uninterrupted."""

    world: World
    outcome: Outcome
    digest: Digest


@dataclass(frozen=True, slots=True)
class Trial:
    """One kill and the recovery from it."""

    first: Outcome  # the killed run
    problems: list[str]  # what check_file found right after the kill
    rerun: Outcome  # the same command again, to the end
    world: World
    digest: Digest | None  # None when the re-run did not finish


class Lab:
    """A sample, and each step's uninterrupted result (made when first asked for), under
    ``root``; trials in fresh copies beside them."""

    def __init__(
        self,
        root: Path,
        customers: int = 150,
        seed: int = 7,
        batch_size: int | None = None,
        push_lines: int = PUSH_LINES,
    ) -> None:
        from sample.generator import generate_sample

        self.root = root
        self.sample = root / "sample"
        if not self.sample.is_dir():
            generate_sample(customers, seed, self.sample)
        push_body = root / "push.customers.jsonl"
        lines = (self.sample / "webshop.customers.jsonl").read_bytes().splitlines(keepends=True)
        push_body.write_bytes(b"".join(lines[:push_lines]))
        self.steps = steps(self.sample, push_body, batch_size)
        self._refs: dict[str, Reference] = {}
        self._count = 0
        self._lock = threading.Lock()  # trials may run in threads (bench/crash_points.py)

    def scratch(self, name: str) -> Path:
        """A new directory name under the lab's root (not created)."""
        with self._lock:
            while True:
                self._count += 1
                path = self.root / f"{re.sub(r'[^a-z0-9]+', '-', name)}-{self._count}"
                if not path.exists():
                    return path

    def start(self, name: str) -> World:
        """A fresh copy of the world the step starts from."""
        after = self.steps[name].after
        dest = self.scratch(name)
        if after is None:
            dest.mkdir(parents=True)
            return World(dest)
        return self.reference(after).world.copy(dest)

    def reference(self, name: str) -> Reference:
        """The step run once, uninterrupted (made the first time; not thread-safe)."""
        if name not in self._refs:
            world = self.start(name)
            step = self.steps[name]
            outcome = step.command.run(world, kill_at=0)  # 0: count the commits, no kill
            if not step.command.finished(outcome):
                raise RuntimeError(f"{name} failed uninterrupted:\n{outcome.output[-3000:]}")
            self._refs[name] = Reference(world, outcome, digest(world, _with_files(step)))
        return self._refs[name]

    def trial(self, name: str, kill_at: int | None = None, delay: float | None = None) -> Trial:
        """Kill the step's command at a commit or after a delay, check the file, run the
        command again to the end and digest the result."""
        step = self.steps[name]
        world = self.start(name)
        # Commits are counted (0: no kill) when the kill comes after a delay.
        first = step.command.run(world, kill_at=kill_at or 0, delay=delay)
        problems = check_file(world.store)
        rerun = step.command.run(world)
        done = step.command.finished(rerun)
        return Trial(
            first, problems, rerun, world, digest(world, _with_files(step)) if done else None
        )


def _with_files(step: Step) -> bool:
    # Push ingest appends its rejects to a log (ingest.<system>.<kind>.rejects.jsonl): a
    # batch pushed again is logged again, by design. Every other command rewrites its
    # files whole, so they must come out the same.
    return not isinstance(step.command, Push)


def traces(world: World, needles: Sequence[str]) -> list[str]:
    """Which of these strings (case-folded) the world still holds anywhere: in the graph
    (keys, properties, index terms) or in the files beside it."""
    held = [orjson.dumps(content(world.store)).decode()] if world.store.exists() else []
    held += [b.decode(errors="replace") for b in files(world.root).values()]
    haystack = "\n".join(held).casefold()
    return [n for n in needles if n.casefold() in haystack]


def spread(total: int, count: int) -> list[int]:
    """``count`` kill points from 1 to ``total``, evenly apart, the first and last included."""
    if total <= count:
        return list(range(1, total + 1))
    return sorted({1 + round(i * (total - 1) / (count - 1)) for i in range(count)})


# ------------------------------------------------------------------------ erase runner

_NOBODY = 3  # the erase runner's exit code when there is no such customer


def _erase(customer: str) -> int:
    from api.http.ingest import IngestSettings
    from governance.erase import ErasureError, erase_customer
    from graph.config import open_store, settings_from_env

    ingest = IngestSettings.from_env()
    store = open_store(settings_from_env())
    try:
        erased = erase_customer(
            store,
            customer,
            "fault-injection",
            "crash test",
            [ingest.rejects_dir],
            [ingest.rejects_dir.parent / "enrich"],  # as api/graphql/mutations.py passes them
        )
    except ErasureError as exc:
        print(exc, file=sys.stderr)
        return _NOBODY
    finally:
        store.close()
    print(orjson.dumps({"removed": erased.removed, "scrubbed": erased.scrubbed}).decode())
    return 0


def main(argv: Sequence[str]) -> int:
    if len(argv) == 2 and argv[0] == "erase":
        return _erase(argv[1])
    print("usage: python -m tests.support.faults erase CUSTOMER_ID", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
