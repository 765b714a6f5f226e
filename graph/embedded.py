"""Embedded store: a disk-resident graph in one SQLite file (WAL).

Nothing of the graph is copied into memory: every read is an indexed SQL lookup (the
layout is in ``graph/sqlite_schema.py``), so memory is SQLite's page cache and opening a
store costs the same at a thousand elements or ten million. A batch is written
set-based: staged in a temporary table, then merged by a few statements (SQLite's
``json_patch`` is the port's merge rule: given values win, ``null`` removes).

Many processes may open one file: any number read while one writes; a second writer
waits for SQLite's write lock (the busy timeout) instead of failing. Inside a process,
one connection writes (guarded by a lock) and reads use it when it is free, or a pooled
reading connection when another thread holds it. The file is opened by its real path,
so every process that reaches it, through whatever link, shares one lock and one WAL.

A store this process cannot write (a read-only file, folder or file system) is opened
read-only: reads work, a write raises StoreReadOnlyError before touching it. SQLite's
errors of the file or its disk (full, read-only, I/O, damaged, locked) become StoreErrors
saying what happened, what it cost and what to do (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from graph.errors import (
    StoreCorruptError,
    StoreError,
    StoreFormatError,
    StoreFullError,
    StoreLockedError,
    StoreReadOnlyError,
    StoreUnavailableError,
)
from graph.memory import gc_paused
from graph.schema import GraphSchema, schema
from graph.sqlite_schema import (
    BASE_DDL,
    FIRST_FORMAT,
    FORMAT,
    INDEX_PREFIX,
    PARTS_BY_LABEL,
    PARTS_BY_TYPE,
    RKEY_SEP,
    ROLLUP_LABELS,
    ROLLUP_SHAPE,
    ROLLUP_TABLES,
    ROLLUP_TYPES,
    ROLLUPS_DDL,
    STAGE_DDL,
    Codes,
    check_identifiers,
    fill_rollups_sql,
    holders_sql,
    indexed_by,
    new_rollups_sql,
    property_indexes,
    refresh_rollups_sql,
    split_terms,
    term_field,
    type_expr,
    value_expr,
    vocabulary,
)
from graph.store import (
    Direction,
    Edge,
    GraphCounts,
    MissingEndpoint,
    Neighbour,
    Node,
    Properties,
    PropertyValue,
    RelRow,
    UpsertResult,
)
from graph.values import (
    check_lookup,
    check_neighbour_query,
    check_prefix_lookup,
    check_range_lookup,
    check_terms_lookup,
    prepare_nodes,
    prepare_rels,
    prepare_touch,
    value_kind,
)

# json_type() names of the values one kind of lookup value may match: 1, 1.0 and True
# are one value to SQL, not to the store port.
_JSON_TYPES = {
    "str": "('text')",
    "number": "('integer', 'real')",
    "bool": "('true', 'false')",
}
# The writing connection's page cache: big enough to hold the key and adjacency indexes
# a bulk load inserts into at random (SQLite's default is 2 MB). Reading connections,
# one per concurrent reading thread, take a smaller one.
_WRITER_CACHE_KIB = 256 * 1024
_READER_CACHE_KIB = 64 * 1024
_IDLE_READERS = 4
_MAX_CODE_POINT = "\U0010ffff"
# Fault injection for the crash tests (tests/support/faults.py): with
# CKB_FAULT_KILL_AT_COMMIT=N set, a process announces each commit on stderr ("ckb-fault:
# commit K") and kills itself with SIGKILL right before its N-th (0: never). Unset, as
# everywhere else, a commit pays one comparison with None.
_FAULT_KILL_AT = (
    int(os.environ["CKB_FAULT_KILL_AT_COMMIT"])
    if os.environ.get("CKB_FAULT_KILL_AT_COMMIT")
    else None
)
_fault_commits = itertools.count(1)


def _fault_point(kill_at: int) -> None:
    commit = next(_fault_commits)
    os.write(2, f"ckb-fault: commit {commit}\n".encode())
    if commit == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)


def _dumps(props: Properties) -> str:
    return orjson.dumps(props).decode() if props else "{}"


def _loads(text: str) -> dict[str, PropertyValue]:
    if text == "{}":
        return {}
    loaded: dict[str, PropertyValue] = orjson.loads(text)
    return loaded


def _staged(props: Properties, touch: dict[str, PropertyValue]) -> tuple[str, str]:
    """(patch, fresh) texts of one row: the same text when it removes nothing and the
    touch adds nothing. Key order matches json_patch's (a touch key already present keeps
    its place), so a fresh row reads back as the merge of its patch would write it."""
    patch = _dumps(props)
    if not touch and None not in props.values():
        return patch, patch
    fresh = {k: v for k, v in props.items() if v is not None}
    fresh.update(touch)
    return patch, _dumps(fresh)


# What a loader stages ahead of the store, perhaps in another process (loaders/staging.py):
# a node as (key, patch, fresh), a relationship as (src, dst, rkey, patch, fresh), the
# texts made by ``staged_texts`` with the touch properties the write is given.
staged_texts = _staged
StagedNode = tuple[str, str, str]
StagedRel = tuple[str, str, str, str, str]


def _fold_staged(
    rows: Iterable[tuple[Any, ...]], width: int, touch: dict[str, PropertyValue]
) -> list[tuple[Any, ...]]:
    """Staged rows with repeated identities (the first ``width`` fields) folded into one,
    a later row merging over an earlier one as prepare_nodes and prepare_rels fold them."""
    rows = rows if isinstance(rows, list) else list(rows)
    if len({row[:width] for row in rows}) == len(rows):
        return rows  # the common case: nothing to fold
    by_id: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        ident = row[:width]
        seen = by_id.get(ident)
        if seen is None:
            by_id[ident] = row
        else:  # rare: the same key twice in one batch
            merged = {**_loads(seen[width]), **_loads(row[width])}
            by_id[ident] = (*ident, *_staged(merged, touch))
    return list(by_id.values())


def _json_list(values: Iterable[str]) -> str:
    return orjson.dumps(list(values)).decode()


def _is_lock_error(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return name in {"SQLITE_BUSY", "SQLITE_LOCKED"} or "locked" in str(exc)


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite may have rolled back already (disk full, I/O error): nothing left to undo.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code of an error it raised (SQLITE_FULL for
    SQLITE_FULL, SQLITE_IOERR for SQLITE_IOERR_WRITE ...); None for one raised by hand."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _folder_fault(path: Path, exc: OSError) -> StoreError:
    """A store's missing folder could not be made."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreFullError(f"the disk holding {path} is full: cannot create its folder")
    problem = StoreReadOnlyError if exc.errno in (errno.EROFS, errno.EACCES) else StoreError
    return problem(f"cannot create the folder of {path}: {exc.strerror} ({exc.filename})")


class EmbeddedStore:
    """The default store. Thread-safe; any number of instances and processes per file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        model: GraphSchema | None = None,
        busy_timeout: float = 60.0,
    ) -> None:
        self._path = Path(path)
        self._schema = model or schema()
        check_identifiers(self._schema)
        if synchronous.upper() not in {"FULL", "NORMAL", "EXTRA"}:
            raise StoreError(f"unsupported SQLite synchronous mode {synchronous!r}")
        self._synchronous = synchronous.upper()
        self._busy_timeout = busy_timeout
        # The file itself: a symlink and its target must share one WAL and one lock.
        self._file = Path(os.path.realpath(self._path))
        self._closed = False
        self._main_lock = threading.RLock()
        self._local = threading.local()  # .depth: this thread's atomic() nesting
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._term_props = {n.label: n.terms for n in self._schema.nodes}
        self._sql_cache: dict[tuple[object, ...], str] = {}
        # Why this process cannot write the store (None: it can). Then it is opened
        # read-only; and when nothing can change it (a read-only file system) and no WAL
        # is beside it, as immutable: SQLite reads it without the -shm file it could not
        # create there. A WAL beside it is read through the -shm (ro mode).
        self._read_only, self._frozen = self._writability()
        self._immutable = self._frozen and not os.path.exists(f"{self._file}-wal")
        if self._read_only is None:
            try:
                self._file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _folder_fault(self._path, exc) from None
        elif not self._file.exists():
            raise StoreReadOnlyError(f"cannot create the store {self._path}: {self._read_only}")
        self._main = self._connect(_WRITER_CACHE_KIB)
        try:
            self._prepare()
            for ddl in STAGE_DDL:
                self._main.execute(ddl)
        except BaseException:
            self._main.close()
            raise

    # ----------------------------------------------------------------- lifecycle

    @property
    def description(self) -> str:
        return f"embedded store {self._path}"

    @property
    def path(self) -> Path:
        return self._path

    @property
    def batches_per_transaction(self) -> int:
        # A random insert dirties a whole index page; the commit writes it. Ten batches
        # of 5,000 rows share most pages: 18.7k -> 26.3k touchpoints/s at 100k customers.
        return 10

    def _connect(self, cache_kib: int) -> sqlite3.Connection:
        target: str | Path = self._file
        if self._read_only is not None:
            target = f"file:{quote(str(self._file))}?mode=ro"
            if self._immutable:
                target += "&immutable=1"
        try:
            conn = sqlite3.connect(
                target,
                isolation_level=None,
                check_same_thread=False,
                timeout=self._busy_timeout,
                cached_statements=512,
                uri=self._read_only is not None,
            )
        except sqlite3.Error as exc:
            fault = self._fault(exc, "open")
            raise fault or StoreError(f"cannot open {self._path}: {exc}") from None
        try:
            if self._read_only is None:  # a read-only file is WAL already, or stays as it is
                self._use_wal(conn)
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute(f"PRAGMA cache_size = -{cache_kib}")
            conn.execute("PRAGMA temp_store = MEMORY")
            # Checkpoint every 64 MB of WAL rather than every 4 MB: fewer, larger copies;
            # and cut the WAL file back to that after a big transaction grew it.
            conn.execute("PRAGMA wal_autocheckpoint = 16384")
            conn.execute("PRAGMA journal_size_limit = 67108864")
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _is_lock_error(exc):
                raise self._locked() from None
            fault = self._fault(exc, "open")
            raise fault or StoreCorruptError(
                f"{self._path} is not a readable ckb store: {exc}"
            ) from None
        return conn

    def _writability(self) -> tuple[str | None, bool]:
        """(why this process cannot write the store, None when it can; whether nothing
        can: its file system is mounted read-only). A missing folder is made on opening."""
        folder = self._file.parent
        shown = self._path.parent if self._path.parent.resolve() == folder else folder
        try:
            mounted_read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except OSError:
            return None, False
        if mounted_read_only:
            return f"the file system holding {shown} is mounted read-only", True
        if self._file.exists() and not os.access(self._file, os.W_OK):
            return "this user may not write the file", False
        if not os.access(folder, os.W_OK):
            return f"this user may not write its folder {shown}", False
        return None, False

    def _fault(self, exc: sqlite3.Error, doing: str) -> StoreError | None:
        """What an error SQLite raised says about the file or its disk, as a StoreError
        saying what happened and what to do; None for any other error (a bug goes on as
        it is). ``doing``: open, read or write (a write's transaction is rolled back by
        the time this is raised)."""
        code = _primary_code(exc)
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return self._locked()
        unreadable = self._file.exists() and not os.access(self._file, os.R_OK)
        if code == sqlite3.SQLITE_CANTOPEN and unreadable:
            return StoreUnavailableError(f"cannot read {self._path}: this user may not read it")
        if self._read_only is not None and code in (
            sqlite3.SQLITE_READONLY,
            sqlite3.SQLITE_CANTOPEN,
        ):
            return self._unreadable()
        path = self._path
        lost = (
            "the transaction under way was rolled back, nothing of it kept (what was "
            "committed before stays); "
            if doing == "write"
            else ""
        )
        damaged = (
            f"{path} is not a readable ckb store: {exc}"
            if doing == "open"
            else f"{path} is damaged ({exc}): {lost}check it with PRAGMA integrity_check and "
            "restore it from a backup (docs/operations.md)"
        )
        faults: dict[int | None, tuple[type[StoreError], str]] = {
            sqlite3.SQLITE_FULL: (
                StoreFullError,
                f"the disk holding {path} is full: {lost}free space on it and try again",
            ),
            sqlite3.SQLITE_READONLY: (
                StoreReadOnlyError,
                f"{path} cannot be written ({exc}): {lost}reads work; writing needs write "
                "access to "
                + (
                    self._foreign_files()
                    or "the file and its folder, on a file system mounted read-write"
                ),
            ),
            sqlite3.SQLITE_IOERR: (
                StoreUnavailableError,
                f"disk I/O error on {path} ({getattr(exc, 'sqlite_errorname', exc)}): "
                f"{lost}check the disk (the system log says more), then try again",
            ),
            sqlite3.SQLITE_CANTOPEN: (
                StoreUnavailableError,
                f"cannot open {path} (or its -wal and -shm files): {exc}",
            ),
            sqlite3.SQLITE_CORRUPT: (StoreCorruptError, damaged),
            sqlite3.SQLITE_NOTADB: (StoreCorruptError, damaged),
        }
        found = faults.get(code)
        return None if found is None else found[0](found[1])

    def _foreign_files(self) -> str:
        """The -wal and -shm files beside the store this process may not write, as what
        to do about them; '' when there are none. A user who may read the file but not
        write it, opening it first, makes them and leaves them, empty, owned by itself."""
        name = self._path.name
        foreign = [
            f"{name}{end}"
            for end in ("-wal", "-shm")
            if os.path.exists(f"{self._file}{end}") and not os.access(f"{self._file}{end}", os.W_OK)
        ]
        if not foreign:
            return ""
        return (
            f"{' and '.join(foreign)}, which belong to a user who opened the store without "
            "write access: with no process using the store, remove them (SQLite makes them "
            "again), unless the -wal is not empty"
        )

    def _unreadable(self) -> StoreUnavailableError:
        """A read-only store SQLite cannot read: no -wal and -shm beside it, and no right
        to create them."""
        name, folder = self._path.name, self._path.parent
        remedy = (
            f"copy the store with its {name}-wal to a folder this user can write"
            if self._frozen
            else f"give this user write access to {folder}, or copy the store to a folder "
            "it can write"
        )
        return StoreUnavailableError(
            f"cannot read {self._path}: {self._read_only}, and SQLite reads a WAL store "
            f"through {name}-wal and {name}-shm beside it (they exist while a process has "
            f"it open); {remedy}"
        )

    def _refused_write(self) -> StoreReadOnlyError:
        remedy = (
            "the file system mounted read-write"
            if self._frozen
            else "write access to the file and its folder"
        )
        return StoreReadOnlyError(
            f"{self._path} is read-only here ({self._read_only}): nothing was written; "
            f"reads work, writing needs {remedy}"
        )

    def _stale_read_only(self) -> StoreReadOnlyError:
        return StoreReadOnlyError(
            f"{self._path} is read-only here ({self._read_only}) and was written by a ckb "
            "with an older schema (names or indexes this one adds): open it once with write "
            "access (ckb schema apply) to bring it up to date"
        )

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL (a no-op once it is). Processes creating one file at once
        all try to convert it and SQLite refuses all but one at once, without the busy
        wait, so the others wait here."""
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
                return
            except sqlite3.OperationalError as exc:
                if not _is_lock_error(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _locked(self) -> StoreLockedError:
        return StoreLockedError(
            f"{self._path}: another process kept the write lock for more than "
            f"{self._busy_timeout:g} s; try again when its write ends"
        )

    def _prepare(self) -> None:
        """Create a new store's tables, refuse foreign or old files, keep indexes in step
        with the schema."""
        conn = self._main
        try:
            tables = self._tables(conn)
            if not tables and self._read_only is not None:
                raise StoreReadOnlyError(
                    f"{self._path} holds no store yet and cannot be set up: {self._read_only}"
                )
            if not tables:
                self._begin(conn)
                try:
                    for ddl in BASE_DDL:
                        conn.execute(ddl)
                    conn.execute(
                        "INSERT OR IGNORE INTO meta (k, v) VALUES ('format', ?)", (FORMAT,)
                    )
                    self._commit(conn)
                except BaseException:
                    _rollback(conn)
                    raise
                tables = self._tables(conn)
            if "meta" not in tables:
                raise StoreCorruptError(f"{self._path} is an SQLite file but not a ckb store")
            fmt = conn.execute("SELECT v FROM meta WHERE k = 'format'").fetchone()
            if fmt is not None and fmt[0] == FIRST_FORMAT:
                raise StoreFormatError(
                    f"{self._path} is a store of ckb's first design ({FIRST_FORMAT}); "
                    f"convert it once with: ckb --graph embedded:{self._path} store upgrade"
                )
            if fmt is None or fmt[0] != FORMAT:
                found = "no format" if fmt is None else f"store format {fmt[0]!r}"
                raise StoreCorruptError(f"{self._path} has {found}; this ckb reads {FORMAT!r}")
            self._codes = self._sync_vocab(conn)
            self._sync_indexes(conn)
            self._rollups = self._sync_rollups(conn)
        except sqlite3.DatabaseError as exc:
            fault = self._fault(exc, "open")
            raise fault or StoreCorruptError(
                f"{self._path} is not a readable ckb store: {exc}"
            ) from None

    @staticmethod
    def _tables(conn: sqlite3.Connection) -> set[str]:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {name for (name,) in rows}

    def _sync_vocab(self, conn: sqlite3.Connection) -> Codes:
        """The codes of every name the schema uses; a name new to this file gets one."""
        wanted = vocabulary(self._schema)
        rows = conn.execute("SELECT code, kind, name FROM vocab").fetchall()
        if not set(wanted) <= {(kind, name) for _, kind, name in rows}:
            if self._read_only is not None:
                raise self._stale_read_only()
            self._begin(conn)
            try:
                conn.executemany("INSERT OR IGNORE INTO vocab (kind, name) VALUES (?, ?)", wanted)
                self._commit(conn)
            except BaseException:
                _rollback(conn)
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
        if self._read_only is not None:
            raise self._stale_read_only()
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
            _rollback(conn)
            raise
        return actions

    def close(self) -> None:
        with self._main_lock:
            if self._closed:
                return
            self._closed = True
            self._main.close()
            with self._pool_lock:
                idle, self._idle = self._idle, []
            for conn in idle:
                conn.close()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> None:
        with self._reading() as conn:
            conn.execute("SELECT 1").fetchone()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.description} is closed")

    def apply_schema(self) -> list[str]:
        with self._main_lock:
            self._check_open()
            try:
                actions = self._sync_indexes(self._main)
            except sqlite3.Error as exc:
                if (fault := self._fault(exc, "write")) is None:
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
            f"schema version {self._schema.version} recorded in {self._path}",
            *actions,
            f"{len(self._schema.nodes)} key indexes and {indexed} property indexes in place",
        ]

    # ----------------------------------------------------------------- transactions

    def _begin(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_lock_error(exc):
                raise self._locked() from None
            raise

    def _commit(self, conn: sqlite3.Connection) -> None:
        if _FAULT_KILL_AT is not None:
            _fault_point(_FAULT_KILL_AT)
        conn.execute("COMMIT")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The writing connection inside a transaction: this thread's atomic() block, or
        one of the call's own, committed (durable) before the call returns."""
        with self._main_lock:
            self._check_open()
            conn = self._main
            if getattr(self._local, "depth", 0):
                yield conn
                return
            if self._read_only is not None:
                raise self._refused_write()
            try:
                self._begin(conn)
                try:
                    yield conn
                    self._commit(conn)
                except BaseException:
                    _rollback(conn)
                    raise
            except sqlite3.Error as exc:  # rolled back: say what happened to the file
                if (fault := self._fault(exc, "write")) is None:
                    raise
                raise fault from None

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """One SQLite transaction for the block: its reads see its writes, other
        connections see none of them until it commits, a failure rolls all back."""
        with self._main_lock:
            depth = getattr(self._local, "depth", 0)
            if depth:  # inside another block: join it
                self._local.depth = depth + 1
                try:
                    yield
                finally:
                    self._local.depth = depth
                return
            with self._writing():
                self._local.depth = 1  # the calls in the block join this transaction
                try:
                    yield
                finally:
                    self._local.depth = 0

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection to read on: the writing one when it is free (warm cache; inside an
        atomic() block it sees the block's writes), else a pooled reading one."""
        if self._main_lock.acquire(blocking=False):
            try:
                self._check_open()
                yield self._main
            except sqlite3.Error as exc:
                if (fault := self._fault(exc, "read")) is None:
                    raise
                raise fault from None
            finally:
                self._main_lock.release()
            return
        self._check_open()
        with self._pool_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect(_READER_CACHE_KIB)
        try:
            yield conn
        except sqlite3.Error as exc:
            if (fault := self._fault(exc, "read")) is None:
                raise
            raise fault from None
        finally:
            with self._pool_lock:
                keep = not self._closed and len(self._idle) < _IDLE_READERS
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    # ----------------------------------------------------------------- writes

    @staticmethod
    def _add_count(conn: sqlite3.Connection, kind: str, name: str, delta: int) -> None:
        if delta:
            conn.execute(
                "INSERT INTO counts (kind, name, n) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, name) DO UPDATE SET n = n + excluded.n",
                (kind, name, delta),
            )

    def upsert_nodes(
        self, label: str, rows: Iterable[Properties], touch: Properties | None = None
    ) -> UpsertResult:
        node_type = self._schema.node(label)
        touch_props = prepare_touch(label, node_type.property_names, touch)
        rows = list(rows)
        with gc_paused():
            prepared = prepare_nodes(node_type, rows)
            staged = [(p.key, *_staged(p.props, touch_props)) for p in prepared]
        return self._merge_nodes(label, staged, _dumps(touch_props), len(rows))

    def upsert_staged_nodes(
        self, label: str, rows: Sequence[StagedNode], touch: Properties | None = None
    ) -> UpsertResult:
        """``upsert_nodes`` for rows staged ahead (see ``staged_texts``): checked against
        the model by whoever staged them, their fresh text made with this ``touch``."""
        node_type = self._schema.node(label)
        if self._term_props[label]:
            raise StoreError(f"{label} rows index terms: write them with upsert_nodes")
        touch_props = prepare_touch(label, node_type.property_names, touch)
        staged = _fold_staged(rows, 1, touch_props)
        return self._merge_nodes(label, staged, _dumps(touch_props), len(rows))

    def _merge_nodes(
        self, label: str, staged: list[tuple[Any, ...]], touched: str, received: int
    ) -> UpsertResult:
        if not staged:
            return UpsertResult(received=received, applied=0, created=0)
        terms = self._term_props[label]
        # Term-indexed labels return what changed, to re-index those rows' terms.
        returning = (
            " RETURNING id, "
            + ", ".join(f"CASE {type_expr(p)} WHEN 'text' THEN {value_expr(p)} END" for p in terms)
            if terms
            else ""
        )
        with self._writing() as conn:
            conn.execute("DELETE FROM temp.stage_nodes")
            conn.executemany(
                "INSERT INTO temp.stage_nodes (key, patch, fresh) VALUES (?, ?, ?)", staged
            )
            # New rows first; only if some keys exist already, merge into those. A newly
            # inserted row is what merging its patch would write, so the merge passes it by.
            insert = conn.execute(
                "INSERT INTO nodes (label, key, props) SELECT ?, key, fresh "
                "FROM temp.stage_nodes WHERE true ORDER BY key "
                "ON CONFLICT (label, key) DO NOTHING" + returning,
                (self._codes.labels[label],),
            )
            created_rows = insert.fetchall() if terms else []
            created = len(created_rows) if terms else insert.rowcount
            changed: list[tuple[Any, ...]] = []
            if created < len(staged):
                # CROSS JOIN keeps the batch the outer loop: never a walk over the label.
                update = conn.execute(
                    "UPDATE nodes SET props = json_patch(json_patch(props, "
                    "(SELECT patch FROM temp.stage_nodes WHERE key = nodes.key)), ?) "
                    "WHERE id IN (SELECT n.id FROM temp.stage_nodes AS s CROSS JOIN nodes AS n "
                    "WHERE n.label = ? AND n.key = s.key "
                    "AND json_patch(n.props, s.patch) <> n.props)" + returning,
                    (touched, self._codes.labels[label]),
                )
                changed = update.fetchall() if terms else []
            if terms:
                fields = [self._codes.fields[term_field(label, p)] for p in terms]
                self._index_terms(conn, fields, changed, created_rows)
            self._add_count(conn, "node", label, created)
            self._roll_nodes(conn, label, created, len(staged))
        return UpsertResult(received=received, applied=len(staged), created=created)

    @staticmethod
    def _index_terms(
        conn: sqlite3.Connection,
        fields: Sequence[int],
        changed: list[tuple[Any, ...]],
        created: list[tuple[Any, ...]],
    ) -> None:
        """Re-index the terms of changed and created rows: (node ID, value per field)."""
        conn.executemany(
            "DELETE FROM terms WHERE node = ? AND field = ?",
            [(row[0], field) for row in changed for field in fields],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO terms (field, term, node) VALUES (?, ?, ?)",
            [
                (field, term, row[0])
                for row in (*changed, *created)
                for field, value in zip(fields, row[1:], strict=True)
                for term in split_terms(value)
            ],
        )

    def _stage_rels(
        self,
        conn: sqlite3.Connection,
        src_label: str,
        dst_label: str,
        staged: Sequence[tuple[Any, ...]],
    ) -> None:
        """Stage relationship rows, (src, dst, rkey, patch, fresh), with their endpoints'
        node IDs (NULL where missing)."""
        conn.execute("DELETE FROM temp.stage_rels")
        conn.executemany(
            "INSERT INTO temp.stage_rels (src, dst, rkey, patch, fresh) VALUES (?, ?, ?, ?, ?)",
            staged,
        )
        conn.execute(
            "UPDATE temp.stage_rels SET "
            "sid = (SELECT id FROM nodes WHERE label = ? AND key = stage_rels.src), "
            "did = (SELECT id FROM nodes WHERE label = ? AND key = stage_rels.dst)",
            (self._codes.labels[src_label], self._codes.labels[dst_label]),
        )

    def upsert_relationships(
        self,
        rel_type: str,
        src_label: str,
        dst_label: str,
        rows: Iterable[RelRow],
        touch: Properties | None = None,
    ) -> UpsertResult:
        rel = self._schema.check_endpoints(rel_type, src_label, dst_label)
        touch_props = prepare_touch(rel_type, rel.property_names, touch)
        rows = list(rows)
        with gc_paused():
            staged = [
                (p.src, p.dst, RKEY_SEP.join(p.rkey), *_staged(p.props, touch_props))
                for p in prepare_rels(rel, rows)
            ]
        return self._merge_rels(
            rel_type, src_label, dst_label, staged, _dumps(touch_props), len(rows)
        )

    def upsert_staged_relationships(
        self,
        rel_type: str,
        src_label: str,
        dst_label: str,
        rows: Sequence[StagedRel],
        touch: Properties | None = None,
    ) -> UpsertResult:
        """``upsert_relationships`` for rows staged ahead (see ``staged_texts``)."""
        rel = self._schema.check_endpoints(rel_type, src_label, dst_label)
        touch_props = prepare_touch(rel_type, rel.property_names, touch)
        staged = _fold_staged(rows, 3, touch_props)
        return self._merge_rels(
            rel_type, src_label, dst_label, staged, _dumps(touch_props), len(rows)
        )

    def _merge_rels(
        self,
        rel_type: str,
        src_label: str,
        dst_label: str,
        staged: list[tuple[Any, ...]],
        touched: str,
        received: int,
    ) -> UpsertResult:
        if not staged:
            return UpsertResult(received=received, applied=0, created=0)
        with self._writing() as conn:
            self._stage_rels(conn, src_label, dst_label, staged)
            missing = tuple(
                MissingEndpoint(
                    src, dst, tuple(e for e, gone in (("src", ns), ("dst", nd)) if gone)
                )
                for src, dst, ns, nd in conn.execute(
                    "SELECT src, dst, sid IS NULL, did IS NULL FROM temp.stage_rels "
                    "WHERE sid IS NULL OR did IS NULL ORDER BY rowid"
                )
            )
            ends = {
                "type": self._codes.types[rel_type],
                "src_label": self._codes.labels[src_label],
                "dst_label": self._codes.labels[dst_label],
            }
            created = conn.execute(
                "INSERT INTO rels (src, type, dst_label, dst, rkey, src_label, props) "
                "SELECT sid, :type, :dst_label, did, rkey, :src_label, fresh "
                "FROM temp.stage_rels WHERE sid IS NOT NULL AND did IS NOT NULL "
                "ORDER BY sid, did ON CONFLICT DO NOTHING",
                ends,
            ).rowcount
            if created < len(staged) - len(missing):
                conn.execute(
                    "UPDATE rels SET props = json_patch(json_patch(rels.props, s.patch), :touch) "
                    "FROM temp.stage_rels AS s WHERE rels.src = s.sid AND rels.type = :type "
                    "AND rels.dst_label = :dst_label AND rels.dst = s.did AND rels.rkey = s.rkey "
                    "AND json_patch(rels.props, s.patch) <> rels.props",
                    {**ends, "touch": touched},
                )
            self._add_count(conn, "rel", rel_type, created)
            if created:
                self._roll_rels(conn, rel_type, src_label)
        return UpsertResult(
            received=received,
            applied=len(staged) - len(missing),
            created=created,
            missing=missing,
        )

    def delete_nodes(self, label: str, keys: Iterable[str]) -> int:
        self._schema.node(label)
        wanted = _json_list(dict.fromkeys(keys))
        with self._writing() as conn:
            conn.execute("DELETE FROM temp.stage_ids")
            deleted = conn.execute(
                "INSERT INTO temp.stage_ids (id) SELECT id FROM nodes "
                "WHERE label = ? AND key IN (SELECT value FROM json_each(?))",
                (self._codes.labels[label], wanted),
            ).rowcount
            if not deleted:
                return 0
            parts = self._roll_deleted(conn, label)
            # A relationship between two doomed nodes (or a self-loop) counts once.
            gone = conn.execute(
                "SELECT type, count(*) FROM ("
                " SELECT type FROM rels WHERE src IN (SELECT id FROM temp.stage_ids)"
                " UNION ALL SELECT type FROM rels WHERE dst IN (SELECT id FROM temp.stage_ids)"
                " AND src NOT IN (SELECT id FROM temp.stage_ids)) GROUP BY type"
            ).fetchall()
            for statement in (
                "DELETE FROM rels WHERE src IN (SELECT id FROM temp.stage_ids)",
                "DELETE FROM rels WHERE dst IN (SELECT id FROM temp.stage_ids)",
                "DELETE FROM terms WHERE node IN (SELECT id FROM temp.stage_ids)",
                "DELETE FROM nodes WHERE id IN (SELECT id FROM temp.stage_ids)",
            ):
                conn.execute(statement)
            for type_code, n in gone:
                self._add_count(conn, "rel", self._type_names[type_code], -n)
            self._add_count(conn, "node", label, -deleted)
            if parts:
                self._refresh_rollups(conn, label, None, parts)
            return int(deleted)

    def delete_relationships(
        self, rel_type: str, src_label: str, dst_label: str, rows: Iterable[RelRow]
    ) -> int:
        rel = self._schema.check_endpoints(rel_type, src_label, dst_label)
        prepared = prepare_rels(rel, rows)
        if not prepared:
            return 0
        staged = [(p.src, p.dst, RKEY_SEP.join(p.rkey), "{}", "{}") for p in prepared]
        with self._writing() as conn:
            self._stage_rels(conn, src_label, dst_label, staged)
            deleted = conn.execute(
                "DELETE FROM rels WHERE (src, type, dst_label, dst, rkey) IN "
                "(SELECT sid, ?, ?, did, rkey FROM temp.stage_rels)",
                (self._codes.types[rel_type], self._codes.labels[dst_label]),
            ).rowcount
            self._add_count(conn, "rel", rel_type, -deleted)
            if deleted:
                self._roll_rels(conn, rel_type, src_label)
            return int(deleted)

    def clear(self) -> None:
        with self._writing() as conn:
            for table in ("rels", "terms", "nodes", "counts"):
                conn.execute(f"DELETE FROM {table}")
            for table in ROLLUP_TABLES if self._rollups else ():
                conn.execute(f"DELETE FROM {table}")

    # ----------------------------------------------------------------- reads

    def keys_page(self, label: str, after: str | None = None, limit: int = 1000) -> list[str]:
        self._schema.node(label)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT key FROM nodes WHERE label = ? AND key > ? ORDER BY key LIMIT ?",
                (self._codes.labels[label], after or "", max(limit, 0)),
            ).fetchall()
        return [key for (key,) in rows]

    def keys(self, label: str) -> list[str]:
        """Every key of a label, in key order: for benchmarks and batch jobs, not requests."""
        self._schema.node(label)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT key FROM nodes WHERE label = ? ORDER BY key", (self._codes.labels[label],)
            ).fetchall()
        return [key for (key,) in rows]

    def get_node(self, label: str, key: str) -> Node | None:
        self._schema.node(label)
        with self._reading() as conn:
            row = conn.execute(
                "SELECT props FROM nodes WHERE label = ? AND key = ?",
                (self._codes.labels[label], key),
            ).fetchone()
        return None if row is None else Node(label, key, _loads(row[0]))

    def get_nodes(self, label: str, keys: Sequence[str]) -> dict[str, Node]:
        self._schema.node(label)
        if not keys:
            return {}
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT key, props FROM nodes "
                "WHERE label = ? AND key IN (SELECT value FROM json_each(?))",
                (self._codes.labels[label], _json_list(keys)),
            ).fetchall()
        found = {key: Node(label, key, _loads(props)) for key, props in rows}
        # The caller's order, as a dict of the keys it asked for.
        return {key: found[key] for key in keys if key in found}

    def find_nodes(
        self,
        label: str,
        prop: str,
        value: PropertyValue,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Node]:
        node_type = self._schema.node(label)
        check_lookup(node_type, prop, value)
        if prop == node_type.key:
            node = self.get_node(label, str(value))
            past = after is None or str(value) > after
            return [node] if node and limit > 0 and past else []
        types = _JSON_TYPES[value_kind(value)]
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT key, props FROM nodes {indexed_by(label, prop)} "
                f"WHERE label = {self._codes.labels[label]} "
                f"AND {value_expr(prop)} = ? AND {type_expr(prop)} IN {types} "
                "AND key > ? ORDER BY key LIMIT ?",
                (value, after or "", max(limit, 0)),
            ).fetchall()
        return [Node(label, key, _loads(props)) for key, props in rows]

    def find_range(
        self,
        label: str,
        prop: str,
        low: PropertyValue | None = None,
        high: PropertyValue | None = None,
        limit: int = 100,
        descending: bool = False,
    ) -> list[Node]:
        check_range_lookup(self._schema.node(label), prop, low, high)
        kind = value_kind(low if low is not None else high)  # type: ignore[arg-type]
        expr = value_expr(prop)
        # SQL orders numbers before text: bound both ends so the index range holds only
        # values of the wanted kind (the type test then only tells 1 from true).
        lower = low if low is not None else ("" if kind == "str" else None)
        upper = high if high is not None else (None if kind == "str" else "")
        where = [
            f"label = {self._codes.labels[label]}",
            f"{type_expr(prop)} IN {_JSON_TYPES[kind]}",
        ]
        params: list[PropertyValue] = []
        if lower is not None:
            where.append(f"{expr} >= ?")
            params.append(lower)
        if upper is not None:
            where.append(f"{expr} < ?")
            params.append(upper)
        direction = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {expr}, key, props FROM nodes {indexed_by(label, prop)} "
            f"WHERE {' AND '.join(where)} "
            f"ORDER BY {expr} {direction}, key {direction}"
        )
        limit = max(limit, 0)
        with self._reading() as conn:
            if not descending:
                rows = conn.execute(f"{sql} LIMIT ?", (*params, limit)).fetchall()
                return [Node(label, key, _loads(props)) for _, key, props in rows]
            # Highest value first, keys ascending within one value: walk the index
            # backwards and turn each run of equal values around.
            picked: list[Node] = []
            run: list[Node] = []
            run_value: object = None
            for value, key, props in conn.execute(sql, params):
                if run and value != run_value:
                    picked.extend(reversed(run))
                    run = []
                    if len(picked) >= limit:
                        break
                run_value = value
                run.append(Node(label, key, _loads(props)))
            else:
                picked.extend(reversed(run))
            return picked[:limit]

    def find_prefix(self, label: str, prop: str, prefix: str, limit: int = 100) -> list[Node]:
        """Nodes whose indexed string ``prop`` starts with ``prefix``, in key order."""
        node_type = self._schema.node(label)
        check_prefix_lookup(node_type, prop, prefix)
        expr = value_expr(prop)
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {expr}, key, props FROM nodes {indexed_by(label, prop)} "
                f"WHERE label = {self._codes.labels[label]} AND {expr} >= ? AND {expr} <= ? "
                f"AND {type_expr(prop)} = 'text'",
                (prefix, prefix + _MAX_CODE_POINT),
            ).fetchall()
        hits = sorted((key, props) for value, key, props in rows if value.startswith(prefix))
        return [Node(label, key, _loads(props)) for key, props in hits[: max(limit, 0)]]

    def find_terms(
        self, label: str, prop: str, terms: Sequence[str], limit: int = 100
    ) -> list[tuple[Node, int]]:
        node_type = self._schema.node(label)
        wanted = check_terms_lookup(node_type, prop, terms)
        if not wanted:
            return []
        with self._reading() as conn:
            rows = conn.execute(
                "WITH shared AS (SELECT node, count(*) AS n FROM terms "
                " WHERE field = ? AND term IN (SELECT value FROM json_each(?)) GROUP BY node),"
                " page AS (SELECT nodes.id, nodes.key, shared.n FROM shared"
                " JOIN nodes ON nodes.id = shared.node ORDER BY shared.n DESC, nodes.key LIMIT ?)"
                " SELECT page.key, nodes.props, page.n FROM page JOIN nodes ON nodes.id = page.id"
                " ORDER BY page.n DESC, page.key",
                (self._codes.fields[term_field(label, prop)], _json_list(wanted), max(limit, 0)),
            ).fetchall()
        return [(Node(label, key, _loads(props)), n) for key, props, n in rows]

    def _node_ids(
        self, conn: sqlite3.Connection, label: str, keys: Sequence[str]
    ) -> list[tuple[str, int]]:
        """(key, node ID) of the existing nodes among ``keys``, once each, in their order."""
        rows = conn.execute(
            "SELECT key, id FROM nodes WHERE label = ? AND key IN (SELECT value FROM json_each(?))",
            (self._codes.labels[label], _json_list(keys)),
        ).fetchall()
        ids = dict(rows)
        return [(key, ids[key]) for key in dict.fromkeys(keys) if key in ids]

    def _adjacency_sql(
        self,
        direction: Direction,
        typed: bool,
        labelled: bool,
        with_nodes: bool,
        limited: bool,
        single: bool,
    ) -> str:
        """Relationships of many nodes (``anchors``) in one statement, each node's in the
        port's order: type, other label, other key, outgoing first, relationship key. A
        self-loop comes once. ``limited``: at most ``:limit`` per node (for a ``single``
        node a plain LIMIT, no window to rank every row). A type and another label asked
        for are index ranges: both are in the relationship's key."""
        shape = (direction, typed, labelled, with_nodes, limited, single)
        cached = self._sql_cache.get(shape)
        if cached is not None:
            return cached
        other_props = ", o.props AS oprops" if with_nodes else ""
        parts = []
        for outward in (True, False):
            if direction == ("in" if outward else "out"):
                continue
            near, far = ("src", "dst") if outward else ("dst", "src")
            on = [f"r.{near} = a.nid"]
            if typed:
                on.append("r.type = :type")
            if labelled:
                on.append(f"r.{far}_label = :other")
            if not outward and direction == "both":
                on.append("r.src <> a.nid")
            # Codes rank as their names sort; a type or label asked for needs no rank.
            type_rank = "0" if typed else self._codes.rank("type", "r.type")
            label_rank = "0" if labelled else self._codes.rank("label", f"r.{far}_label")
            parts.append(
                "SELECT a.key AS akey, a.nid AS anid, r.type AS type, r.rkey AS rkey,"
                f" r.props AS props, r.{far}_label AS olabel, o.key AS okey{other_props},"
                f" r.src <> a.nid AS inward, {type_rank} AS trank, {label_rank} AS lrank"
                f" FROM anchors AS a CROSS JOIN rels AS r ON {' AND '.join(on)}"
                f" CROSS JOIN nodes AS o ON o.id = r.{far}"
            )
        anchors = (
            "WITH anchors (key, nid) AS (SELECT n.key, n.id FROM json_each(:keys) AS j"
            " CROSS JOIN nodes AS n ON n.label = :label AND n.key = j.value)"
        )
        order = "trank, lrank, okey, inward, rkey"
        union = " UNION ALL ".join(parts)
        if not limited:
            sql = f"{anchors} SELECT * FROM ({union}) ORDER BY anid, {order}"
        elif single:
            sql = f"{anchors} SELECT * FROM ({union}) ORDER BY {order} LIMIT :limit"
        else:
            sql = (
                f"{anchors}, adjacent AS ({union}) SELECT * FROM (SELECT adjacent.*,"
                f" row_number() OVER (PARTITION BY anid ORDER BY {order}) AS rank"
                " FROM adjacent) WHERE rank <= :limit ORDER BY anid, rank"
            )
        self._sql_cache[shape] = sql
        return sql

    def _adjacent(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str | None,
        direction: Direction,
        other_label: str | None,
        limit: int | None,
        with_nodes: bool,
    ) -> dict[str, list[tuple[Edge, Node | None]]]:
        """Each existing node's matching relationships (and other ends), in ``keys`` order;
        nodes with none are absent."""
        sql = self._adjacency_sql(
            direction,
            rel_type is not None,
            other_label is not None,
            with_nodes,
            limit is not None,
            len(set(keys)) == 1,
        )
        codes = self._codes
        params = {
            "keys": _json_list(dict.fromkeys(keys)),
            "label": codes.labels[label],
            "type": None if rel_type is None else codes.types[rel_type],
            "other": None if other_label is None else codes.labels[other_label],
            "limit": limit,
        }
        found: dict[str, list[tuple[Edge, Node | None]]] = {}
        # A node at the end of many of the answer's relationships (an aggregation event
        # observing a thousand items) is read once: one Node, shared, never copied.
        others: dict[tuple[int, str], Node] = {}
        type_names, label_names = self._type_names, self._label_names
        with self._reading() as conn:
            for row in conn.execute(sql, params):
                key, _, type_code, _, props, label_code, okey = row[:7]
                rtype, olabel = type_names[type_code], label_names[label_code]
                if row[8 if with_nodes else 7]:  # inward
                    edge = Edge(rtype, olabel, okey, label, key, _loads(props))
                else:
                    edge = Edge(rtype, label, key, olabel, okey, _loads(props))
                other = None
                if with_nodes:
                    other = others.get((label_code, okey))
                    if other is None:
                        other = others[(label_code, okey)] = Node(olabel, okey, _loads(row[7]))
                found.setdefault(key, []).append((edge, other))
        return {key: found[key] for key in dict.fromkeys(keys) if key in found}

    def neighbours(
        self,
        label: str,
        key: str,
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 1000,
    ) -> list[Neighbour]:
        return self.neighbours_many(label, [key], rel_type, direction, other_label, limit).get(
            key, []
        )

    def neighbours_many(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 100,
    ) -> dict[str, list[Neighbour]]:
        check_neighbour_query(self._schema, label, rel_type, other_label)
        if not keys or limit <= 0:
            return {}
        found = self._adjacent(label, keys, rel_type, direction, other_label, limit, True)
        return {
            key: [Neighbour(edge, node) for edge, node in items if node]
            for key, items in found.items()
        }

    def relationships_of(self, label: str, keys: Sequence[str]) -> dict[str, list[Edge]]:
        self._schema.node(label)
        if not keys:
            return {}
        found = self._adjacent(label, keys, None, "both", None, None, False)
        return {key: [edge for edge, _ in items] for key, items in found.items()}

    def degree(
        self, label: str, key: str, rel_type: str | None = None, direction: Direction = "both"
    ) -> int:
        check_neighbour_query(self._schema, label, rel_type, None)
        typed = " AND type = :type" if rel_type is not None else ""
        total = 0
        with self._reading() as conn:
            ids = self._node_ids(conn, label, [key])
            if not ids:
                return 0
            params = {
                "nid": ids[0][1],
                "type": None if rel_type is None else self._codes.types[rel_type],
            }
            if direction in ("out", "both"):
                total += conn.execute(
                    f"SELECT count(*) FROM rels WHERE src = :nid{typed}", params
                ).fetchone()[0]
            if direction in ("in", "both"):
                loops = " AND src <> :nid" if direction == "both" else ""
                total += conn.execute(
                    f"SELECT count(*) FROM rels WHERE dst = :nid{typed}{loops}", params
                ).fetchone()[0]
        return total

    def counts(self) -> GraphCounts:
        with self._reading() as conn:
            rows = conn.execute("SELECT kind, name, n FROM counts").fetchall()
        stored = {(kind, name): n for kind, name, n in rows}
        return GraphCounts(
            {label: stored.get(("node", label), 0) for label in self._schema.labels},
            {t: stored.get(("rel", t), 0) for t in self._schema.relationship_types},
        )

    # ----------------------------------------------------------------- SQL reads

    @property
    def codes(self) -> Codes:
        """The file's codes for labels and types: a compiled read names them as literals,
        so the planner can use the partial per-label property indexes."""
        return self._codes

    def read_sql(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Rows of one read-only statement (queries compiled from a fixed vocabulary, such
        as the customer list; values always as parameters)."""
        head = sql.lstrip()[:6].upper()
        if head not in ("SELECT", "WITH") and not head.startswith("WITH"):
            raise StoreError("read_sql runs SELECT statements only")
        with self._reading() as conn:
            return conn.execute(sql, params).fetchall()

    # ----------------------------------------------------------------- rollups

    @property
    def has_rollups(self) -> bool:
        """Whether this file keeps the customer rollups (``graph/sqlite_schema.ROLLUPS``):
        a read-only file made before them does not, and lists compute the values."""
        return self._rollups

    def _rollup_model(self) -> bool:
        return set(ROLLUP_LABELS) <= set(self._schema.labels) and set(ROLLUP_TYPES) <= set(
            self._schema.relationship_types
        )

    def _sync_rollups(self, conn: sqlite3.Connection) -> bool:
        """Create and fill the rollup tables once, when a writable file lacks them."""
        if not self._rollup_model():
            return False
        shape = {
            table: tuple(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
            for table in ROLLUP_TABLES
        }
        if shape == ROLLUP_SHAPE:
            return True
        if self._read_only is not None:
            return False
        for ddl in STAGE_DDL:  # the fill stages its customers as a write does
            conn.execute(ddl)
        self._begin(conn)
        try:
            for table in ROLLUP_TABLES:  # missing, or of another ckb's shape
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            for ddl in ROLLUPS_DDL:
                conn.execute(ddl)
            customers = conn.execute(
                "SELECT n FROM counts WHERE kind = 'node' AND name = 'Customer'"
            ).fetchone()
            if customers and customers[0]:  # a file from before the rollups: fill them
                for statement in fill_rollups_sql(self._codes):
                    conn.execute(statement)
            self._commit(conn)
        except BaseException:
            _rollback(conn)
            raise
        return True

    def _refresh_rollups(
        self, conn: sqlite3.Connection, label: str, ids: str | None, parts: Sequence[str]
    ) -> None:
        """Recompute ``parts`` of the rollups of the customers that depend on the
        ``label`` nodes ``ids`` selects (node IDs) — or, with None, of those already in
        ``temp.stage_touched``."""
        if ids is not None:
            holders = holders_sql(self._codes, label, ids)
            if holders is None:
                return
            conn.execute("DELETE FROM temp.stage_touched")
            conn.execute(f"INSERT OR IGNORE INTO temp.stage_touched (id) {holders}")
        for statement in refresh_rollups_sql(self._codes, "temp.stage_touched", parts):
            conn.execute(statement)

    def _roll_rels(self, conn: sqlite3.Connection, rel_type: str, src_label: str) -> None:
        """After relationships in ``temp.stage_rels`` were written or deleted."""
        if self._rollups and rel_type in PARTS_BY_TYPE:
            ids = "SELECT sid FROM temp.stage_rels"
            self._refresh_rollups(conn, src_label, ids, PARTS_BY_TYPE[rel_type])

    def _roll_nodes(self, conn: sqlite3.Connection, label: str, created: int, staged: int) -> None:
        """After an upsert: new customers get their rows, existing ones their lifetime
        value; a holding that existed may have changed status or value (a new one has no
        holders yet)."""
        if not self._rollups or label not in ("Customer", "Holding"):
            return
        if label == "Holding" and created == staged:
            return
        ids: str | None = (
            "SELECT n.id FROM temp.stage_nodes AS s CROSS JOIN nodes AS n "
            f"WHERE n.label = {self._codes.labels[label]} AND n.key = s.key"
        )
        parts = ("value", "lines") if label == "Holding" else ("lifetime",)
        if label == "Customer":
            conn.execute("DELETE FROM temp.stage_touched")
            conn.execute(f"INSERT INTO temp.stage_touched (id) {ids}")
            if created:
                conn.execute(new_rollups_sql(self._codes, "temp.stage_touched"))
            ids = None
        self._refresh_rollups(conn, label, ids, parts)

    def _roll_deleted(self, conn: sqlite3.Connection, label: str) -> tuple[str, ...]:
        """Before a delete (``temp.stage_ids`` holds the doomed): note the customers whose
        rollups read the doomed nodes, and what to recompute; deleted customers' rows go."""
        if not self._rollups or label not in PARTS_BY_LABEL:
            return ()
        if label == "Customer":
            for table in ROLLUP_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE node IN (SELECT id FROM temp.stage_ids)")
            return ()
        conn.execute("DELETE FROM temp.stage_touched")
        holders = holders_sql(self._codes, label, "SELECT id FROM temp.stage_ids")
        conn.execute(f"INSERT OR IGNORE INTO temp.stage_touched (id) {holders}")
        return PARTS_BY_LABEL[label]
