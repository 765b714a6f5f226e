"""The embedded store's file: what this process may do with it, how a connection to it is
opened, and SQLite's errors about it as StoreErrors that say what to do.

The file is opened by its real path, so every process that reaches it, through whatever
link, shares one lock and one WAL. A file this process cannot write (a read-only file,
folder or file system) is opened read-only. SQLite's errors of the file or its disk (full,
read-only, I/O, damaged, locked) become StoreErrors saying what happened, what it cost and
what to do (docs/operations.md).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from graph.errors import (
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreLockedError,
    StoreReadOnlyError,
    StoreUnavailableError,
)


def is_lock_error(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return name in {"SQLITE_BUSY", "SQLITE_LOCKED"} or "locked" in str(exc)


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


class StoreFile:
    """One store file as this process finds it. ``path`` is the name it was given (for
    messages), ``real`` the file itself: a symlink and its target share one WAL and lock."""

    def __init__(self, path: str | os.PathLike[str], synchronous: str, busy_timeout: float) -> None:
        self.path = Path(path)
        if synchronous.upper() not in {"FULL", "NORMAL", "EXTRA"}:
            raise StoreError(f"unsupported SQLite synchronous mode {synchronous!r}")
        self.synchronous = synchronous.upper()
        self.busy_timeout = busy_timeout
        self.real = Path(os.path.realpath(self.path))
        # Why this process cannot write the store (None: it can). Then it is opened
        # read-only; and when nothing can change it (a read-only file system) and no WAL
        # is beside it, as immutable: SQLite reads it without the -shm file it could not
        # create there. A WAL beside it is read through the -shm (ro mode).
        self.read_only, self.frozen = self._writability()
        self.immutable = self.frozen and not os.path.exists(f"{self.real}-wal")
        if self.read_only is None:
            try:
                self.real.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _folder_fault(self.path, exc) from None
        elif not self.real.exists():
            raise StoreReadOnlyError(f"cannot create the store {self.path}: {self.read_only}")

    def _writability(self) -> tuple[str | None, bool]:
        """(why this process cannot write the store, None when it can; whether nothing
        can: its file system is mounted read-only). A missing folder is made on opening."""
        folder = self.real.parent
        shown = self.path.parent if self.path.parent.resolve() == folder else folder
        try:
            mounted_read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except OSError:
            return None, False
        if mounted_read_only:
            return f"the file system holding {shown} is mounted read-only", True
        if self.real.exists() and not os.access(self.real, os.W_OK):
            return "this user may not write the file", False
        if not os.access(folder, os.W_OK):
            return f"this user may not write its folder {shown}", False
        return None, False

    def connect(self, cache_kib: int) -> sqlite3.Connection:
        target: str | Path = self.real
        if self.read_only is not None:
            target = f"file:{quote(str(self.real))}?mode=ro"
            if self.immutable:
                target += "&immutable=1"
        try:
            conn = sqlite3.connect(
                target,
                isolation_level=None,
                check_same_thread=False,
                timeout=self.busy_timeout,
                cached_statements=512,
                uri=self.read_only is not None,
            )
        except sqlite3.Error as exc:
            fault = self.fault(exc, "open")
            raise fault or StoreError(f"cannot open {self.path}: {exc}") from None
        try:
            if self.read_only is None:  # a read-only file is WAL already, or stays as it is
                self._use_wal(conn)
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            conn.execute(f"PRAGMA cache_size = -{cache_kib}")
            conn.execute("PRAGMA temp_store = MEMORY")
            # Checkpoint every 64 MB of WAL rather than every 4 MB: fewer, larger copies;
            # and cut the WAL file back to that after a big transaction grew it.
            conn.execute("PRAGMA wal_autocheckpoint = 16384")
            conn.execute("PRAGMA journal_size_limit = 67108864")
        except sqlite3.DatabaseError as exc:
            conn.close()
            if is_lock_error(exc):
                raise self.locked() from None
            fault = self.fault(exc, "open")
            raise fault or StoreCorruptError(
                f"{self.path} is not a readable ckb store: {exc}"
            ) from None
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL (a no-op once it is). Processes creating one file at once
        all try to convert it and SQLite refuses all but one at once, without the busy
        wait, so the others wait here."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
                return
            except sqlite3.OperationalError as exc:
                if not is_lock_error(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def fault(self, exc: sqlite3.Error, doing: str) -> StoreError | None:
        """What an error SQLite raised says about the file or its disk, as a StoreError
        saying what happened and what to do; None for any other error (a bug goes on as
        it is). ``doing``: open, read or write (a write's transaction is rolled back by
        the time this is raised)."""
        code = _primary_code(exc)
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return self.locked()
        unreadable = self.real.exists() and not os.access(self.real, os.R_OK)
        if code == sqlite3.SQLITE_CANTOPEN and unreadable:
            return StoreUnavailableError(f"cannot read {self.path}: this user may not read it")
        if self.read_only is not None and code in (
            sqlite3.SQLITE_READONLY,
            sqlite3.SQLITE_CANTOPEN,
        ):
            return self._unreadable()
        path = self.path
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
        name = self.path.name
        foreign = [
            f"{name}{end}"
            for end in ("-wal", "-shm")
            if os.path.exists(f"{self.real}{end}") and not os.access(f"{self.real}{end}", os.W_OK)
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
        name, folder = self.path.name, self.path.parent
        remedy = (
            f"copy the store with its {name}-wal to a folder this user can write"
            if self.frozen
            else f"give this user write access to {folder}, or copy the store to a folder "
            "it can write"
        )
        return StoreUnavailableError(
            f"cannot read {self.path}: {self.read_only}, and SQLite reads a WAL store "
            f"through {name}-wal and {name}-shm beside it (they exist while a process has "
            f"it open); {remedy}"
        )

    def refused_write(self) -> StoreReadOnlyError:
        remedy = (
            "the file system mounted read-write"
            if self.frozen
            else "write access to the file and its folder"
        )
        return StoreReadOnlyError(
            f"{self.path} is read-only here ({self.read_only}): nothing was written; "
            f"reads work, writing needs {remedy}"
        )

    def stale_read_only(self) -> StoreReadOnlyError:
        return StoreReadOnlyError(
            f"{self.path} is read-only here ({self.read_only}) and was written by a ckb "
            "with an older schema (names or indexes this one adds): open it once with write "
            "access (ckb schema apply) to bring it up to date"
        )

    def locked(self) -> StoreLockedError:
        return StoreLockedError(
            f"{self.path}: another process kept the write lock for more than "
            f"{self.busy_timeout:g} s; try again when its write ends"
        )
