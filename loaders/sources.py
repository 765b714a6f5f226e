"""Streaming readers for CSV and JSON Lines files, gzip-compressed or not.

They never hold a file in memory and never stop on a bad line: a line that cannot be
read becomes a RawRecord with an error, which the pipeline rejects with its line number.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from graph.errors import CkbError

# A CSV field may legitimately be long (addresses, notes), not unbounded.
csv.field_size_limit(1 << 20)


class SourceFileError(CkbError):
    """The file cannot be read at all (missing, unknown format, no header)."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    line: int  # 1-based line where the record starts
    data: dict[str, Any] | None  # None when the line could not be parsed
    error: str | None = None
    text: str | None = None  # the raw line, kept for the rejects file when unparsable


def file_format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise SourceFileError(f"{path}: unknown format; use .csv or .jsonl / .ndjson (optionally .gz)")


def _open_binary(path: Path) -> IO[bytes]:
    try:
        if path.name.lower().endswith(".gz"):
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return path.open("rb")
    except OSError as exc:
        raise SourceFileError(f"cannot open {path}: {exc.strerror}") from None


def read_records(path: Path, only: Container[int] | None = None) -> Iterator[RawRecord]:
    """The file's records in order; with ``only``, just the records starting on those
    lines (the others are skipped before they are parsed into records)."""
    fmt = file_format(path)
    with _open_binary(path) as binary:
        try:
            if fmt == "csv":
                yield from read_csv(binary, only)
            else:
                yield from read_jsonl(binary, only)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise SourceFileError(f"{path}: unreadable ({exc})") from None


def _has_bad_utf8(values: list[str]) -> bool:
    return any("\udc80" <= ch <= "\udcff" for v in values for ch in v)


def read_csv(binary: IO[bytes], only: Container[int] | None = None) -> Iterator[RawRecord]:
    # surrogateescape keeps undecodable bytes visible so one bad row is rejected, not the file.
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        yield from _csv_rows(text, only)
    finally:
        text.detach()  # the caller owns (and closes) the binary stream


def _csv_rows(text: IO[str], only: Container[int] | None) -> Iterator[RawRecord]:
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise SourceFileError(f"cannot read the CSV header: {exc}") from None
    header = [h.strip() for h in header]
    if len(set(header)) != len(header) or "" in header:
        raise SourceFileError(f"the CSV header has empty or repeated column names: {header}")
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if only is None or start in only:
                yield RawRecord(start, None, f"malformed CSV: {exc}")
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if only is not None and line not in only:
            continue
        joined = ",".join(row)
        if _has_bad_utf8(row):
            yield RawRecord(
                line,
                None,
                "not valid UTF-8",
                joined.encode(errors="surrogateescape").decode(errors="replace"),
            )
        elif len(row) != len(header):
            yield RawRecord(
                line, None, f"row has {len(row)} fields, the header has {len(header)}", joined
            )
        else:
            yield RawRecord(line, dict(zip(header, row, strict=True)))


def read_jsonl(binary: IO[bytes], only: Container[int] | None = None) -> Iterator[RawRecord]:
    for number, raw_line in enumerate(binary, start=1):
        if only is not None and number not in only:
            continue
        line = raw_line.strip()
        if not line:
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield RawRecord(number, None, f"invalid JSON: {exc}", line.decode(errors="replace"))
            continue
        if not isinstance(data, dict):
            yield RawRecord(
                number,
                None,
                f"a line must hold a JSON object, not {type(data).__name__}",
                line.decode(errors="replace"),
            )
            continue
        yield RawRecord(number, data)
