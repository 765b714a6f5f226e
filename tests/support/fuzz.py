"""Hypothesis settings and values for issue 17's fuzzing: the example budget, the
production stack depth, the seeded store, valid values for every field of every record
kind, and the odd values and characters mutations put in their place.

tests/support/fuzz_files.py makes files and pushed bodies from these, valid first and then
mutated; tests/support/fuzz_epcis.py makes EPCIS documents; tests/support/fuzz_oracles.py
reads a file's bytes by the documented rules (docs/formats.md), not by ckb's reader.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]


def _dates(first: int, last: int) -> st.SearchStrategy[str]:
    return st.dates(date(first, 1, 1), date(last, 12, 31)).map(date.isoformat)


DATES = _dates(1990, 2020)
TIMES = st.datetimes(
    datetime(2000, 1, 1),
    datetime(2024, 12, 31),
    timezones=st.none() | st.sampled_from(OFFSETS),
).map(lambda t: t.isoformat().replace("+00:00", "Z"))
MONEY = st.floats(0, 1e6, allow_nan=False).map(lambda f: round(f, 2))


def pick(*values: Any) -> st.SearchStrategy[Any]:
    """One of ``values`` (a value given twice is drawn twice as often)."""
    return st.sampled_from(values)


CHANNELS = pick("call_center", "web", "mobile_app", "store", "email", "sms", "post")

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
    "postal_code": pick("0150", "10001", "SW1A 1AA"),
    "city": TEXT,
    "phone": pick("+4790000001", "+1 (202) 555-0101", "555 0101"),
    "national_id": pick("01017012345", "AB123456C"),
    "reason": LONG_TEXT,
    "outcome": TEXT,
    "category": TEXT,
    "department": TEXT,
    "provider": pick("dataco", "acme"),
    "email": pick("ann@example.com", "b.o+b@example.co.uk", "ZOE@EXAMPLE.NO"),
    "country": pick("US", "no", "GB"),
    "currency": pick("USD", "eur", "NOK"),
    "gtin": pick("00614141000005", "10614141073464", "4006381333931", "96385074"),
    "line_id": pick("L1", "L1", "L9"),
    "product_id": pick("P1", "P1", "P2", "P9"),
    "agent_id": pick("A1", "A1", "A9"),
    "owner_agent_id": pick("A1", "A1", "A9"),
    "household_id": pick("H1", "H1", "H9"),
    "account_id": pick("ACC1", "ACC9"),
    "campaign_id": pick("CMP1", "CMP1", "CMP9"),
    "customer_system": st.just(SYSTEM),
    "from_system": st.just(SYSTEM),
    "to_system": st.just(SYSTEM),
    "store_id": pick(
        "ST1", "urn:epc:id:sgln:0614141.00101.0", "https://id.gs1.org/414/0614141001010"
    ),
    "industry": pick("bank", "telco", "energy", "retail", "insurance"),
    "skill_tier": pick("senior", "standard", "junior"),
    "gender": pick("female", "male", "other", "unknown"),
    "age_band": pick("0-17", "18-24", "35-44", "65+"),
    "status": pick("active", "active", "suspended", "closed"),
    "direction": pick("inbound", "outbound"),
    "resolution_status": pick("open", "resolved"),
    "response": pick("opened", "clicked", "converted", "declined", "no_response"),
    "purpose": pick("marketing", "third_party_data", "profiling", "service_messages"),
    "rating": pick("AAA", "BB", "D"),
    "income_band": pick("<25k", "50-75k", "150k+"),
    "home_value_band": pick("<100k", "1m+", "renting"),
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
    "customer_types": pick(["person"], ["organization"], ["person", "organization"]),
    "regions": pick(["US", "GB"], ["NO"]),
    "excludes": pick(["P2"], ["P1", "P2"]),
    "channel": CHANNELS,
}
FIELD_VALUES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "customers": {"kind": pick("person", "organization")},
    "household_members": {"role": pick("head", "partner", "child", "parent", "other")},
    "holdings": {"role": pick("primary", "joint")},
    "touchpoints": {
        "kind": pick("visit", "email", "sales_call", "complaint", "inquiry", "campaign_contact")
    },
    "consents": {"channel": pick("email", "phone", "sms", "post", "web", "any")},
    "relationships": {"kind": pick("family", "spouse", "referral", "employer", "guarantor")},
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
        return pick(customer, customer, customer, "C99")
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


# ------------------------------------------------- what mutations put in a value's place

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


def spelled(name: str) -> st.SearchStrategy[str]:
    """A field name as people type it (docs/formats.md: case, spaces, hyphens)."""
    return pick(
        name,
        name,
        name.upper(),
        f" {name} ",
        name.replace("_", " ").title(),
        name.replace("_", "-"),
    )


def nested(depth: int) -> Raw:
    """An array nested ``depth`` deep, as one raw token."""
    return Raw("[" * depth + "]" * depth)


# Bytes that are not UTF-8 (or not where they stand).
BAD_BYTES = (b"\xff", b"\xfe", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
             b"\x80", b"\x00", b"\xe2\x82")  # fmt: skip
