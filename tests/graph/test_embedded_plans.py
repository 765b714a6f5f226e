"""Every statement the embedded store runs goes through an index.

The embedded store promises that no read or write walks a whole table: each lookup of
the store port is an index search (graph/embedded/layout.py). This test records every SQL
statement, with its parameters, that the store executes while a workload calls every
port method in every shape (term-indexed labels, paging, ranges both ways, all three
directions, atomic blocks ...), then asks SQLite for each distinct statement's plan
(``EXPLAIN QUERY PLAN``, with the parameters it ran with, on the connection it ran on so
the temporary staging tables exist) and fails on any full scan of ``nodes``, ``rels`` or
``terms``, naming the statement and its plan. Scans of the batch itself (the temporary
staging tables, ``json_each``) are what a set-based write is made of and pass.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from graph.embedded import EmbeddedStore
from graph.store import GraphStore, RelRow

# The store port's methods, read off the protocol so a new one must join the workload.
PORT_METHODS = frozenset(
    name for name, value in vars(GraphStore).items() if not name.startswith("_") and callable(value)
)
# Port methods the workload leaves out, and why.
EXEMPT = {
    "clear": "deletes every row: a whole-table statement is what it is for",
    "close": "runs no SQL",
}
# The tables that must never be scanned; every other table (staging, counts, meta,
# sqlite_master) and table-valued function (json_each) may be.
GUARDED = frozenset({"nodes", "rels", "terms"})
# Statements with no query plan worth asking for.
_NO_PLAN = re.compile(
    r"\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|CREATE|DROP)\b", re.I
)
# `FROM rels AS r`, `JOIN nodes o`, `UPDATE nodes SET`, `INTO terms (...)`: a guarded table
# and the alias, if any, plan lines will call it by.
_TABLE_REF = re.compile(
    rf"\b(?:FROM|JOIN|UPDATE|INTO)\s+(?:main\.)?({'|'.join(sorted(GUARDED))})\b"
    r"(?:\s+(?:AS\s+)?(?!(?:WHERE|JOIN|ON|SET|INDEXED|NOT|USING|CROSS|INNER|LEFT|NATURAL|"
    r"ORDER|GROUP|LIMIT|UNION|VALUES|SELECT|DEFAULT|RETURNING)\b)([A-Za-z_]\w*))?",
    re.I,
)
_SCAN = re.compile(r"^\s*SCAN (\S+)")
# A search of the (label, key) index on the label alone walks every node of the label.
_LABEL_WALK = re.compile(r"^\s*SEARCH (\S+) USING (?:COVERING )?INDEX nodes_key \(label=\?\)$")


# Distinct parameter sets planned per statement: bound values can change a plan (SQLite
# may use a partial index only when a bound value matches its WHERE clause).
MAX_RUNS = 25


@dataclass(slots=True)
class Run:
    """One distinct set of parameters a statement ran with, and the plan they give it."""

    params: Any
    plan: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Statement:
    """One distinct SQL text: the parameters it ran with, the port methods running it."""

    sql: str
    runs: list[Run] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)

    @property
    def plannable(self) -> bool:
        return not _NO_PLAN.match(self.sql)

    def add(self, params: Any) -> None:
        if len(self.runs) < MAX_RUNS and all(run.params != params for run in self.runs):
            self.runs.append(Run(params))

    def guarded_names(self) -> set[str]:
        """The names plan lines may give the guarded tables in this statement."""
        names: set[str] = set()
        for table, alias in _TABLE_REF.findall(self.sql):
            names.add(table.lower())
            if alias:
                names.add(alias)
        return names

    def offending(self, pattern: re.Pattern[str]) -> list[tuple[Run, list[str]]]:
        """The runs whose plan has lines matching ``pattern`` on a guarded table."""
        names = self.guarded_names()
        found = []
        for run in self.runs:
            lines = [
                line
                for line in run.plan
                if (m := pattern.search(line)) and m.group(1).removeprefix("main.") in names
            ]
            if lines:
                found.append((run, lines))
        return found

    def report(self, offending: Sequence[tuple[Run, list[str]]]) -> str:
        parts = [
            f"  by {', '.join(sorted(self.methods)) or '(opening the store)'}:\n    {self.sql}"
        ]
        for run, lines in offending:
            plan = "\n".join(f"        {line}" for line in run.plan)
            parts.append(
                f"    params: {run.params!r}\n"
                f"    offending: {'; '.join(line.strip() for line in lines)}\n"
                f"    plan:\n{plan}"
            )
        return "\n".join(parts)


class Recorder:
    """Collects the distinct statements run, each tagged with the port methods running."""

    def __init__(self) -> None:
        self.statements: dict[str, Statement] = {}
        self.running: list[str] = []
        self.connections: list[RecordingConnection] = []

    def record(self, sql: str, params: Any) -> None:
        statement = self.statements.get(sql)
        if statement is None:
            statement = self.statements[sql] = Statement(sql)
        if params is not None:
            statement.add(params)
        statement.methods.update(self.running)

    @contextlib.contextmanager
    def calling(self, name: str) -> Iterator[None]:
        self.running.append(name)
        try:
            yield
        finally:
            self.running.pop()


class RecordingConnection:
    """A thin proxy over the store's sqlite3 connection that records what it executes."""

    def __init__(self, conn: sqlite3.Connection, recorder: Recorder) -> None:
        self.raw = conn
        self._recorder = recorder

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self._recorder.record(sql, _copy(params))
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Any]) -> sqlite3.Cursor:
        rows = list(seq)
        self._recorder.record(sql, _copy(rows[0]) if rows else None)
        return self.raw.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def _copy(params: Any) -> Any:
    return dict(params) if isinstance(params, dict) else tuple(params)


def _plan(conn: sqlite3.Connection, sql: str, params: Any) -> list[str]:
    """The statement's query plan with these parameters, as indented detail lines."""
    rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node_id, parent, _, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + detail)
    return lines


def _instrument(store: EmbeddedStore, recorder: Recorder) -> None:
    """Tag every statement with the port methods on the call stack (neighbours calls
    neighbours_many; statements in an atomic block belong to ``atomic`` too)."""
    for name in PORT_METHODS:
        original: Callable[..., Any] = getattr(store, name)
        if name == "atomic":

            @contextlib.contextmanager
            def atomic(original: Callable[[], Any] = original) -> Iterator[None]:
                with recorder.calling("atomic"), original():
                    yield

            setattr(store, name, atomic)
            continue

        def call(
            *args: Any, _original: Callable[..., Any] = original, _name: str = name, **kwargs: Any
        ) -> Any:
            with recorder.calling(_name):
                return _original(*args, **kwargs)

        setattr(store, name, functools.wraps(original)(call))


# ----------------------------------------------------------------------------- workload

N = 300


def _customer(i: int, *, keys: str | None = None) -> dict[str, Any]:
    return {
        "id": f"c{i:04d}",
        "name": f"Customer {i}",
        "name_normalized": f"customer {i:04d}",
        "name_keys": keys or f"k{i % 7} m{i % 11} n{i}",
        "email": f"c{i}@example.org",
        "status": "active" if i % 3 else "churned",
        "churn_score": i / N,
        "risk_key": f"{'gold' if i % 2 else 'bronze'}:{i:04d}",
        "postal_code": f"{1000 + i % 40}",
    }


def _workload(store: EmbeddedStore) -> None:  # noqa: PLR0915 - every read the port makes, in one recorded run
    """Call every port method in every shape, on a few hundred nodes of several labels."""
    store.ping()
    store.apply_schema()

    # ----- writes: creations, term-indexed labels, relationships with and without keys
    created = store.upsert_nodes("Customer", [_customer(i) for i in range(N)])
    assert created.created == N
    store.upsert_nodes(
        "SourceRecord",
        [
            {
                "id": f"crm:{i}",
                "source_system": "crm",
                "source_record_id": str(i),
                "email": f"c{i}@example.org",
                "match_keys": f"e{i % 13} p{i % 17} x{i}",
            }
            for i in range(N)
        ],
        touch={"loaded_at": "2024-01-01T00:00:00Z"},
    )
    store.upsert_nodes(
        "Holding",
        [{"id": f"h{i:04d}", "status": "active" if i % 4 else "closed"} for i in range(N)],
    )
    store.upsert_nodes(
        "Household", [{"id": f"hh{i:03d}", "postal_code": f"{1000 + i}"} for i in range(40)]
    )
    # Changed (term re-index), unchanged and new rows in one batch.
    changed = store.upsert_nodes(
        "Customer",
        [_customer(1, keys="k1 renamed"), _customer(2), {"id": "c9999", "name_keys": "fresh"}],
        touch={"loaded_at": "2024-01-02T00:00:00Z"},
    )
    assert changed.created == 1

    store.upsert_relationships(
        "RESOLVED_TO",
        "SourceRecord",
        "Customer",
        [RelRow(f"crm:{i}", f"c{i:04d}", {"score": 0.9, "rule": "email"}) for i in range(N)],
    )
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow(f"c{i:04d}", f"h{i:04d}", {"role": "primary"}) for i in range(N)],
    )
    store.upsert_relationships(
        "MEMBER_OF",
        "Customer",
        "Household",
        [RelRow(f"c{i:04d}", f"hh{i % 40:03d}", {"role": "other"}) for i in range(N)],
    )
    related = [
        RelRow(f"c{i:04d}", f"c{(i + 1) % N:04d}", {"kind": "family"}) for i in range(0, N, 3)
    ]
    related += [
        RelRow("c0003", "c0003", {"kind": "self"}),
        RelRow("c0003", "c0004", {"kind": "referral"}),
    ]
    store.upsert_relationships("RELATED_TO", "Customer", "Customer", related)
    # A changed property (update path) and a missing endpoint.
    upserted = store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [
            RelRow("c0001", "h0001", {"role": "joint"}),
            RelRow("c0001", "nowhere", {"role": "joint"}),
        ],
        touch={"since": "2024-01-01"},
    )
    assert [m.missing for m in upserted.missing] == [("dst",)]

    # ----- reads by key
    assert store.get_node("Customer", "c0001") is not None
    assert store.get_node("Customer", "absent") is None
    assert set(store.get_nodes("Customer", ["c0001", "c0002", "absent"])) == {"c0001", "c0002"}

    # ----- indexed lookups
    first = store.find_nodes("Customer", "status", "active", limit=10)
    assert len(first) == 10
    following = store.find_nodes("Customer", "status", "active", limit=10, after=first[-1].key)
    assert following[0].key > first[-1].key
    assert store.find_nodes("Customer", "email", "c5@example.org")
    assert [n.key for n in store.find_nodes("Customer", "churn_score", 0.5)] == ["c0150"]
    assert store.find_nodes("Customer", "id", "c0005")  # the key: a get_node
    assert store.find_nodes("SourceRecord", "source_system", "crm", limit=5)
    assert store.find_nodes("Holding", "status", "closed", limit=5)

    assert store.find_range("Customer", "churn_score", 0.1, 0.2)
    assert store.find_range("Customer", "churn_score", low=0.9)
    assert store.find_range("Customer", "churn_score", high=0.1, descending=True)
    assert store.find_range("Customer", "churn_score", 0.1, 0.2, limit=5, descending=True)
    assert store.find_range("Customer", "risk_key", "gold:", "gold:0100")
    assert store.find_range("Customer", "risk_key", low="gold:", descending=True, limit=5)
    assert store.find_range("Customer", "risk_key", high="bronze:0100")
    assert store.find_range("Customer", "risk_key", high="c", descending=True, limit=5)

    assert store.find_prefix("Customer", "name_normalized", "customer 01", limit=5)
    assert store.find_prefix("SourceRecord", "email", "c1", limit=5)

    assert store.find_terms("Customer", "name_keys", ["k1", "m2", "renamed"], limit=5)
    assert store.find_terms("SourceRecord", "match_keys", ["e3", "p4"], limit=5)

    # ----- neighbourhoods
    for direction in ("out", "in", "both"):
        assert store.neighbours("Customer", "c0003", direction=direction)
        assert store.neighbours("Customer", "c0003", "RELATED_TO", direction=direction)
        assert store.neighbours("Customer", "c0003", direction=direction, other_label="Customer")
        assert store.neighbours(
            "Customer", "c0003", "RELATED_TO", direction=direction, other_label="Customer"
        )
        assert store.degree("Customer", "c0003", direction=direction)
        assert store.degree("Customer", "c0003", "RELATED_TO", direction=direction)
    assert store.neighbours("Customer", "c0001", "HOLDS", other_label="Holding", limit=1)
    many = store.neighbours_many("Customer", ["c0000", "c0001", "absent"], "HOLDS")
    assert set(many) == {"c0000", "c0001"}
    assert store.neighbours_many(
        "Household", ["hh001", "hh002"], direction="in", other_label="Customer"
    )
    assert store.neighbours_many("Customer", ["c0003", "c0006"], direction="both")
    assert store.neighbour_nodes_many("Customer", ["c0000", "c0001"], "HOLDS", limit=1)
    assert store.neighbour_nodes_many("Customer", ["c0001"], "HOLDS", other_label="Holding")
    assert store.neighbour_nodes_many("Household", ["hh001"], "MEMBER_OF", "in")
    assert store.neighbour_nodes_many("Customer", ["c0003"], direction="both")
    assert store.neighbour_keys_many("Customer", ["c0000", "c0001"], "HOLDS", limit=1)
    assert store.neighbour_keys_many("Customer", ["c0001"], "HOLDS", other_label="Holding")
    edges = store.relationships_of("Customer", ["c0003", "c0004", "absent"])
    assert set(edges) == {"c0003", "c0004"}

    # ----- paging and counts
    page = store.keys_page("Customer", limit=50)
    assert len(page) == 50
    assert store.keys_page("Customer", after=page[-1], limit=50)[0] > page[-1]
    assert store.counts().nodes["Customer"] == N + 1

    # ----- deletes, alone and in (nested) atomic blocks
    assert (
        store.delete_relationships(
            "RELATED_TO", "Customer", "Customer", [RelRow("c0003", "c0004", {"kind": "referral"})]
        )
        == 1
    )
    assert store.delete_nodes("Holding", ["h0010", "h0011", "absent"]) == 2
    assert store.delete_nodes("Customer", ["absent"]) == 0
    with store.atomic():
        store.upsert_nodes("Customer", [_customer(5, keys="k5 atomic")])
        with store.atomic():
            store.upsert_relationships(
                "RELATED_TO", "Customer", "Customer", [RelRow("c0005", "c0006", {"kind": "family"})]
            )
        assert store.neighbours("Customer", "c0005", "RELATED_TO")
        store.delete_relationships(
            "HOLDS", "Customer", "Holding", [RelRow("c0005", "h0005", {"role": "primary"})]
        )
        store.delete_nodes("Customer", ["c0003", "c0006"])  # self-loop and both-ends doomed
    assert store.get_node("Customer", "c0003") is None
    with contextlib.suppress(RuntimeError), store.atomic():
        store.upsert_nodes("Customer", [{"id": "rolled-back"}])
        raise RuntimeError("roll the block back")
    assert store.get_node("Customer", "rolled-back") is None
    # Gone: two holdings, one HOLDS deleted, the holdings of two deleted customers.
    assert store.counts().relationships["HOLDS"] == N - 5


@pytest.fixture(scope="module")
def statements(tmp_path_factory: pytest.TempPathFactory) -> list[Statement]:
    """The distinct statements the workload ran, each with its query plan."""
    recorder = Recorder()
    original_connect = EmbeddedStore._connect

    def connect(store: EmbeddedStore, cache_kib: int) -> Any:
        conn = RecordingConnection(original_connect(store, cache_kib), recorder)
        recorder.connections.append(conn)
        return conn

    with pytest.MonkeyPatch.context() as patch:
        # Patched for the whole run: a reading connection opened later is recorded too.
        patch.setattr(EmbeddedStore, "_connect", connect)
        store = EmbeddedStore(tmp_path_factory.mktemp("plans") / "store.sqlite")
        try:
            _instrument(store, recorder)
            _workload(store)
            # The writing connection: the one holding the temporary staging tables.
            main = recorder.connections[0].raw
            found = list(recorder.statements.values())
            for statement in found:
                if not statement.plannable:
                    continue
                if not statement.runs:  # only ever run as an empty batch: bind NULLs
                    statement.add((None,) * statement.sql.count("?"))
                for run in statement.runs:
                    run.plan = _plan(main, statement.sql, run.params)
        finally:
            store.close()
    return found


def test_the_workload_calls_every_port_method(statements: list[Statement]) -> None:
    covered = {m for s in statements if s.plannable for m in s.methods}
    missing = PORT_METHODS - set(EXEMPT) - covered
    assert not missing, f"the workload ran no statement for: {', '.join(sorted(missing))}"
    assert set(EXEMPT) <= PORT_METHODS, "an exempt method is no longer a port method"


def test_no_statement_scans_nodes_rels_or_terms(statements: list[Statement]) -> None:
    offending = [s.report(found) for s in statements if (found := s.offending(_SCAN))]
    assert not offending, (
        f"{len(offending)} statement(s) scan a whole table instead of searching an index:\n"
        + "\n".join(offending)
    )


def test_no_lookup_walks_a_whole_label(statements: list[Statement]) -> None:
    # Searching nodes_key on the label alone visits every node of the label: a scan in
    # all but name (the planner's choice when a property index is not named).
    offending = [s.report(found) for s in statements if (found := s.offending(_LABEL_WALK))]
    assert not offending, (
        f"{len(offending)} statement(s) walk every node of a label:\n" + "\n".join(offending)
    )


def test_the_plans_were_read(statements: list[Statement]) -> None:
    """Guards the test itself: plans exist and the checks recognise what they look for."""
    # INSERT ... VALUES has an empty plan; everything that reads a table has one.
    plans = [run.plan for s in statements for run in s.runs if run.plan]
    assert len(plans) > 20
    assert any(line.strip().startswith("SEARCH nodes") for plan in plans for line in plan)

    joined = Statement("SELECT o.key FROM rels AS r JOIN nodes AS o ON o.id = r.dst")
    joined.runs = [Run((), ["SCAN r", "SEARCH o USING INTEGER PRIMARY KEY (rowid=?)"])]
    assert [lines for _, lines in joined.offending(_SCAN)] == [["SCAN r"]]
    staged = Statement("SELECT n.id FROM temp.stage_nodes AS s CROSS JOIN nodes AS n")
    staged.runs = [Run((), ["SCAN s", "SEARCH n USING INDEX nodes_key (label=? AND key=?)"])]
    assert staged.offending(_SCAN) == []
    assert staged.offending(_LABEL_WALK) == []
    walk = Statement("SELECT key FROM nodes WHERE label = ? AND json_extract(props, '$.x') = ?")
    walk.runs = [Run(("A", 1), ["SEARCH nodes USING INDEX nodes_key (label=?)"])]
    assert len(walk.offending(_LABEL_WALK)) == 1
