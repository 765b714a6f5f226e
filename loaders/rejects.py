"""Where rejected records go: a JSON Lines file, one line per record, with every reason."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

import orjson


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
            path.unlink()

    def reject(self, line: int, record: Any, reasons: list[str]) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("ab" if self._append else "wb")
        entry = {
            "source_file": self.source_file,
            "kind": self.kind,
            "line": line,
            "record": record,
            "reasons": reasons,
        }
        self._fh.write(orjson.dumps(entry, default=str) + b"\n")
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


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
            _replace(path, b"".join(kept), handle)
    return dropped


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
    fresh = path.with_name(f".{path.name}.rewrite")
    with fresh.open("wb") as out:
        out.write(content + tail)
        out.flush()
        os.fsync(out.fileno())
    os.replace(fresh, path)
