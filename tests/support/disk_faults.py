"""Disk faults injected under the store and the files ckb writes, for the disk fault tests:
SQLite's own errors (``PRAGMA max_page_count`` at the file's size gives a true SQLITE_FULL,
a ``mode=ro`` connection a true SQLITE_READONLY), and a folder that refuses writes."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

_REAL_CONNECT = sqlite3.connect


def is_store_file(database: object, path: Path) -> bool:
    """Whether ``database`` (a path or a ``file:`` URI as sqlite3.connect takes it) names
    the store file ``path``."""
    text = str(database)
    if text.startswith("file:"):
        text = unquote(text.removeprefix("file:").split("?", 1)[0])
    return os.path.realpath(text) == os.path.realpath(path)


def fill_disk(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[sqlite3.Connection]:
    """From now on every connection to the store may not grow it past its size: a disk
    with no room left. Returns the connections opened, to free space on later."""
    with contextlib.closing(_REAL_CONNECT(path)) as conn:
        conn.execute("VACUUM")  # no free pages left inside the file either
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    opened: list[sqlite3.Connection] = []

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = _REAL_CONNECT(database, *args, **kwargs)
        if is_store_file(database, path):
            conn.execute(f"PRAGMA max_page_count = {pages}")
            opened.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return opened


def free_space(opened: list[sqlite3.Connection]) -> None:
    """Room on the disk again for the connections ``fill_disk`` opened."""
    for conn in opened:
        conn.execute("PRAGMA max_page_count = 1073741823")


def read_only_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """SQLite opens the store read-only, as it does a file it may not write."""

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if is_store_file(database, path):
            kwargs["uri"] = True
            database = f"file:{os.path.realpath(path)}?mode=ro"
        return _REAL_CONNECT(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)


def unwritable_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Files in ``folder`` cannot be opened for writing (EACCES), as for a user who may
    not write there."""
    real_open = Path.open
    where = folder.resolve()

    def guarded(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if set(mode) & set("wax+") and self.resolve().parent == where:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)
