"""Where rejected records go: a JSON Lines file, one line per record, with every reason."""

from __future__ import annotations

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
