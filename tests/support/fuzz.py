"""Hypothesis strategies for issue 17's fuzzing: files and pushed bodies of every record
kind, and EPCIS documents, valid first and then mutated (wrong types, missing fields, huge
fields, control characters and NUL bytes, invalid UTF-8, other encodings, line endings,
quoting, extra and missing columns, duplicate headers, damaged gzip, trailing garbage,
deep nesting, numbers out of range, dates in odd spellings).

Each generated file says what was done to it (``notes``) and what it still promises:
``clean`` (nothing done that may refuse it) and, for CSV, how many records a reader must
find (``rows``, when the mutations keep that knowable). The oracles beside them read a
file's bytes by the documented rules (docs/formats.md), not by ckb's reader.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from graph.store import GraphStore
from loaders.kinds import KINDS
from loaders.pipeline import load_file
from loaders.record_rows import singleton_customer_id

SYSTEM = "crm"
SEEDED_CUSTOMERS = 20  # C0 ... C19 of SYSTEM, so record i can name its own customer C<i>
MAX_RECORDS = 6
# A CSV field may hold 1 MiB (loaders/sources.py): sizes either side of it.
HUGE_SIZES = (1 << 20) - 1, (1 << 20) + 1, (1 << 20) + 100


def examples(default: int, share: float = 1.0) -> settings:
    """A property's budget: ``default`` examples (the suite stays fast), or as many as
    ``CKB_FUZZ_EXAMPLES`` says (a long fuzzing run: ``CKB_FUZZ_EXAMPLES=5000 pytest ...``),
    times ``share`` for a property whose examples cost a process or two each."""
    wanted = os.environ.get("CKB_FUZZ_EXAMPLES")
    return settings(
        max_examples=max(default, int(int(wanted) * share)) if wanted else default,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,
        ],
    )


@contextmanager
def production_stack(limit: int | None = None) -> Iterator[None]:
    """Run with about the stack a command has outside a test: 960 frames more than here,
    or the recursion ``limit`` given (Python's own is 1,000: for a request, which a server
    thread serves near the bottom of its own stack). Hypothesis raises the limit by 2,000
    while a test runs, which hid the RecursionError a JSON value nested 1,000 deep raised
    in ``ckb load`` (a reading process of a parallel load, with Python's limit, found it)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit or _depth() + 960)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)  # as hypothesis set it, or it warns


def _depth() -> int:
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


@dataclass(frozen=True)
class Raw:
    """A JSON token written as it is: ``1e400``, ``NaN``, an array nested 5,000 deep."""

    token: str


Pairs = list[tuple[str, Any]]  # a record's fields in order; a key may repeat (JSON)


# ------------------------------------------------------------------ the seeded store


SEED_FILES = {
    "product_lines": "line_id,name,industry\nL1,Mobile,telco\n",
    "products": "product_id,name,line_id,gtin,price\n"
    "P1,Phone,L1,00614141000005,599\nP2,Plan,L1,,35\n",
    "agents": "agent_id,name\nA1,Agent One\n",
    "customers": "source_record_id,name,email\n"
    + "".join(f"C{i},Person {i},p{i}@example.com\n" for i in range(SEEDED_CUSTOMERS)),
    "households": "household_id,name\nH1,The Ones\n",
    "holdings": "account_id,customer_id,product_id,status,opened_on\nACC1,C0,P1,active,2020-01-01\n",
    "campaigns": "campaign_id,name,product_id\nCMP1,Spring,P1\n",
}


def seed(store: GraphStore, folder: Path) -> None:
    """The referents fuzzed records name: product line L1, products P1 and P2, agent A1,
    customers C0-C19 of SYSTEM, household H1, holding ACC1, campaign CMP1."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, text in SEED_FILES.items():
        path = folder / f"{SYSTEM}.{kind}.csv"
        path.write_text(text, encoding="utf-8")
        summary = load_file(store, kind, path, SYSTEM, rejects_path=folder / "seed.rejects")
        assert summary.rejected == 0, (kind, summary)


# ------------------------------------------------------------- valid field values

_LETTERS = "abcxyzABCXYZ0189 ,.'\"-éüßøΩЖ王芳😀"
TEXT = st.text(st.sampled_from(_LETTERS), max_size=10).map(lambda s: "N" + s)
LONG_TEXT = TEXT | st.text(st.sampled_from(_LETTERS + "\n\t;"), max_size=30).map(lambda s: "T" + s)
_OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]


def _dates(first: int, last: int) -> st.SearchStrategy[str]:
    return st.dates(date(first, 1, 1), date(last, 12, 31)).map(date.isoformat)


DATES = _dates(1990, 2020)
TIMES = st.datetimes(
    datetime(2000, 1, 1),
    datetime(2024, 12, 31),
    timezones=st.none() | st.sampled_from(_OFFSETS),
).map(lambda t: t.isoformat().replace("+00:00", "Z"))
MONEY = st.floats(0, 1e6, allow_nan=False).map(lambda f: round(f, 2))


def _pick(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


CHANNELS = _pick("call_center", "web", "mobile_app", "store", "email", "sms", "post")

# Values by field name; the kind's own overrides come first (``FIELD_VALUES[kind]``).
COMMON: dict[str, st.SearchStrategy[Any]] = {
    "name": TEXT,
    "given_name": TEXT,
    "family_name": TEXT,
    "team": TEXT,
    "address": LONG_TEXT,
    "address_line2": TEXT,
    "region": TEXT,
    "state": TEXT,
    "birth_date_raw": TEXT,
    "postal_code": _pick("0150", "10001", "SW1A 1AA"),
    "city": TEXT,
    "phone": _pick("+4790000001", "+1 (202) 555-0101", "555 0101"),
    "national_id": _pick("01017012345", "AB123456C"),
    "reason": LONG_TEXT,
    "outcome": TEXT,
    "category": TEXT,
    "department": TEXT,
    "provider": _pick("dataco", "acme"),
    "email": _pick("ann@example.com", "b.o+b@example.co.uk", "ZOE@EXAMPLE.NO"),
    "country": _pick("US", "no", "GB"),
    "currency": _pick("USD", "eur", "NOK"),
    "gtin": _pick("00614141000005", "10614141073464", "4006381333931", "96385074"),
    "line_id": _pick("L1", "L1", "L9"),
    "product_id": _pick("P1", "P1", "P2", "P9"),
    "agent_id": _pick("A1", "A1", "A9"),
    "owner_agent_id": _pick("A1", "A1", "A9"),
    "household_id": _pick("H1", "H1", "H9"),
    "account_id": _pick("ACC1", "ACC9"),
    "campaign_id": _pick("CMP1", "CMP1", "CMP9"),
    "customer_system": st.just(SYSTEM),
    "from_system": st.just(SYSTEM),
    "to_system": st.just(SYSTEM),
    "store_id": _pick(
        "ST1", "urn:epc:id:sgln:0614141.00101.0", "https://id.gs1.org/414/0614141001010"
    ),
    "industry": _pick("bank", "telco", "energy", "retail", "insurance"),
    "skill_tier": _pick("senior", "standard", "junior"),
    "gender": _pick("female", "male", "other", "unknown"),
    "age_band": _pick("0-17", "18-24", "35-44", "65+"),
    "status": _pick("active", "active", "suspended", "closed"),
    "direction": _pick("inbound", "outbound"),
    "resolution_status": _pick("open", "resolved"),
    "response": _pick("opened", "clicked", "converted", "declined", "no_response"),
    "purpose": _pick("marketing", "third_party_data", "profiling", "service_messages"),
    "rating": _pick("AAA", "BB", "D"),
    "income_band": _pick("<25k", "50-75k", "150k+"),
    "home_value_band": _pick("<100k", "1m+", "renting"),
    "converted": st.booleans(),
    "granted": st.booleans(),
    "birth_date": _dates(1900, 2005),
    "since": DATES,
    "customer_since": DATES,
    "opened_on": DATES,
    "closed_on": DATES,
    "starts_on": DATES,
    "ends_on": DATES,
    "assessed_on": DATES,
    "purchased_at": TIMES,
    "occurred_at": TIMES,
    "resolved_at": TIMES,
    "given_at": TIMES,
    "withdrawn_at": TIMES,
    "price": MONEY,
    "balance": st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 2)),
    "monthly_value": MONEY,
    "credit_limit": MONEY,
    "outstanding_debt": MONEY,
    "amount": MONEY,
    "quantity": st.integers(1, 5),
    "min_age": st.integers(0, 99),
    "score": st.integers(300, 850),
    "household_size": st.integers(1, 30),
    "match_score": st.floats(0, 1, allow_nan=False),
    "customer_types": _pick(["person"], ["organization"], ["person", "organization"]),
    "regions": _pick(["US", "GB"], ["NO"]),
    "excludes": _pick(["P2"], ["P1", "P2"]),
    "channel": CHANNELS,
}
FIELD_VALUES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "customers": {"kind": _pick("person", "organization")},
    "household_members": {"role": _pick("head", "partner", "child", "parent", "other")},
    "holdings": {"role": _pick("primary", "joint")},
    "touchpoints": {
        "kind": _pick("visit", "email", "sales_call", "complaint", "inquiry", "campaign_contact")
    },
    "consents": {"channel": _pick("email", "phone", "sms", "post", "web", "any")},
    "relationships": {"kind": _pick("family", "spouse", "referral", "employer", "guarantor")},
}
# The field that names a record of each kind: record i of a file gets its own.
KEY_FIELDS = {
    "product_lines": "line_id",
    "products": "product_id",
    "agents": "agent_id",
    "customers": "source_record_id",
    "households": "household_id",
    "holdings": "account_id",
    "purchases": "purchase_id",
    "campaigns": "campaign_id",
    "touchpoints": "touchpoint_id",
}
# Fields a record needs although its model has a default (a rule says one must be given).
NEEDED = {"customer_id", "name"}


def fields(kind: str) -> tuple[list[str], list[str]]:
    """A kind's required and optional fields, from its model."""
    model = KINDS[kind].model.model_fields
    required = [f for f, info in model.items() if info.is_required() or f in NEEDED]
    return required, [f for f in model if f not in required]


def value_for(kind: str, name: str, i: int) -> st.SearchStrategy[Any]:
    """Valid values of a field of record ``i`` (a customer-naming record names C<i>, the
    only record of its file to do so: every record of a file is about something else)."""
    if KEY_FIELDS.get(kind) == name:
        return st.just(f"{name[:2].upper()}{i}")
    customer = f"C{i % SEEDED_CUSTOMERS}"
    if name in ("customer_id", "from_customer_id"):
        return _pick(customer, customer, customer, "C99")
    if name == "to_customer_id":
        return st.just(f"C{(i + 1) % SEEDED_CUSTOMERS}")
    if name == "ckb_customer_id":
        return st.just(singleton_customer_id(SYSTEM, customer))
    found = FIELD_VALUES.get(kind, {}).get(name)
    found = COMMON.get(name) if found is None else found
    if found is None:
        raise KeyError(f"no fuzz values for {kind}.{name}: add them to tests/support/fuzz.py")
    return found


@st.composite
def valid_record(draw: st.DrawFn, kind: str, i: int, optional: list[str]) -> Pairs:
    """A record with the kind's required fields and the given optional ones."""
    required, _ = fields(kind)
    return [(name, draw(value_for(kind, name, i))) for name in [*required, *optional]]


# ------------------------------------------------------------------------ mutations

# Characters a field or a line should survive, or be rejected for.
CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\xa0\u2028\u2029\ufeff\ufffd\r\n\t"
RAW_CHARS = CONTROL + '"{},:[]\\'
WRONG_JSON: tuple[Any, ...] = (
    123, -1.5, True, False, None, "", "   ", [], {}, ["a", 1], {"a": {"b": 1}},
    Raw("1e400"), Raw("NaN"), Raw("-Infinity"), Raw("123456789012345678901234567890"),
)  # fmt: skip
WRONG_TEXT = ("abc", "1.2.3", "true", "yes", "[]", "{}", "-", "0x1F", " ", "null", "٣", "1_000")
ODD_DATES = (
    "31/12/2020", "12/31/2020", "2020-02-30", "20200101", "2020-1-1", "Dec 31 2020",
    "2020-12-31T25:00", "0000-01-01", "9999-12-31", "1899-12-31", "2020-12-31 10:00",
    "+002020-01-01", "2020-W01-1", "2020-001", "2020-12-31T10:00:00+25:00",
    "2020-12-31T10:00:00.123456789Z", "1e10", "0", "-1", "2020-12-31T10:00:00 Z", "today",
    "2020-12-31\x00",
)  # fmt: skip
ODD_NUMBERS = (
    "1e400", "-1e400", "NaN", "nan", "inf", "-inf", "-0", "1e-400", "-1", "0",
    "99999999999999999999999", "18446744073709551616", "-9223372036854775809", "1,5",
    "1.5.1", " 7 ", "٣", "1_000", "0x10", "1e308", "5e-324", "+1", "٫5",
)  # fmt: skip
ODD_JSON_NUMBERS = (
    Raw("1e400"), Raw("-1e400"), Raw("NaN"), Raw("Infinity"), Raw("-0"), Raw("1E+2"),
    Raw("99999999999999999999999"), Raw("18446744073709551616"), Raw("-9223372036854775809"),
    Raw("1e308"), Raw("5e-324"), Raw("0.1e-400"), 2**63, -(2**63) - 1, 1e308, -1, 0, 0.5,
)  # fmt: skip
DEPTHS = (3, 100, 254, 256, 300, 1000, 1023, 1025, 5000)
UNKNOWN_FIELDS = ("e_mail", "x-note", "Remarks", "customer")


def _spelled(name: str) -> st.SearchStrategy[str]:
    """A field name as people type it (docs/formats.md: case, spaces, hyphens)."""
    return _pick(
        name,
        name,
        name.upper(),
        f" {name} ",
        name.replace("_", " ").title(),
        name.replace("_", "-"),
    )


def _nested(depth: int) -> Raw:
    return Raw("[" * depth + "]" * depth)


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
        _pick("wrong_type", "drop", "huge", "control", "odd_date", "number", "deep", "clash")
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
        size, char = draw(st.sampled_from(HUGE_SIZES)), draw(_pick("x", "é", "王", " "))
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
        _set(draft, at, _nested(depth) if is_json else "[" * depth)
    elif what == "clash":  # a key twice (orjson keeps the last) or two spellings of it
        if not is_json:
            return  # a CSV file's header is the one place for that (dup_header)
        twin = draw(_pick(name, name.upper(), f" {name}", name.replace("_", "-")))
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
        st.lists(_pick("extra_cell", "missing_cell", "dup_header", "empty_row"), max_size=2)
    ):
        if what == "dup_header" and header:
            k = draw(st.integers(0, len(header) - 1))
            header.append(draw(_spelled(header[k].strip().lower())))
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
            lines.insert(draw(st.integers(0, len(lines))), draw(_pick("", " ", "\t", " \t ")))
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
            lines[n] = line + draw(_pick(" x", "}", ",", "{}", " // c", "\x00", "]", "\r"))
            draft.note(f"trailing@{n + 1}")
        elif what == "non_object":
            lines.insert(n, draw(_pick("[1, 2]", '"text"', "null", "42", "[]", "true")))
            draft.note(f"non_object@{n + 1}")
        elif what == "cut_line":
            lines[n] = line[:pos]
            draft.note(f"cut_line@{n + 1}")
    return lines


@st.composite
def _joined(draw: st.DrawFn, draft: Draft, lines: list[str]) -> str:
    """The lines as text: LF, CRLF, CR-only or mixed line ends, a last one or not."""
    style = draw(_pick("\n", "\n", "\r\n", "\r", "mixed"))
    text = "\n".join(lines) + draw(_pick("\n", "", "\n\n"))
    if style == "mixed":
        parts = text.split("\n")
        ends = [draw(_pick("\n", "\r\n", "\r")) for _ in parts[1:]]
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
BAD_BYTES = (b"\xff", b"\xfe", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
             b"\x80", b"\x00", b"\xe2\x82")  # fmt: skip


@st.composite
def _encoded(draw: st.DrawFn, draft: Draft, text: str) -> tuple[bytes, str | None]:
    written, declared, bom, clean = draw(st.sampled_from(ENCODINGS))
    data = bom + text.encode(written, errors="replace")
    # Read in another encoding than it was written in, its lines may not be its lines.
    draft.note(f"encoding:{written}/{declared}/{bom!r}", clean=clean, rows_known=clean)
    wide = written.startswith("utf-16")
    for what in draw(st.lists(_pick("bad_bytes", "truncate"), max_size=2)):
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
        packed += draw(_pick(b"x", b"garbage\n", b"\x1f\x8b", b"\x1f\x8b\x08\x00"))
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
    fmt = fmt or draw(_pick("csv", "jsonl"))
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
    columns = [draw(_spelled(n)) for n in names] + unknown
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


# -------------------------------------------------------------------------- oracles


def decompressed(name: str, data: bytes) -> bytes | None:
    """The file's bytes as a reader sees them; None for a damaged (or fake) gzip file."""
    if not name.endswith(".gz"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return None


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def text_of(data: bytes, declared: str | None) -> tuple[str, str] | None:
    """(encoding, text) as docs/formats.md reads the bytes: a byte-order mark says the
    encoding and is skipped, else the declared one, else UTF-8; bytes not in it kept as
    surrogate escapes. None when the file must be refused for it (an unknown encoding,
    a mark the declaration contradicts, UTF-16 that does not decode)."""
    if declared is not None:
        try:
            declared = codecs.lookup(declared).name
        except LookupError:
            return None
        declared = "utf-8" if declared == "utf-8-sig" else declared
    found = next(((b, e) for b, e in _BOMS if data.startswith(b)), None)
    encoding = declared or "utf-8"
    if found is not None:
        bom, encoding = found
        ok = declared in (None, encoding) or (declared == "utf-16" and encoding != "utf-8")
        if not ok:
            return None
        data = data[len(bom) :]
    try:
        strict = encoding.startswith(("utf-16", "utf-32"))
        return encoding, data.decode(encoding, "strict" if strict else "surrogateescape")
    except UnicodeDecodeError:
        return None


def jsonl_content_lines(data: bytes, declared: str | None) -> set[int] | None:
    """The lines of a JSON Lines file with something on them: a line ends at LF, blank
    lines count but hold no record (docs/formats.md)."""
    read = text_of(data, declared)
    if read is None:
        return None
    encoding, text = read
    if encoding == "utf-8":  # read as bytes: white space is ASCII white space
        body = text.encode("utf-8", "surrogateescape")
        lines = [line.strip() for line in body.split(b"\n")]
        if lines:
            lines[0] = lines[0].removeprefix(codecs.BOM_UTF8)
        return {n for n, line in enumerate(lines, start=1) if line}
    parts = [line.strip() for line in text.split("\n")]
    if parts:
        parts[0] = parts[0].removeprefix("\ufeff")
    return {n for n, line in enumerate(parts, start=1) if line}


def line_count(data: bytes) -> int:
    """An upper bound on the number of lines, whatever ends them and whatever encoding."""
    return data.count(b"\n") + data.count(b"\r") + 1


def push_content_lines(body: bytes) -> list[int]:
    """The lines of a pushed body that the answer must list: split at LF, blank ones left
    out (a UTF-8 byte-order mark on the first line is skipped)."""
    lines = [line.strip() for line in body.split(b"\n")]
    lines[0] = lines[0].removeprefix(codecs.BOM_UTF8)
    return [n for n, line in enumerate(lines, start=1) if line]


# --------------------------------------------------------------------------- EPCIS

EPCS = (
    "urn:epc:id:sgtin:0614141.107346.2017",
    "https://id.gs1.org/01/10614141073464/21/2018",
    "urn:epc:id:sscc:0614141.1234567890",
    "urn:epc:id:sgtin:0614141.000005.77",
)
PLACES = ("urn:epc:id:sgln:0614141.00777.0", "urn:epc:id:sgln:0614141.00001.7")
SHELF_STEPS = (
    "https://ckb.example/voc/bizstep/shelf_pickup",
    "https://ckb.example/voc/bizstep/shelf_putdown",
)
EPCIS_TIMES = st.datetimes(
    datetime(2020, 1, 1), datetime(2024, 12, 31), timezones=st.sampled_from(_OFFSETS)
).map(lambda t: t.isoformat())


@st.composite
def epcis_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid EPCIS 2.0 event of any type (GS1's schema and CBV's vocabulary)."""
    kind = draw(
        _pick("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
              "AssociationEvent")
    )  # fmt: skip
    when = draw(EPCIS_TIMES)
    event: dict[str, Any] = {
        "type": kind,
        "eventTime": when,
        "eventTimeZoneOffset": when[-6:] if when[-6] in "+-" else "+00:00",
    }
    epcs = draw(st.lists(st.sampled_from(EPCS), min_size=1, max_size=3, unique=True))
    if kind != "TransformationEvent":
        event["action"] = draw(_pick("OBSERVE", "ADD", "DELETE"))
    if kind in ("ObjectEvent", "TransactionEvent"):
        event["epcList"] = epcs
    elif kind in ("AggregationEvent", "AssociationEvent"):
        event["parentID"] = "urn:epc:id:sscc:0614141.1234567890"
        event["childEPCs"] = epcs
        if event["action"] == "OBSERVE" and kind == "AssociationEvent":
            event["action"] = "ADD"
    else:
        event["inputEPCList"] = epcs[:1]
        event["outputEPCList"] = ["urn:epc:id:sgtin:0614141.107346.9"]
    if kind == "TransactionEvent":
        event["bizTransactionList"] = [
            {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:PO-1"}
        ]
    if draw(st.booleans()):
        event["eventID"] = f"urn:uuid:{draw(st.uuids())}"
    if draw(st.booleans()):
        event["bizStep"] = draw(_pick("shipping", "receiving", "retail_selling", *SHELF_STEPS))
    if draw(st.booleans()):
        event["disposition"] = draw(_pick("in_transit", "sellable_accessible", "returned"))
    if draw(st.booleans()):
        event["readPoint"] = {"id": draw(st.sampled_from(PLACES))}
    if draw(st.booleans()):
        event["bizLocation"] = {"id": PLACES[0]}
    if draw(st.booleans()):
        event["ex:note"] = draw(TEXT)
    if kind == "ObjectEvent" and draw(st.booleans()):
        event["quantityList"] = [
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 2, "uom": "KGM"}
        ]
    if draw(st.integers(0, 9)) == 0:
        event["errorDeclaration"] = {"declarationTime": when, "reason": "incorrect_data"}
    return event


EPCIS_WRONG: tuple[Any, ...] = (
    123, -1.5, True, None, "", "JUMP", [], {}, ["a", 1], {"id": 5},
    Raw("1e400"), Raw("NaN"), Raw("123456789012345678901234567890"),
)  # fmt: skip
BAD_EPCS = (
    "urn:epc:id:sgtin:06141x41.107346.1", "urn:epc:id:sscc:0614141.", "urn:epc:id:sgln:a.b.c",
    "urn:epc:id:sgtin:0614141..1", "https://[x/01/10614141073464", "urn:epc:class:lgtin:4012345.x.1",
    "urn:epc:id:sgtin:", "urn:epc:id:sgtin:0614141.107346.2017.9", "not an epc",
)  # fmt: skip
ODD_TIMES = (
    "2024-05-01", "2024-05-01T10:00:00", "01/05/2024 10:00", "2024-05-01T10:00:00+2",
    "2024-13-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-05-01T10:00:00.123456789+02:00",
    "0001-01-01T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01t10:00:00z", "",
)  # fmt: skip


@st.composite
def _mutate_event(draw: st.DrawFn, event: dict[str, Any]) -> str:
    what = draw(
        _pick("drop", "wrong_type", "unknown", "huge", "control", "odd_time", "number", "deep",
              "bad_step", "event_id", "bad_epc")
    )  # fmt: skip
    keys = sorted(event)
    name = draw(st.sampled_from(keys))
    if what == "drop":
        del event[name]
    elif what == "wrong_type":
        event[name] = draw(st.sampled_from(EPCIS_WRONG))
    elif what == "unknown":
        event[draw(_pick("foo", "ilmd", "ex:deep", "certificationInfo"))] = draw(
            st.sampled_from(EPCIS_WRONG)
        )
    elif what == "huge":
        event[draw(_pick("eventID", "ex:big", "bizStep"))] = "x" * draw(st.sampled_from(HUGE_SIZES))
    elif what == "control":
        event[draw(_pick("eventID", "ex:ctl", "bizStep"))] = "a" + draw(st.sampled_from(CONTROL))
    elif what == "odd_time":
        event[draw(_pick("eventTime", "recordTime"))] = draw(st.sampled_from(ODD_TIMES))
    elif what == "number":
        event[draw(_pick("ex:n", "eventTimeZoneOffset"))] = draw(st.sampled_from(ODD_JSON_NUMBERS))
    elif what == "deep":
        event[draw(_pick("ex:deep", "epcList", "readPoint"))] = _nested(
            draw(st.sampled_from(DEPTHS))
        )
    elif what == "bad_epc":
        bad = draw(st.sampled_from(BAD_EPCS))
        where = draw(
            _pick("epcList", "childEPCs", "parentID", "readPoint", "quantityList", "sourceList")
        )
        event[where] = {
            "parentID": bad,
            "readPoint": {"id": bad},
            "quantityList": [{"epcClass": bad, "quantity": 1}],
            "sourceList": [{"type": "owning_party", "source": bad}],
        }.get(where, [bad])
        name = where
    elif what == "bad_step":
        event[draw(_pick("bizStep", "disposition"))] = draw(
            _pick("flying", "SHIPPING", "cbv:BizStep-x")
        )
    else:
        event["eventID"] = draw(_pick("", " ", 42, None, ["urn:uuid:1"]))
    return f"{what}:{name}"


MASTER_ELEMENT = {
    "id": "urn:epc:id:sgln:0614141.00777.0",
    "attributes": [
        {"id": "urn:epcglobal:cbv:mda#name", "attribute": "Plant"},
        {"id": "urn:epcglobal:cbv:mda#latitude", "attribute": "39.96"},
    ],
    "children": ["urn:epc:id:sgln:0614141.00777.1"],
}
BAD_ELEMENTS: tuple[Any, ...] = (
    {"id": "urn:epc:id:sgln:06141x41.00777.0"},
    {"id": "urn:epc:id:sgln:0614141.00777.0", "children": ["urn:epc:id:sgln:a.b.1"]},
    {"id": "", "attributes": []},
    {"id": "urn:x:1", "attributes": [{"attribute": "no id"}]},
    {"id": "urn:x:1", "attributes": [{"id": "urn:epcglobal:cbv:mda#name", "attribute": {"a": 1}}]},
    {"id": "urn:x:1", "attributes": [{"id": "urn:epcglobal:cbv:mda#latitude", "attribute": "north"}]},
    {"id": 5},
    "element",
    None,
)  # fmt: skip


def _document(kind: str, events: list[Any], master: list[Any] | None) -> dict[str, Any]:
    header = (
        {"epcisHeader": {"epcisMasterData": {"vocabularyList": [
            {"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": master}
        ]}}}
        if master is not None
        else {}
    )  # fmt: skip
    body: dict[str, Any] = (
        {"eventList": events}
        if kind == "EPCISDocument"
        else {
            "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}
        }
    )
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": kind,
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z",
        **header,
        "epcisBody": body,
    }


def _json_text(value: Any) -> str:
    """JSON with Raw tokens spliced in (they stand in for what json cannot write)."""
    tokens: dict[str, str] = {}

    def swap(node: Any) -> Any:
        if isinstance(node, Raw):
            key = f"\x00raw{len(tokens)}\x00"
            tokens[key] = node.token
            return key
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    text = json.dumps(swap(value), ensure_ascii=False)
    for key, token in tokens.items():
        text = text.replace(json.dumps(key), token)
    return text


@dataclass(frozen=True)
class EpcisInput:
    data: bytes
    lines: bool  # JSON Lines (a .jsonl file, an ndjson body), else one document (.json)
    notes: tuple[str, ...]
    # Events each line holds (line -> count) unless the line is refused whole; None when
    # the changes made that unknowable.
    per_line: dict[int, int] | None

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # what hypothesis prints
        printer.text(repr(self))

    def __repr__(self) -> str:
        head = self.data[:400] + (b"..." if len(self.data) > 400 else b"")
        return (
            f"EpcisInput(lines={self.lines}, {len(self.data)} bytes, per_line={self.per_line}, "
            f"notes={self.notes}, data={head!r})"
        )


ODD_DOCUMENTS: tuple[tuple[Any, int], ...] = (
    ([1, 2], 0), ("text", 0), (None, 0), ({"type": "Nonsense"}, 0),
    ({"type": "EPCISDocument"}, 0),
    ({"type": "EPCISDocument", "epcisBody": {"eventList": "x"}}, 0),
    ({"type": "EPCISDocument", "epcisBody": {"eventList": [1, "x", None, []]}}, 4),
    ({"type": "EPCISQueryDocument", "epcisBody": {"queryResults": []}}, 0),
)  # fmt: skip


@st.composite
def _epcis_document(draw: st.DrawFn, notes: list[str]) -> tuple[Any, int]:
    """A document (or a lone event, or something else) and how many events it holds."""
    shape = draw(_pick("event", "event", "EPCISDocument", "EPCISQueryDocument", "odd"))
    if shape == "odd":
        odd, count = draw(st.sampled_from(ODD_DOCUMENTS))
        notes.append(f"odd:{str(odd)[:40]}")
        return odd, count
    found = draw(st.lists(epcis_events(), min_size=1 if shape == "event" else 0, max_size=3))
    for event in found:
        if draw(st.integers(0, 2)) == 0:
            notes.append(draw(_mutate_event(event)))
    if shape == "event":
        return found[0], 1
    master = None
    if draw(st.booleans()):
        bad = draw(st.lists(st.sampled_from(BAD_ELEMENTS), max_size=2))
        master = [dict(MASTER_ELEMENT), *bad]
    return _document(shape, found, master), len(found)


@st.composite
def epcis_inputs(draw: st.DrawFn) -> EpcisInput:
    """EPCIS JSON Lines (events and documents) or one document, valid or mutated."""
    notes: list[str] = []
    documents = [draw(_epcis_document(notes)) for _ in range(draw(st.integers(1, 3)))]
    lines = len(documents) > 1 or draw(st.booleans())
    indent = None
    if lines:
        text = "\n".join(_json_text(d) for d, _ in documents) + "\n"
    else:
        indent = None if _has_raw(documents[0][0]) else draw(_pick(None, 2))
        text = (
            _json_text(documents[0][0])
            if indent is None
            else json.dumps(documents[0][0], indent=indent)
        )
    per_line: dict[int, int] | None = {n: c for n, (_, c) in enumerate(documents, start=1)}
    changes = ("crlf", "cr", "blank", "raw_char", "trailing", "bom", "truncate", "bad_bytes",
               "latin1")  # fmt: skip
    encoding = "utf-8"
    for what in draw(st.lists(st.sampled_from(changes), max_size=2, unique=True)):
        notes.append(what)
        # Which changes keep each line's events knowable, in JSON Lines and in one document.
        keeps = {"crlf": True, "blank": True, "bom": lines, "bad_bytes": lines,
                 "latin1": lines, "trailing": lines, "cr": not lines}  # fmt: skip
        if not keeps.get(what, False):
            per_line = None
        if what == "crlf":
            text = text.replace("\n", "\r\n")
        elif what == "cr":
            text = text.replace("\n", "\r")
        elif what == "blank":
            text = "\n \n" + text
            if lines and per_line is not None:
                per_line = {n + 2: c for n, c in per_line.items()}
        elif what == "raw_char":
            pos = draw(st.integers(0, len(text)))
            text = text[:pos] + draw(st.sampled_from(RAW_CHARS)) + text[pos:]
        elif what == "trailing":
            text += draw(_pick("}", " x", "{}", "\x00"))
        elif what == "bom":
            text = "\ufeff" + text
        elif what == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        elif what == "latin1":
            encoding = "latin-1"
    data = text.encode(encoding, errors="replace")
    if "bad_bytes" in notes:
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.sampled_from(BAD_BYTES)) + data[pos:]
    # Read as JSON Lines (.jsonl, an ndjson body) or as a document (.json, a JSON body),
    # whatever it holds; read otherwise than written, its lines' events are not known.
    as_lines = draw(st.booleans()) if lines or indent is None else False
    if as_lines != lines:
        notes.append(f"read as {'lines' if as_lines else 'a document'}")
        per_line = None
    return EpcisInput(data, as_lines, tuple(notes), per_line)


def _has_raw(value: Any) -> bool:
    if isinstance(value, Raw):
        return True
    if isinstance(value, dict):
        return any(_has_raw(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_raw(v) for v in value)
    return False
