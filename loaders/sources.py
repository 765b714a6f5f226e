"""Streaming readers for CSV and JSON Lines files, gzip-compressed or not, in UTF-8 or a
declared encoding.

They never hold a file in memory and never stop on a bad line: a line that cannot be
read becomes a RawRecord with an error and its raw text, which the pipeline rejects with
its line number. Before a load reads a file for records, ``check_file``
(loaders/file_check.py) reads it once whole: a compressed file that is corrupt or cut
short, or a file that is not in the encoding it will be read as, is refused before
anything from it is written.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from graph.errors import CkbError

# A CSV field may legitimately be long (addresses, notes), not unbounded.
csv.field_size_limit(1 << 20)

UTF8 = "utf-8"
# Byte-order marks, longest first: the encoding a file starting with one is in.
_BOMS = (
    (codecs.BOM_UTF8, UTF8),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SEPARATORS = re.compile(r"[\s\-]+")


class SourceFileError(CkbError):
    """The file cannot be read at all (missing, unknown format, no header, corrupt, not in
    its encoding)."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    line: int  # 1-based line where the record starts
    data: dict[str, Any] | None  # None when the line could not be parsed
    error: str | None = None
    text: str | None = None  # the raw line(s), kept for the rejects file when unparsable


def file_format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise SourceFileError(f"{path}: unknown format; use .csv or .jsonl / .ndjson (optionally .gz)")


def canonical_name(name: str) -> str:
    """A column or key name as a field name: case, surrounding spaces and the separators
    people type (spaces, hyphens) do not matter (``Postal Code`` -> ``postal_code``)."""
    return _SEPARATORS.sub("_", name.strip().lower())


def codec_name(encoding: str) -> str:
    """The canonical name of a declared encoding (``GBK`` -> ``gbk``, ``utf8`` -> ``utf-8``)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise SourceFileError(f"unknown encoding {encoding!r}") from None
    return UTF8 if name == "utf-8-sig" else name


def encoding_label(encoding: str) -> str:
    """An encoding as messages name it (``GB18030``)."""
    return encoding.upper()


def bom_encoding(head: bytes, declared: str | None) -> tuple[bytes, str]:
    """The byte-order mark a file starts with (or b"") and the encoding to read it in."""
    found = next(((bom, enc) for bom, enc in _BOMS if head.startswith(bom)), None)
    if found is None:
        return b"", declared or UTF8
    bom, enc = found
    if declared in (None, enc) or (declared == "utf-16" and enc.startswith("utf-16")):
        return bom, enc
    raise SourceFileError(
        f"the file starts with a {encoding_label(enc)} byte-order mark, but its encoding was given "
        f"as {declared}"
    )


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when its name ends in ``.gz``."""
    try:
        if path.name.lower().endswith(".gz"):
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return path.open("rb")
    except OSError as exc:
        raise SourceFileError(f"cannot open {path}: {exc.strerror}") from None


# Errors reading a file's bytes: an unreadable disk, a corrupt (zlib.error, a failed CRC)
# or cut-short (EOFError) compressed stream.
READ_ERRORS = (OSError, EOFError, zlib.error)


def read_records(
    path: Path, only: Container[int] | None = None, encoding: str | None = None
) -> Iterator[RawRecord]:
    """The file's records in order; with ``only``, just the records starting on those
    lines (the others are skipped before they are parsed into records). ``encoding``:
    the file's encoding when it is not UTF-8 (a byte-order mark says so too)."""
    fmt = file_format(path)
    declared = codec_name(encoding) if encoding else None
    enc = declared or UTF8
    with open_binary(path) as binary:
        try:
            # A buffered or gzip stream: peek reads ahead without consuming.
            bom, enc = bom_encoding(binary.peek(4)[:4], declared)  # type: ignore[attr-defined]
            binary.read(len(bom))
            if fmt == "csv":
                yield from read_csv(binary, only, enc)
            else:
                yield from read_jsonl(binary, only, enc)
        except READ_ERRORS as exc:
            raise SourceFileError(f"{path}: unreadable ({exc})") from None
        except UnicodeError as exc:  # a byte the error handler cannot escape (UTF-16)
            raise SourceFileError(
                f"{path}: not valid {encoding_label(enc)} ({why_undecodable(exc, enc)})"
            ) from None


def why_undecodable(exc: UnicodeError, encoding: str) -> str:
    """Why the text does not decode; declared ``utf-16`` (or ``utf-32``) without a
    byte-order mark, which byte order to declare instead."""
    if isinstance(exc, UnicodeDecodeError):
        return exc.reason
    return f"{exc}: declare its byte order, {encoding}-le or {encoding}-be"


# ---------------------------------------------------------------------------- CSV


def _undecodable(value: str) -> bool:
    """Whether decoding left bytes escaped (surrogateescape): a line not in the encoding."""
    try:
        value.encode(UTF8)
    except UnicodeEncodeError:
        return True
    return False


def _shown(text: str, encoding: str) -> str:
    """A line with undecodable bytes as the rejects file shows it: those bytes replaced."""
    return text.encode(encoding, errors="surrogateescape").decode(encoding, errors="replace")


class _Tracked:
    """The text lines the CSV reader takes, kept until the record they make is done: a
    rejected record's raw text."""

    __slots__ = ("_lines", "taken")

    def __init__(self, text: IO[str]) -> None:
        self._lines = iter(text)
        self.taken: list[str] = []

    def __iter__(self) -> _Tracked:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line

    def pop(self) -> str:
        text = "".join(self.taken).rstrip("\r\n")
        self.taken.clear()
        return text


def read_csv(
    binary: IO[bytes], only: Container[int] | None = None, encoding: str = UTF8
) -> Iterator[RawRecord]:
    # surrogateescape keeps undecodable bytes visible so one bad row is rejected, not the file.
    codec = "utf-8-sig" if encoding == UTF8 else encoding
    text = io.TextIOWrapper(binary, encoding=codec, errors="surrogateescape", newline="")
    try:
        yield from _csv_rows(text, only, encoding)
    finally:
        text.detach()  # the caller owns (and closes) the binary stream


def _csv_rows(text: IO[str], only: Container[int] | None, encoding: str) -> Iterator[RawRecord]:
    lines = _Tracked(text)
    reader = csv.reader(lines, strict=True)
    header = _csv_header(reader, lines, encoding)
    if header is None:
        return
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raw = lines.pop()
            if only is None or start in only:
                yield RawRecord(start, None, _csv_error(exc, start), _shown(raw, encoding))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        raw = lines.pop()
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if only is not None and line not in only:
            continue
        if _undecodable(raw):
            yield RawRecord(
                line, None, f"not valid {encoding_label(encoding)}", _shown(raw, encoding)
            )
        elif len(row) != len(header):
            yield RawRecord(
                line, None, f"row has {len(row)} fields, the header has {len(header)}", raw
            )
        else:
            yield RawRecord(line, dict(zip(header, row, strict=True)))


def _csv_header(reader: Iterator[list[str]], lines: _Tracked, encoding: str) -> list[str] | None:
    """The header's column names, blank lines before it skipped (None: the file holds
    nothing); a header that cannot be read, or names a column twice or not at all, refuses
    the file."""
    try:
        header = next(reader)
        while not header or (len(header) == 1 and not header[0].strip()):
            lines.pop()  # blank lines before the header hold nothing
            header = next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise SourceFileError(f"cannot read the CSV header: {exc}") from None
    lines.pop()
    header = [h.strip() for h in header]
    names = [canonical_name(h) for h in header]
    if len(set(names)) != len(names) or "" in names:
        raise SourceFileError(f"the CSV header has empty or repeated column names: {header}")
    if any(_undecodable(h) for h in header):
        raise SourceFileError(f"the CSV header is not valid {encoding_label(encoding)}")
    return header


def _csv_error(exc: csv.Error, start: int) -> str:
    if "unexpected end of data" in str(exc):
        return (
            f"malformed CSV: a quoted field opened on line {start} is never closed "
            "(it runs to the end of the file)"
        )
    return f"malformed CSV: {exc}"


# ---------------------------------------------------------------------- JSON Lines


def read_jsonl(
    binary: IO[bytes], only: Container[int] | None = None, encoding: str = UTF8
) -> Iterator[RawRecord]:
    if encoding != UTF8:
        text = io.TextIOWrapper(binary, encoding=encoding, errors="surrogateescape", newline="\n")
        try:
            yield from _jsonl_records(text, only, encoding)
        finally:
            text.detach()
        return
    yield from _jsonl_records(binary, only, encoding)


def _jsonl_records(
    lines: Iterable[bytes | str], only: Container[int] | None, encoding: str
) -> Iterator[RawRecord]:
    for number, raw_line in enumerate(lines, start=1):
        if only is not None and number not in only:
            continue
        line = raw_line.strip()
        if number == 1:
            line = _without_bom(line)
        if not line:
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            text, bad = _jsonl_text(line, encoding)
            reason = f"not valid {encoding_label(encoding)}" if bad else f"invalid JSON: {exc}"
            yield RawRecord(number, None, reason, text)
            continue
        if not isinstance(data, dict):
            yield RawRecord(
                number,
                None,
                f"a line must hold a JSON object, not {type(data).__name__}",
                _jsonl_text(line, encoding)[0],
            )
            continue
        yield RawRecord(number, data)


def _without_bom(line: bytes | str) -> bytes | str:
    if isinstance(line, bytes):
        return line.removeprefix(codecs.BOM_UTF8)
    return line.removeprefix("\ufeff")


def _jsonl_text(line: bytes | str, encoding: str) -> tuple[str, bool]:
    """A line as the rejects file shows it, and whether it is not in the encoding."""
    if isinstance(line, bytes):
        try:
            return line.decode(UTF8), False
        except UnicodeDecodeError:
            return line.decode(UTF8, errors="replace"), True
    if _undecodable(line):
        return _shown(line, encoding), True
    return line, False
