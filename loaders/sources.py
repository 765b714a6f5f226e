"""Streaming readers for CSV and JSON Lines files, gzip-compressed or not, in UTF-8 or a
declared encoding.

They never hold a file in memory and never stop on a bad line: a line that cannot be
read becomes a RawRecord with an error and its raw text, which the pipeline rejects with
its line number. Before a load reads a file for records, ``check_file`` reads it once
whole: a compressed file that is corrupt or cut short, or a file that is not in the
encoding it will be read as, is refused before anything from it is written.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
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
_CHUNK = 1 << 20
# Of the lines that are not UTF-8, this much is shown to the encoding detector.
_SAMPLE = 1 << 16
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


def _label(encoding: str) -> str:
    return encoding.upper()


def _bom_encoding(head: bytes, declared: str | None) -> tuple[bytes, str]:
    """The byte-order mark a file starts with (or b"") and the encoding to read it in."""
    found = next(((bom, enc) for bom, enc in _BOMS if head.startswith(bom)), None)
    if found is None:
        return b"", declared or UTF8
    bom, enc = found
    if declared in (None, enc) or (declared == "utf-16" and enc.startswith("utf-16")):
        return bom, enc
    raise SourceFileError(
        f"the file starts with a {_label(enc)} byte-order mark, but its encoding was given "
        f"as {declared}"
    )


def _open_binary(path: Path) -> IO[bytes]:
    try:
        if path.name.lower().endswith(".gz"):
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return path.open("rb")
    except OSError as exc:
        raise SourceFileError(f"cannot open {path}: {exc.strerror}") from None


# Errors reading a file's bytes: an unreadable disk, a corrupt (zlib.error, a failed CRC)
# or cut-short (EOFError) compressed stream.
_READ_ERRORS = (OSError, EOFError, zlib.error)


def read_records(
    path: Path, only: Container[int] | None = None, encoding: str | None = None
) -> Iterator[RawRecord]:
    """The file's records in order; with ``only``, just the records starting on those
    lines (the others are skipped before they are parsed into records). ``encoding``:
    the file's encoding when it is not UTF-8 (a byte-order mark says so too)."""
    fmt = file_format(path)
    declared = codec_name(encoding) if encoding else None
    enc = declared or UTF8
    with _open_binary(path) as binary:
        try:
            # A buffered or gzip stream: peek reads ahead without consuming.
            bom, enc = _bom_encoding(binary.peek(4)[:4], declared)  # type: ignore[attr-defined]
            binary.read(len(bom))
            if fmt == "csv":
                yield from read_csv(binary, only, enc)
            else:
                yield from read_jsonl(binary, only, enc)
        except _READ_ERRORS as exc:
            raise SourceFileError(f"{path}: unreadable ({exc})") from None
        except UnicodeError as exc:  # a byte the error handler cannot escape (UTF-16)
            raise SourceFileError(f"{path}: not valid {_label(enc)} ({_why(exc, enc)})") from None


# ----------------------------------------------------------------------- the whole file


@dataclass(frozen=True, slots=True)
class FileCheck:
    encoding: str  # what the file is read as
    has_text: bool  # False: empty, or blank lines only


def check_file(path: Path, encoding: str | None = None) -> FileCheck:
    """Read the file once, whole, before any of it loads: a compressed file decompresses
    to its end (the gzip CRC and length are checked there), and the text is in the
    encoding it will be read as. A file without a declared encoding or byte-order mark
    is UTF-8; when most of its lines holding non-ASCII text are not, it is in another
    encoding, and refused with a guess at which (loading it would reject those lines
    and load the few that happen to be valid UTF-8 as garbage)."""
    file_format(path)
    declared = codec_name(encoding) if encoding else None
    enc = declared or UTF8
    with _open_binary(path) as binary:
        try:
            first = binary.read(_CHUNK)
            bom, enc = _bom_encoding(first[:4], declared)
            chunks = _chunks(binary, first[len(bom) :])
            if enc == UTF8:
                scan = _Utf8Scan()
                for chunk in chunks:
                    scan.feed(chunk)
                scan.close()
                scan.verdict(path)
                return FileCheck(enc, scan.has_text)
            return FileCheck(enc, _decodes(chunks, enc))
        except _READ_ERRORS as exc:
            raise SourceFileError(
                f"{path}: unreadable ({exc}): a corrupt or cut-short file; nothing from it "
                "was loaded"
            ) from None
        except UnicodeError as exc:
            raise SourceFileError(
                f"{path}: not valid {_label(enc)} ({_why(exc, enc)}); nothing from it was loaded"
            ) from None


def _why(exc: UnicodeError, encoding: str) -> str:
    """Why the text does not decode; declared ``utf-16`` (or ``utf-32``) without a
    byte-order mark, which byte order to declare instead."""
    if isinstance(exc, UnicodeDecodeError):
        return exc.reason
    return f"{exc}: declare its byte order, {encoding}-le or {encoding}-be"


def _chunks(binary: IO[bytes], first: bytes) -> Iterator[bytes]:
    yield first
    while chunk := binary.read(_CHUNK):
        yield chunk


def _decodes(chunks: Iterable[bytes], encoding: str) -> bool:
    """Whether the text holds anything but white space. A UTF-16 file must decode whole;
    in a declared single- or multi-byte encoding a bad line is the reader's to reject."""
    strict = encoding.startswith(("utf-16", "utf-32"))
    decoder = codecs.getincrementaldecoder(encoding)("strict" if strict else "replace")
    has_text = False
    for chunk in chunks:
        has_text = bool(decoder.decode(chunk).strip()) or has_text
    return bool(decoder.decode(b"", final=True).strip()) or has_text


@dataclass(slots=True)
class _Utf8Scan:
    """Counts the lines holding non-ASCII text that are and are not valid UTF-8, and keeps
    a sample of those that are not."""

    utf8: int = 0
    foreign: int = 0
    has_text: bool = False
    sample: list[tuple[int, bytes]] = field(default_factory=list)  # (line, bytes)
    _sampled: int = 0
    _rest: bytes = b""
    _line: int = 0  # lines before the block at hand

    def feed(self, chunk: bytes) -> None:
        data = self._rest + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) < 16 * _CHUNK:
            self._rest = data  # no end of line yet
            return
        cut = cut or len(data)
        self._rest = data[cut:]
        self._lines(data[:cut])

    def close(self) -> None:
        self._lines(self._rest)
        self._rest = b""

    def _lines(self, block: bytes) -> None:
        first = self._line + 1
        self._line += block.count(b"\n")
        if not self.has_text and block.strip():
            self.has_text = True
        if block.isascii():
            return
        try:
            block.decode(UTF8)
        except UnicodeDecodeError:
            pass
        else:
            self.utf8 += sum(1 for line in block.split(b"\n") if not line.isascii())
            return
        for number, line in enumerate(block.split(b"\n"), start=first):
            if line.isascii():
                continue
            try:
                line.decode(UTF8)
            except UnicodeDecodeError:
                self.foreign += 1
                if self._sampled < _SAMPLE:
                    self.sample.append((number, line))
                    self._sampled += len(line)
            else:
                self.utf8 += 1

    def verdict(self, path: Path) -> None:
        """Refuse a file whose non-ASCII lines are mostly not UTF-8; a UTF-8 file with a
        few broken lines loads, and the reader rejects those."""
        if self.foreign <= self.utf8:
            return
        total = self.foreign + self.utf8
        lines = [line for _, line in self.sample]
        guess = guess_encoding(lines)
        if guess:
            number, line = self.sample[0]
            shown = line.decode(guess, errors="replace").strip()
            shown = shown if len(shown) <= 60 else shown[:59] + "…"
            hint = (
                f"looks like {_label(guess)} (its line {number} then reads {shown!r}) — "
                f"rerun with --encoding {guess}"
            )
        else:
            hint = "rerun with --encoding NAME, the encoding it was saved in (e.g. gb18030, cp1252)"
        raise SourceFileError(
            f"{path}: not UTF-8 ({self.foreign:,} of {total:,} lines with non-ASCII text are "
            f"not); {hint}. Nothing from it was loaded"
        )


def guess_encoding(lines: list[bytes]) -> str | None:
    """The encoding lines that are not UTF-8 most likely are in: GB18030 when they read as
    common Chinese characters in it (what a Chinese spreadsheet saves; a detector needs far
    more text than names and places to tell), else what charset-normalizer says."""
    leads = _common_chinese(lines)
    if leads and max(leads) > 0xC8:
        return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(b"\n".join(lines)).best()
    name = codec_name(best.encoding) if best is not None else None
    if leads and name not in _KOREAN:
        # Korean (EUC-KR) Hangul takes the same bytes as the commonest Chinese characters
        # up to lead byte C8: only then is a detector asked which it is.
        return "gb18030"
    if name is None or name in ("ascii", UTF8) or name.startswith(("utf-16", "utf-32")):
        return None
    # GB2312 and GBK text is GB18030 text too; the superset decodes every byte of it.
    return "gb18030" if name in ("gb2312", "gbk") else name


_KOREAN = ("cp949", "euc_kr", "johab")


def _common_chinese(lines: list[bytes]) -> set[int]:
    """When the lines decode as GB18030 to ASCII and Chinese characters alone, at least four
    in five of them among the 3,755 most common (GB 2312 level 1: bytes B0A1-D7F9), the lead
    bytes of those; else nothing. Big5 and Shift-JIS text, or Latin text in a Windows code
    page, reads otherwise."""
    leads: set[int] = set()
    common = other = 0
    for line in lines:
        try:
            text = line.decode("gb18030")
        except UnicodeDecodeError:
            return set()
        for ch in text:
            if ch.isascii():
                continue
            if not ("\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"):
                return set()
            code = ch.encode("gb18030")
            if len(code) == 2 and 0xB0 <= code[0] <= 0xD7 and code[1] >= 0xA1:
                common += 1
                leads.add(code[0])
            else:
                other += 1
    return leads if common >= 4 * other else set()


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
    try:
        header = next(reader)
        while not header or (len(header) == 1 and not header[0].strip()):
            lines.pop()  # blank lines before the header hold nothing
            header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise SourceFileError(f"cannot read the CSV header: {exc}") from None
    lines.pop()
    header = [h.strip() for h in header]
    names = [canonical_name(h) for h in header]
    if len(set(names)) != len(names) or "" in names:
        raise SourceFileError(f"the CSV header has empty or repeated column names: {header}")
    if any(_undecodable(h) for h in header):
        raise SourceFileError(f"the CSV header is not valid {_label(encoding)}")
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
            yield RawRecord(line, None, f"not valid {_label(encoding)}", _shown(raw, encoding))
        elif len(row) != len(header):
            yield RawRecord(
                line, None, f"row has {len(row)} fields, the header has {len(header)}", raw
            )
        else:
            yield RawRecord(line, dict(zip(header, row, strict=True)))


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
            reason = f"not valid {_label(encoding)}" if bad else f"invalid JSON: {exc}"
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
