"""The embedded store's connections and transactions: the state every part shares.

Inside a process, one connection writes (guarded by a lock) and reads use it when it is
free, or a pooled reading connection when another thread holds it. Many processes may
open one file: any number read while one writes; a second writer waits for SQLite's
write lock (the busy timeout) instead of failing. The other parts of the store
(``graph/embedded/*.py``) are mixins of this class.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sqlite3
import threading
from collections.abc import Iterator

from graph.embedded.file import StoreFile, is_lock_error
from graph.embedded.layout import Codes
from graph.errors import StoreError
from graph.schema import GraphSchema

# The writing connection's page cache: big enough to hold the key and adjacency indexes
# a bulk load inserts into at random (SQLite's default is 2 MB). Reading connections,
# one per concurrent reading thread, take a smaller one.
WRITER_CACHE_KIB = 256 * 1024
_READER_CACHE_KIB = 64 * 1024
_IDLE_READERS = 4
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


def rollback(conn: sqlite3.Connection) -> None:
    # SQLite may have rolled back already (disk full, I/O error): nothing left to undo.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class Connections:
    """The writing connection, the pool of reading ones, and transactions over them."""

    _file: StoreFile
    _schema: GraphSchema
    _closed: bool
    _main: sqlite3.Connection
    _main_lock: threading.RLock
    _local: threading.local  # .depth: this thread's atomic() nesting
    _pool_lock: threading.Lock
    _idle: list[sqlite3.Connection]
    # The file's codes of labels, types and term fields, and their names by code.
    _codes: Codes
    _label_names: dict[int, str]
    _type_names: dict[int, str]
    _rollups: bool  # whether the file keeps the customer rollups

    @property
    def description(self) -> str:
        return f"embedded store {self._file.path}"

    def _connect(self, cache_kib: int) -> sqlite3.Connection:
        return self._file.connect(cache_kib)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.description} is closed")

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

    def _begin(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if is_lock_error(exc):
                raise self._file.locked() from None
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
            if self._file.read_only is not None:
                raise self._file.refused_write()
            try:
                self._begin(conn)
                try:
                    yield conn
                    self._commit(conn)
                except BaseException:
                    rollback(conn)
                    raise
            except sqlite3.Error as exc:  # rolled back: say what happened to the file
                if (fault := self._file.fault(exc, "write")) is None:
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
                if (fault := self._file.fault(exc, "read")) is None:
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
            if (fault := self._file.fault(exc, "read")) is None:
                raise
            raise fault from None
        finally:
            with self._pool_lock:
                keep = not self._closed and len(self._idle) < _IDLE_READERS
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()
