"""Embedded store: a disk-resident graph in one SQLite file (WAL).

Nothing of the graph is copied into memory: every read is an indexed SQL lookup (the
layout is in ``graph/embedded/layout.py``), so memory is SQLite's page cache and opening a
store costs the same at a thousand elements or ten million. This module opens the file
(creating a new store's tables, refusing foreign or old files, keeping indexes in step
with the schema, building back those a stopped bulk load deferred), defers a label's
scattered indexes for a bulk load (``defer_indexes``), and puts the store together from
its parts: connections and transactions, writes, reads, traversals, the SQL read path
and the rollups.

A store this process cannot write (a read-only file, folder or file system) is opened
read-only: reads work, a write raises StoreReadOnlyError before touching it
(graph/embedded/file.py).
"""

from __future__ import annotations

import itertools
import os
import socket
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from graph.adapter import StoreAdapter
from graph.embedded.connections import WRITER_CACHE_KIB, rollback
from graph.embedded.file import StoreFile
from graph.embedded.layout import (
    BASE_DDL,
    DEFERRED_PREFIX,
    FIRST_FORMAT,
    FORMAT,
    INDEX_PREFIX,
    RETIRED_INDEXES,
    STAGE_DDL,
    Codes,
    PropertyIndex,
    check_identifiers,
    property_indexes,
    vocabulary,
)
from graph.embedded.reads import Reads
from graph.embedded.repoint import Repointing
from graph.embedded.sql_reads import SqlReads
from graph.embedded.texts import dumps, loads
from graph.embedded.traversal import Traversals
from graph.errors import StoreCorruptError, StoreFormatError, StoreReadOnlyError
from graph.schema import GraphSchema, schema


class EmbeddedStore(Repointing, Reads, Traversals, SqlReads, StoreAdapter):
    """The default store. Thread-safe; any number of instances and processes per file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        model: GraphSchema | None = None,
        busy_timeout: float = 60.0,
    ) -> None:
        self._schema = model or schema()
        check_identifiers(self._schema)
        self._file = StoreFile(path, synchronous, busy_timeout)
        self._closed = False
        self._main_lock = threading.RLock()
        self._local = threading.local()
        self._pool_lock = threading.Lock()
        self._idle = []
        self._term_props = {n.label: n.terms for n in self._schema.nodes}
        self._sql_cache = {}
        self._main = self._connect(WRITER_CACHE_KIB)
        try:
            self._prepare()
            for ddl in STAGE_DDL:
                self._main.execute(ddl)
        except BaseException:
            self._main.close()
            raise

    @property
    def path(self) -> Path:
        return self._file.path

    # A load adding fewer nodes of a label keeps its indexes (defer_indexes): the
    # stand-ins and the builds would cost about what they save.
    defer_min_rows = 50_000

    @property
    def batches_per_transaction(self) -> int:
        # A random insert dirties a whole index page; the commit writes it. Ten batches
        # of 5,000 rows share most pages: 18.7k -> 26.3k touchpoints/s at 100k customers.
        return 10

    def _prepare(self) -> None:
        """Create a new store's tables, refuse foreign or old files, keep indexes in step
        with the schema."""
        conn, path = self._main, self._file.path
        try:
            tables = self._tables(conn)
            if not tables:
                tables = self._set_up(conn)
            if "meta" not in tables:
                raise StoreCorruptError(f"{path} is an SQLite file but not a ckb store")
            fmt = conn.execute("SELECT v FROM meta WHERE k = 'format'").fetchone()
            if fmt is not None and fmt[0] == FIRST_FORMAT:
                raise StoreFormatError(
                    f"{path} is a store of ckb's first design ({FIRST_FORMAT}); "
                    f"convert it once with: ckb --graph embedded:{path} store upgrade"
                )
            if fmt is None or fmt[0] != FORMAT:
                found = "no format" if fmt is None else f"store format {fmt[0]!r}"
                raise StoreCorruptError(f"{path} has {found}; this ckb reads {FORMAT!r}")
            self._codes = self._sync_vocab(conn)
            self._sync_indexes(conn)
            self._drop_retired(conn)
            self._rollups = self._sync_rollups(conn)
        except sqlite3.DatabaseError as exc:
            fault = self._file.fault(exc, "open")
            raise fault or StoreCorruptError(f"{path} is not a readable ckb store: {exc}") from None

    def _set_up(self, conn: sqlite3.Connection) -> set[str]:
        """A new store's tables, in a file that holds none yet; returns the tables."""
        if self._file.read_only is not None:
            raise StoreReadOnlyError(
                f"{self._file.path} holds no store yet and cannot be set up: {self._file.read_only}"
            )
        self._begin(conn)
        try:
            for ddl in BASE_DDL:
                conn.execute(ddl)
            conn.execute("INSERT OR IGNORE INTO meta (k, v) VALUES ('format', ?)", (FORMAT,))
            self._commit(conn)
        except BaseException:
            rollback(conn)
            raise
        return self._tables(conn)

    @staticmethod
    def _tables(conn: sqlite3.Connection) -> set[str]:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {name for (name,) in rows}

    def _sync_vocab(self, conn: sqlite3.Connection) -> Codes:
        """The codes of every name the schema uses; a name new to this file gets one."""
        wanted = vocabulary(self._schema)
        rows = conn.execute("SELECT code, kind, name FROM vocab").fetchall()
        if not set(wanted) <= {(kind, name) for _, kind, name in rows}:
            if self._file.read_only is not None:
                raise self._file.stale_read_only()
            self._begin(conn)
            try:
                conn.executemany("INSERT OR IGNORE INTO vocab (kind, name) VALUES (?, ?)", wanted)
                self._commit(conn)
            except BaseException:
                rollback(conn)
                raise
            rows = conn.execute("SELECT code, kind, name FROM vocab").fetchall()
        codes = Codes.of(rows)
        self._label_names = codes.names("label")
        self._type_names = codes.names("type")
        return codes

    def _sync_indexes(self, conn: sqlite3.Connection) -> list[str]:
        """Create the property indexes the schema declares and drop ones it no longer does;
        build again those a load deferred and did not restore (it stopped: a crash)."""
        wanted = {ix.name: ix for ix in property_indexes(self._schema)}
        present = self._index_sql(conn)
        if set(present) == set(wanted) and not self._orphans(conn, wanted, present):
            return []
        if self._file.read_only is not None:
            if set(present) != set(wanted):
                raise self._file.stale_read_only()
            return []  # stand-ins answer right, only slower, until a writer opens the store
        actions = []
        self._begin(conn)
        try:
            present = self._index_sql(conn)  # again, now that no other writer can change it
            for name in sorted(set(wanted) - set(present)):
                index = wanted[name]
                conn.execute(index.ddl(self._codes.labels[index.label]))
                actions.append(f"created index {name}")
            for name in sorted(set(present) - set(wanted)):
                conn.execute(f'DROP INDEX IF EXISTS "{name}"')
                actions.append(f"dropped index {name}")
            for label, names in self._orphans(conn, wanted, present).items():
                for name in self._build_deferred(conn, wanted, names):
                    actions.append(f"built index {name} a stopped load had deferred")
                conn.execute("DELETE FROM meta WHERE k = ?", (DEFERRED_PREFIX + label,))
            self._commit(conn)
        except BaseException:
            rollback(conn)
            raise
        return actions

    def _drop_retired(self, conn: sqlite3.Connection) -> None:
        """Drop the indexes an earlier layout had and this one does without; a read-only
        opener leaves them (nothing here reads them)."""
        marks = ", ".join("?" * len(RETIRED_INDEXES))
        found = conn.execute(
            f"SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ({marks})",
            RETIRED_INDEXES,
        ).fetchall()
        if not found or self._file.read_only is not None:
            return
        self._begin(conn)
        try:
            for (name,) in found:
                conn.execute(f'DROP INDEX IF EXISTS "{name}"')
            self._commit(conn)
        except BaseException:
            rollback(conn)
            raise

    # A bulk load's deferred indexes (layout DEFERRED_PREFIX). Measured on the 100k sample,
    # 1.31M web touchpoints into a store of 1.9M nodes: the writer's CPU 56.7 s with the
    # Touchpoint indexes kept, 26.1 s with the two time-ordered ones deferred plus 8.7 s
    # to build them.

    @staticmethod
    def _index_sql(conn: sqlite3.Connection) -> dict[str, str]:
        """The property indexes in the file: name -> the SQL that made it."""
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE ? ESCAPE '\\'",
            (INDEX_PREFIX.replace("_", "\\_") + "%",),
        )
        return dict(rows.fetchall())

    @staticmethod
    def _deferrals(conn: sqlite3.Connection) -> dict[str, dict[str, str | list[str]]]:
        """label -> {"owner": the loading process, "indexes": the names it deferred}."""
        rows = conn.execute(
            "SELECT substr(k, ?), v FROM meta WHERE k LIKE ?",
            (len(DEFERRED_PREFIX) + 1, DEFERRED_PREFIX + "%"),
        )
        return {label: loads(text) for label, text in rows.fetchall()}  # type: ignore[misc]

    def _orphans(
        self, conn: sqlite3.Connection, wanted: dict[str, PropertyIndex], present: dict[str, str]
    ) -> dict[str, list[str]]:
        """label -> its stand-in indexes that no live loading process owns."""
        live = {
            label for label, marker in self._deferrals(conn).items() if _alive(str(marker["owner"]))
        }
        found: dict[str, list[str]] = {}
        for name, ix in wanted.items():
            stand_in = ix.stand_in_ddl(self._codes.labels[ix.label])
            if ix.label not in live and present.get(name) == stand_in:
                found.setdefault(ix.label, []).append(name)
        return found

    def _build_deferred(
        self, conn: sqlite3.Connection, wanted: dict[str, PropertyIndex], names: Sequence[str]
    ) -> list[str]:
        """Replace the stand-ins among ``names`` by their indexes (in the caller's
        transaction: readers use the stand-in until it commits); returns those built."""
        present = self._index_sql(conn)
        built = []
        for name in names:
            ix = wanted.get(name)
            if ix is None:
                continue
            code = self._codes.labels[ix.label]
            if present.get(name) == ix.stand_in_ddl(code):
                conn.execute(f'DROP INDEX "{name}"')
                conn.execute(ix.ddl(code))
                built.append(name)
        return built

    def defer_indexes(
        self, label: str, expected: int, sample: Sequence[Mapping[str, object]]
    ) -> tuple[str, ...]:
        """Before a load of about ``expected`` new ``label`` nodes (``sample``: the
        properties of its first rows, in the order they come), replace the label's
        property indexes those rows would enter at random places — their values mostly
        differ from row to row (times, not kinds) — by stand-ins until
        :meth:`restore_indexes`. Returns the names deferred: none when it would not pay
        (building an index scans every node and sorts the label's: the load must add more
        nodes than the label holds plus a quarter of the store's, and ``defer_min_rows`` at
        least) or another live process defers the label's indexes already (its stand-ins
        serve this load too)."""
        indexes = [ix for ix in property_indexes(self._schema) if ix.label == label]
        if not indexes or not sample or expected <= 0 or os.name != "posix":
            return ()  # (elsewhere no process could tell a live owner from a dead one)
        with self._reading() as conn:
            counts = dict(conn.execute("SELECT name, n FROM counts WHERE kind = 'node'").fetchall())
        held = counts.get(label, 0)
        if expected < held + sum(counts.values()) // 4 or expected < self.defer_min_rows:
            return ()
        scattered = [ix for ix in indexes if _scattered(ix, sample)]
        if not scattered:
            return ()
        code = self._codes.labels[label]
        wanted = {ix.name: ix for ix in indexes}
        with self._writing() as conn:
            marker = self._deferrals(conn).get(label)
            if marker is not None and _alive(str(marker["owner"])):
                return ()
            present = self._index_sql(conn)
            # A stopped load's stand-ins (still there if no writer opened since) are
            # taken over rather than built and replaced again.
            names = [
                name
                for name in (marker or {}).get("indexes", ())
                if name in wanted and present.get(name) == wanted[name].stand_in_ddl(code)
            ]
            for ix in scattered:
                if ix.name not in names and present.get(ix.name) == ix.stored_ddl(code):
                    conn.execute(f'DROP INDEX "{ix.name}"')
                    conn.execute(ix.stand_in_ddl(code))
                    names.append(ix.name)
            if not names:
                return ()
            conn.execute(
                "INSERT INTO meta (k, v) VALUES (?, ?) "
                "ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                (DEFERRED_PREFIX + label, dumps({"owner": _owner(), "indexes": names})),
            )
        return tuple(names)

    def restore_indexes(self, label: str) -> list[str]:
        """Build the indexes this process deferred for ``label`` (:meth:`defer_indexes`),
        each in a transaction of its own; returns their names."""
        wanted = {ix.name: ix for ix in property_indexes(self._schema)}
        with self._reading() as conn:
            marker = self._deferrals(conn).get(label)
        if marker is None or marker["owner"] != _owner():
            return []
        built = []
        for name in marker["indexes"]:
            with self._writing() as conn:
                built += self._build_deferred(conn, wanted, [str(name)])
        with self._writing() as conn:
            conn.execute(
                "DELETE FROM meta WHERE k = ? AND json_extract(v, '$.owner') = ?",
                (DEFERRED_PREFIX + label, _owner()),
            )
        return built

    def ping(self) -> None:
        with self._reading() as conn:
            conn.execute("SELECT 1").fetchone()

    def apply_schema(self) -> list[str]:
        with self._main_lock:
            self._check_open()
            try:
                actions = self._sync_indexes(self._main)
            except sqlite3.Error as exc:
                if (fault := self._file.fault(exc, "write")) is None:
                    raise
                raise fault from None
            with self._writing() as conn:
                conn.execute(
                    "INSERT INTO meta (k, v) VALUES ('schema_version', ?) "
                    "ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                    (str(self._schema.version),),
                )
        indexed = len(property_indexes(self._schema))
        return [
            f"schema version {self._schema.version} recorded in {self._file.path}",
            *actions,
            f"{len(self._schema.nodes)} key indexes and {indexed} property indexes in place",
        ]


def _started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, Linux), '' where unknown:
    with the ID it tells a live process from a later one given the same ID."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def _owner() -> str:
    """This process as a deferral's owner: host, process ID, start time."""
    return f"{socket.gethostname()} {os.getpid()} {_started(os.getpid())}"


def _alive(owner: str) -> bool:
    """Whether the process ``owner`` names runs (a store's writers share its host: WAL)."""
    host, _, rest = owner.partition(" ")
    pid_text, _, started = rest.partition(" ")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    return _started(int(pid_text)) == started


def _scattered(index: PropertyIndex, rows: Sequence[Mapping[str, object]]) -> bool:
    """Whether rows arriving in this order enter ``index`` at random places: more than
    one in ten has values of its own, and more than one in ten comes before the row
    ahead of it. Rows of a few values (a kind, a status) go in at the end of each
    value's run, rows numbered in order (an ID) at the end of the index."""
    values = [tuple(_sort_key(row.get(p)) for p in index.columns()) for row in rows]
    tenth = len(values) / 10
    if len(set(values)) <= tenth:
        return False
    return sum(after < before for before, after in itertools.pairwise(values)) > tenth


def _sort_key(value: object) -> tuple[int, object]:
    """A property value where SQLite sorts it: null, numbers, text, the rest as text."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, value) if isinstance(value, str) else (3, repr(value))
