"""Fault injection: kill a writing command with SIGKILL, recover, compare with a clean run.

A *world* (tests/support/worlds.py) is a directory holding what the commands write: the
embedded store and, beside it, ``data/`` (rejects files, enrichment reports); commands run
in it. A *step* is one
writing command (``ckb load``, ``load-dir``, ``load epcis``, ``resolve``, ``enrich``, an
erasure, a push to ``ckb serve``) and the step whose result it starts from. A *trial*
copies the step's starting world, runs the command until it is killed — at its N-th store
commit (``CKB_FAULT_KILL_AT_COMMIT``, the hook in ``graph/embedded/connections.py``: deterministic) or
after a delay (anywhere: mid-statement, mid-commit, mid-file) — checks the file
(``PRAGMA integrity_check``, the stored counts), runs the command again to completion and
digests the result, to compare with the digest of the same step run once, uninterrupted.

``tests/test_fault_injection.py`` runs a few kill points per command; ``bench/crash_points.py``
runs hundreds. ``python -m tests.support.faults erase CUSTOMER_ID`` (in a world, with
``CKB_GRAPH`` set) is the erasure as the GraphQL mutation ``eraseCustomer`` runs it.
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import orjson

from tests.support.commands import CKB
from tests.support.serve import free_port
from tests.support.worlds import Digest, World, check_file, content, digest, files

KILLED = -signal.SIGKILL
_COMMIT_LINE = re.compile(rb"^ckb-fault: commit (\d+)$", re.MULTILINE)
_API_KEY = "fault-injection-key"
_TIMEOUT = 120.0


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
class Trial:
    """One kill and the recovery from it."""

    first: Outcome  # the killed run
    problems: list[str]  # what check_file found right after the kill
    rerun: Outcome  # the same command again, to the end
    world: World
    digest: Digest | None  # None when the re-run did not finish


@dataclass(frozen=True, slots=True)
class Reference:
    """A step run once, uninterrupted."""

    world: World
    outcome: Outcome
    digest: Digest


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
