"""Where rejected records go: a JSON Lines file, one line per record, with every reason."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from graph.errors import CkbError

_WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "its file system is mounted read-only",
    errno.EACCES: "this user may not write there",
    errno.EPERM: "this user may not write there",
}


class RejectsWriteError(CkbError):
    """The rejects file cannot be written (a read-only folder or file system, a full
    disk). A rejected record is never dropped unseen: whatever was writing them stops."""


def _why(path: Path, exc: OSError) -> tuple[str, str]:
    """(what went wrong, what to do about it) for a rejects file that cannot be written."""
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    remedy = "free space on it" if full else f"make {path.parent} writable"
    return _WHY.get(exc.errno or 0, exc.strerror or str(exc)), remedy


def _cannot_write(path: Path, exc: OSError) -> RejectsWriteError:
    why, remedy = _why(path, exc)
    return RejectsWriteError(
        f"cannot write rejected records to {path} ({why}): stopped rather than drop them, "
        f"what was committed before stays; {remedy} or send rejects elsewhere (--rejects, "
        "CKB_REJECTS_DIR), then run it again"
    )


def _cannot_rewrite(path: Path, exc: OSError) -> RejectsWriteError:
    why, remedy = _why(path, exc)
    return RejectsWriteError(
        f"cannot rewrite {path} without the lines to remove ({why}): the file is as it "
        f"was; {remedy}, then run it again"
    )


class RejectSink(Protocol):
    def reject(self, line: int, record: Any, reasons: list[str]) -> None: ...


class RejectsFile:
    """Opened on the first reject only; a file load without rejects leaves no stale file
    behind. Push ingest appends instead, one file per source system and kind."""

    def __init__(self, path: Path, source_file: str, kind: str, *, append: bool = False) -> None:
        self.path = path
        self.source_file = source_file
        self.kind = kind
        self.count = 0
        self._append = append
        self._fh: IO[bytes] | None = None
        if path.exists() and not append:
            try:
                path.unlink()
            except OSError as exc:
                raise _cannot_write(path, exc) from None

    def reject(self, line: int, record: Any, reasons: list[str]) -> None:
        entry = {
            "source_file": self.source_file,
            "kind": self.kind,
            "line": line,
            "record": record,
            "reasons": reasons,
        }
        try:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = self.path.open("ab" if self._append else "wb")
            self._fh.write(orjson.dumps(entry, default=str) + b"\n")
        except OSError as exc:
            self._drop_handle()
            raise _cannot_write(self.path, exc) from None
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.close()
            except OSError as exc:
                raise _cannot_write(self.path, exc) from None

    def _drop_handle(self) -> None:
        """After a failed write: the handle goes, its unwritten bytes with it."""
        fh, self._fh = self._fh, None
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()


class RejectsList:
    """In-memory sink for push ingest: the HTTP answer carries the reasons."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, Any, list[str]]] = []

    def reject(self, line: int, record: Any, reasons: list[str]) -> None:
        self.entries.append((line, record, reasons))


def rewrite_rejects(path: Path, drop: Callable[[Any], bool]) -> int:
    """Rewrite a rejects file without the entries ``drop`` chooses (an entry is the parsed
    line, or its raw text when it is not JSON), keeping the others in order; a file left
    empty is removed. Returns how many lines went.

    The new file replaces the old one in one rename, written and synced first, so a crash
    leaves either. A writer appending meanwhile (push ingest appends) is not lost: the
    file is read on until no whole line is left unread, and what follows goes along as
    it is, under an exclusive ``flock`` that a writer taking one waits for."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return 0
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        kept: list[bytes] = []
        dropped = 0
        done = 0
        while True:  # until no whole line is left unread
            handle.seek(done)
            chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            if not complete:
                break
            done += len(complete)
            for line in complete.splitlines(keepends=True):
                if _drops(line, drop):
                    dropped += 1
                else:
                    kept.append(line)
        if dropped:
            handle.seek(done)  # a line being written as we finish goes along unread
            try:
                _replace(path, b"".join(kept), handle)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    _rewritten(path).unlink()
                raise _cannot_rewrite(path, exc) from None
    return dropped


def count_rejects(path: Path, drop: Callable[[Any], bool]) -> int:
    """How many whole lines of a rejects file :func:`rewrite_rejects` would drop now."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return 0
    complete = content[: content.rfind(b"\n") + 1]
    return sum(_drops(line, drop) for line in complete.splitlines(keepends=True))


def _rewritten(path: Path) -> Path:
    """Where the new content of ``path`` is written before it replaces it."""
    return path.with_name(f".{path.name}.rewrite")


def _drops(line: bytes, drop: Callable[[Any], bool]) -> bool:
    if not line.strip():
        return False
    try:
        entry: Any = orjson.loads(line)
    except orjson.JSONDecodeError:
        entry = line.decode("utf-8", "replace")
    return drop(entry)


def _replace(path: Path, content: bytes, old: IO[bytes]) -> None:
    """``content`` in place of ``path``; the rest of ``old`` (appended since it was read) too."""
    tail = old.read()
    if not content and not tail:
        path.unlink()
        return
    fresh = _rewritten(path)
    with fresh.open("wb") as out:
        out.write(content + tail)
        out.flush()
        os.fsync(out.fileno())
    os.replace(fresh, path)
