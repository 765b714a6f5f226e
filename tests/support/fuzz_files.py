"""Hypothesis strategies for files and pushed bodies of every record kind (issue 17),
valid first and then mutated: wrong types, missing fields, huge fields, control characters
and NUL bytes, invalid UTF-8, other encodings, line endings, quoting, extra and missing
columns, duplicate headers, damaged gzip, trailing garbage, deep nesting, numbers out of
range, dates in odd spellings.

Each generated file says what was done to it (``notes``) and what it still promises:
``clean`` (nothing done that may refuse it) and, for CSV, how many records a reader must
find (``rows``, when the mutations keep that knowable).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from loaders.kinds import KINDS
from tests.support.fuzz import (
    BAD_BYTES,
    CONTROL,
    DEPTHS,
    HUGE_SIZES,
    MAX_RECORDS,
    ODD_DATES,
    ODD_JSON_NUMBERS,
    ODD_NUMBERS,
    RAW_CHARS,
    SYSTEM,
    TEXT,
    UNKNOWN_FIELDS,
    WRONG_JSON,
    WRONG_TEXT,
    Pairs,
    Raw,
    fields,
    nested,
    pick,
    spelled,
    valid_record,
)


@dataclass
class Draft:
    """A file of one kind on its way to bytes: records, then lines, then bytes."""

    kind: str
    fmt: str
    columns: list[str]  # CSV: the header as written (possibly spelled otherwise)
    records: list[Pairs]
    notes: list[str] = field(default_factory=list)
    rows_known: bool = True  # the number of CSV records is still what was generated
    clean: bool = True  # nothing done that may refuse the file
    csv_rows: int = 0  # the records a CSV reader finds in the rows written

    def note(self, what: str, *, clean: bool = True, rows_known: bool = True) -> None:
        self.notes.append(what)
        self.clean = self.clean and clean
        self.rows_known = self.rows_known and rows_known


def _field_at(draw: st.DrawFn, draft: Draft) -> tuple[int, int] | None:
    """A record and one of its fields, or None when there is none."""
    filled = [r for r, rec in enumerate(draft.records) if rec]
    if not filled:
        return None
    r = draw(st.sampled_from(filled))
    return r, draw(st.integers(0, len(draft.records[r]) - 1))


def _set(draft: Draft, at: tuple[int, int], value: Any) -> None:
    r, f = at
    name, _ = draft.records[r][f]
    draft.records[r][f] = (name, value)


@st.composite
def _mutate_record(draw: st.DrawFn, draft: Draft) -> None:
    """One change to one record's values: every one is a record the loader rejects or
    loads, never one that refuses the file."""
    what = draw(
        pick("wrong_type", "drop", "huge", "control", "odd_date", "number", "deep", "clash")
    )
    at = _field_at(draw, draft)
    if at is None:
        return
    r, f = at
    name, value = draft.records[r][f]
    is_json = draft.fmt == "jsonl"
    if what == "wrong_type":
        wrong = draw(st.sampled_from(WRONG_JSON if is_json else WRONG_TEXT))
        _set(draft, at, wrong)
    elif what == "drop":
        if is_json:
            del draft.records[r][f]
        else:  # a CSV record cannot lose a field alone: its cell empties
            _set(draft, at, "")
    elif what == "huge":
        size, char = draw(st.sampled_from(HUGE_SIZES)), draw(pick("x", "é", "王", " "))
        _set(draft, at, char * size)
    elif what == "control":
        text = value if isinstance(value, str) else str(value)
        pos = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(CONTROL))
        _set(draft, at, text[:pos] + char + text[pos:])
    elif what == "odd_date":
        _set(draft, at, draw(st.sampled_from(ODD_DATES)))
    elif what == "number":
        _set(draft, at, draw(st.sampled_from(ODD_JSON_NUMBERS if is_json else ODD_NUMBERS)))
    elif what == "deep":
        depth = draw(st.sampled_from(DEPTHS))
        _set(draft, at, nested(depth) if is_json else "[" * depth)
    elif what == "clash":  # a key twice (orjson keeps the last) or two spellings of it
        if not is_json:
            return  # a CSV file's header is the one place for that (dup_header)
        twin = draw(pick(name, name.upper(), f" {name}", name.replace("_", "-")))
        draft.records[r].insert(f + 1, (twin, draw(st.sampled_from(WRONG_JSON))))
    draft.note(f"{what}:{name}")


def _json_value(value: Any) -> str:
    if isinstance(value, Raw):
        return value.token
    return json.dumps(value, ensure_ascii=False)


def json_line(pairs: Pairs) -> str:
    """A record as one JSON object (keys may repeat, values may be raw tokens)."""
    items = (f"{json.dumps(k, ensure_ascii=False)}: {_json_value(v)}" for k, v in pairs)
    return "{" + ", ".join(items) + "}"


def cell(value: Any) -> str:
    """A value as a CSV cell: lists space-separated, booleans as words, None empty."""
    if value is None:
        return ""
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _csv_row(values: list[str]) -> str:
    out = io.StringIO()
    # The default \r\n terminator makes the writer quote a lone \r; the line ends are
    # chosen later, on the whole text.
    csv.writer(out).writerow(values)
    return out.getvalue().removesuffix("\r\n")


@st.composite
def _csv_lines(draw: st.DrawFn, draft: Draft) -> list[str]:
    """The draft as CSV lines (a line may hold a quoted line break), with the changes to
    columns and rows only CSV has."""
    header = list(draft.columns)
    rows = [[cell(v) for _, v in rec] for rec in draft.records]
    for what in draw(
        st.lists(pick("extra_cell", "missing_cell", "dup_header", "empty_row"), max_size=2)
    ):
        if what == "dup_header" and header:
            k = draw(st.integers(0, len(header) - 1))
            header.append(draw(spelled(header[k].strip().lower())))
            for row in rows:
                row.append("dup")
            draft.note(what, clean=False)
        elif what == "empty_row":  # a record of empty cells (one is a blank line)
            rows.insert(draw(st.integers(0, len(rows))), [""] * len(header))
            draft.note(what)
        elif rows and what in ("extra_cell", "missing_cell"):
            row = rows[draw(st.integers(0, len(rows) - 1))]
            if what == "extra_cell":
                row.append(draw(TEXT))
            elif row:
                row.pop()
            draft.note(what)
    # A row of one blank cell is written as a blank line, which holds no record.
    draft.csv_rows = sum(1 for r in rows if r and not (len(r) == 1 and not r[0].strip()))
    return [_csv_row(header), *(_csv_row(row) for row in rows)]


@st.composite
def _line_changes(draw: st.DrawFn, draft: Draft, lines: list[str]) -> list[str]:
    """Changes to the text's lines: blank lines, a raw character anywhere, and for CSV a
    stray quote, for JSON Lines trailing garbage, non-objects and lines cut short."""
    csv_only = ("quote",)
    json_only = ("trailing", "non_object", "cut_line")
    kinds = ("blank", "raw_char", *(csv_only if draft.fmt == "csv" else json_only))
    for what in draw(st.lists(st.sampled_from(kinds), max_size=3)):
        if what == "blank":
            lines.insert(draw(st.integers(0, len(lines))), draw(pick("", " ", "\t", " \t ")))
            draft.note(what)
            continue
        if not lines:
            continue
        n = draw(st.integers(0, len(lines) - 1))
        line = lines[n]
        pos = draw(st.integers(0, len(line)))
        if what == "raw_char":
            char = draw(st.sampled_from(RAW_CHARS))
            lines[n] = line[:pos] + char + line[pos:]
            # In a CSV header a stray character may empty a column name or open a quote.
            draft.note(
                f"raw_char:{char!r}@{n + 1}",
                clean=draft.fmt == "jsonl",
                rows_known=char not in '"\r\n' and bool(line.strip()),  # a blank line no more
            )
        elif what == "quote":
            lines[n] = line[:pos] + '"' + line[pos:]
            draft.note(f"quote@{n + 1}", clean=False, rows_known=False)
        elif what == "trailing":
            lines[n] = line + draw(pick(" x", "}", ",", "{}", " // c", "\x00", "]", "\r"))
            draft.note(f"trailing@{n + 1}")
        elif what == "non_object":
            lines.insert(n, draw(pick("[1, 2]", '"text"', "null", "42", "[]", "true")))
            draft.note(f"non_object@{n + 1}")
        elif what == "cut_line":
            lines[n] = line[:pos]
            draft.note(f"cut_line@{n + 1}")
    return lines


@st.composite
def _joined(draw: st.DrawFn, draft: Draft, lines: list[str]) -> str:
    """The lines as text: LF, CRLF, CR-only or mixed line ends, a last one or not."""
    style = draw(pick("\n", "\n", "\r\n", "\r", "mixed"))
    text = "\n".join(lines) + draw(pick("\n", "", "\n\n"))
    if style == "mixed":
        parts = text.split("\n")
        ends = [draw(pick("\n", "\r\n", "\r")) for _ in parts[1:]]
        text = parts[0] + "".join(e + p for e, p in zip(ends, parts[1:], strict=True))
    elif style != "\n":
        text = text.replace("\n", style)
    if style != "\n":
        # With CR-only ends JSON Lines is one line (rejected); CSV takes any line end, so
        # the count of its records holds (a line break in a quoted field changes, no more).
        draft.note(f"line_ends:{style!r}")
    return text


# (written in, declared as, byte-order mark, clean: a file ckb must take)
ENCODINGS: tuple[tuple[str, str | None, bytes, bool], ...] = (
    ("utf-8", None, b"", True),
    ("utf-8", None, b"", True),
    ("utf-8", None, codecs.BOM_UTF8, True),
    ("utf-8", "UTF8", b"", True),
    ("utf-16-le", None, codecs.BOM_UTF16_LE, True),
    ("utf-16-be", None, codecs.BOM_UTF16_BE, True),
    ("utf-16-le", "utf-16-le", b"", True),
    ("utf-16-le", "utf-16", codecs.BOM_UTF16_LE, True),
    ("utf-16-le", None, b"", False),  # UTF-16 without a mark or a declaration
    ("utf-16-le", "utf-16", b"", False),  # declared UTF-16 without a mark: which order?
    ("latin-1", "latin-1", b"", True),
    ("cp1252", "cp1252", b"", True),
    ("gb18030", "gb18030", b"", True),
    ("latin-1", None, b"", False),
    ("gb18030", None, b"", False),
    ("utf-8", "gb18030", b"", False),  # declared wrong
    ("utf-8", "latin-1", codecs.BOM_UTF8, False),  # a declaration the mark contradicts
    ("utf-16-be", "utf-16-le", codecs.BOM_UTF16_BE, False),
    ("utf-8", "klingon", b"", False),  # no such encoding
)


@st.composite
def _encoded(draw: st.DrawFn, draft: Draft, text: str) -> tuple[bytes, str | None]:
    written, declared, bom, clean = draw(st.sampled_from(ENCODINGS))
    data = bom + text.encode(written, errors="replace")
    # Read in another encoding than it was written in, its lines may not be its lines.
    draft.note(f"encoding:{written}/{declared}/{bom!r}", clean=clean, rows_known=clean)
    wide = written.startswith("utf-16")
    for what in draw(st.lists(pick("bad_bytes", "truncate"), max_size=2)):
        pos = draw(st.integers(0, len(data)))
        if what == "bad_bytes":
            blank = not _line_at(data, pos).strip()  # a blank line no more
            data = data[:pos] + draw(st.sampled_from(BAD_BYTES)) + data[pos:]
            draft.note(f"bad_bytes@{pos}", clean=False, rows_known=not (wide or blank))
        else:
            data = data[:pos]
            draft.note(f"truncate@{pos}", clean=False, rows_known=False)
    return data, declared


def _line_at(data: bytes, pos: int) -> bytes:
    """The line (ended by LF or CR) that byte ``pos`` stands in."""
    start = max(data.rfind(b"\n", 0, pos), data.rfind(b"\r", 0, pos)) + 1
    ends = [i for i in (data.find(b"\n", pos), data.find(b"\r", pos)) if i >= 0]
    return data[start : min(ends, default=len(data))]


GZIP_DAMAGE = ("none", "none", "gzip", "gzip", "truncated", "flipped", "garbage", "zeros",
               "two_members", "not_gzip", "bad_deflate")  # fmt: skip


@st.composite
def _compressed(draw: st.DrawFn, draft: Draft, data: bytes) -> tuple[bytes, bool]:
    """The bytes, maybe gzip-compressed (and maybe damaged); whether the name ends .gz."""
    how = draw(st.sampled_from(GZIP_DAMAGE))
    if how == "none":
        return data, False
    packed = gzip.compress(data, mtime=0)
    if how == "truncated":
        packed = packed[: draw(st.integers(0, len(packed) - 1))]
    elif how == "flipped":
        at = draw(st.integers(10, len(packed) - 1))
        packed = packed[:at] + bytes([packed[at] ^ 0xFF]) + packed[at + 1 :]
    elif how == "garbage":
        packed += draw(pick(b"x", b"garbage\n", b"\x1f\x8b", b"\x1f\x8b\x08\x00"))
    elif how == "zeros":
        packed += b"\x00" * 16
    elif how == "two_members":
        cut = draw(st.integers(0, len(data)))
        packed = gzip.compress(data[:cut], mtime=0) + gzip.compress(data[cut:], mtime=0)
    elif how == "not_gzip":
        packed = data
    elif how == "bad_deflate":
        packed = packed[:10] + b"\x00" * 8 + packed[18:]
    intact = how in ("gzip", "zeros", "two_members")
    # A .gz cut to nothing reads as an empty file, as gzip.decompress has it.
    draft.note(f"gzip:{how}", clean=intact, rows_known=intact)
    return packed, True


@dataclass(frozen=True)
class FuzzFile:
    """A record file of one kind as bytes, what was done to it, and what it still promises."""

    kind: str
    name: str
    data: bytes
    encoding: str | None  # declared, as --encoding
    notes: tuple[str, ...]
    rows: int | None  # records a CSV reader must read (None: not known after the damage)
    clean: bool

    @property
    def fmt(self) -> str:
        return "csv" if ".csv" in self.name else "jsonl"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # what hypothesis prints
        printer.text(repr(self))

    def __repr__(self) -> str:  # a 1 MiB field is not worth printing
        head = self.data[:300] + (b"..." if len(self.data) > 300 else b"")
        return (
            f"FuzzFile(kind={self.kind!r}, name={self.name!r}, encoding={self.encoding!r}, "
            f"{len(self.data)} bytes, rows={self.rows}, clean={self.clean}, "
            f"notes={self.notes}, data={head!r})"
        )


@st.composite
def drafts(draw: st.DrawFn, kinds: tuple[str, ...] = tuple(KINDS), fmt: str | None = None) -> Draft:
    """Valid records of one kind (the file's optional fields and their spelling drawn),
    then up to three changes to their values."""
    kind = draw(st.sampled_from(kinds))
    fmt = fmt or draw(pick("csv", "jsonl"))
    required, optional = fields(kind)
    chosen = draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []
    count = draw(st.integers(0, MAX_RECORDS))
    records = [draw(valid_record(kind, i, chosen)) for i in range(count)]
    if fmt == "jsonl":  # each object with its own optional keys
        records = [[p for p in rec if p[0] in required or draw(st.booleans())] for rec in records]
    unknown = draw(st.lists(st.sampled_from(UNKNOWN_FIELDS), unique=True, max_size=1))
    for rec in records:
        rec.extend((name, draw(TEXT)) for name in unknown)
    names = [*required, *chosen]
    columns = [draw(spelled(n)) for n in names] + unknown
    draft = Draft(kind, fmt, columns, records)
    if unknown:
        draft.note(f"unknown:{unknown[0]}")
    for _ in range(draw(st.integers(0, 3))):
        draw(_mutate_record(draft))
    return draft


@st.composite
def record_files(draw: st.DrawFn, kinds: tuple[str, ...] = tuple(KINDS)) -> FuzzFile:
    """A file of one record kind, CSV or JSON Lines, valid or anything but."""
    draft = draw(drafts(kinds))
    lines = (
        draw(_csv_lines(draft)) if draft.fmt == "csv" else [json_line(rec) for rec in draft.records]
    )
    lines = draw(_line_changes(draft, lines))
    text = draw(_joined(draft, lines))
    data, declared = draw(_encoded(draft, text))
    data, gz = draw(_compressed(draft, data))
    name = f"{SYSTEM}.{draft.kind}.{draft.fmt}" + (".gz" if gz else "")
    known = draft.fmt == "csv" and draft.rows_known
    return FuzzFile(
        draft.kind,
        name,
        data,
        declared,
        tuple(draft.notes),
        draft.csv_rows if known else None,
        draft.clean,
    )


@st.composite
def push_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """A kind and a body for ``POST /ingest/{kind}``: JSON Lines, mutated, or any bytes."""
    draft = draw(drafts(fmt="jsonl"))
    if draw(st.integers(0, 9)) == 0:
        return draft.kind, draw(st.binary(max_size=300))
    lines = draw(_line_changes(draft, [json_line(rec) for rec in draft.records]))
    text = draw(_joined(draft, lines))
    data = text.encode("utf-8")
    if draw(st.integers(0, 4)) == 0:
        data, _ = draw(_encoded(draft, text))
    return draft.kind, data
