"""Embedded store: a disk-resident graph in one SQLite file (WAL).

Nothing of the graph is copied into memory: every read is an indexed SQL lookup (the
layout is in ``graph/embedded/layout.py``), so memory is SQLite's page cache and opening a
store costs the same at a thousand elements or ten million. This module opens the file
(creating a new store's tables, refusing foreign or old files, keeping indexes in step
with the schema) and puts the store together from its parts: connections and
transactions, writes, reads, traversals, the SQL read path and the rollups.

A store this process cannot write (a read-only file, folder or file system) is opened
read-only: reads work, a write raises StoreReadOnlyError before touching it
(graph/embedded/file.py).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from graph.adapter import StoreAdapter
from graph.embedded.connections import WRITER_CACHE_KIB, rollback
from graph.embedded.file import StoreFile
from graph.embedded.layout import (
    BASE_DDL,
    FIRST_FORMAT,
    FORMAT,
    INDEX_PREFIX,
    STAGE_DDL,
    Codes,
    check_identifiers,
    property_indexes,
    vocabulary,
)
from graph.embedded.reads import Reads
from graph.embedded.repoint import Repointing
from graph.embedded.sql_reads import SqlReads
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
        """Create the property indexes the schema declares and drop ones it no longer does."""
        wanted = {ix.name: ix for ix in property_indexes(self._schema)}
        present = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE ? ESCAPE '\\'",
                (INDEX_PREFIX.replace("_", "\\_") + "%",),
            )
        }
        if present == set(wanted):
            return []
        if self._file.read_only is not None:
            raise self._file.stale_read_only()
        actions = []
        self._begin(conn)
        try:
            for name in sorted(set(wanted) - present):
                index = wanted[name]
                conn.execute(index.ddl(self._codes.labels[index.label]))
                actions.append(f"created index {name}")
            for name in sorted(present - set(wanted)):
                conn.execute(f'DROP INDEX IF EXISTS "{name}"')
                actions.append(f"dropped index {name}")
            self._commit(conn)
        except BaseException:
            rollback(conn)
            raise
        return actions

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
