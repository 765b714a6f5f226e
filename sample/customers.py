"""The customer files of the four source systems (each person in billing and in some of
the others, as that system has them: sample/variants.py) and the billing system's
households; with the bad records planted in them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sample.context import Person, Sample, Writer
from sample.variants import Seen, as_seen_by

SYSTEMS = ("billing", "webshop", "callcenter", "stores")
FILE_FORMATS = {
    "billing": ".csv",
    "webshop": ".jsonl",
    "callcenter": ".csv.gz",
    "stores": ".jsonl.gz",
}
ID_PREFIX = {"billing": "B", "webshop": "W", "callcenter": "", "stores": "S"}
# The share of people each other system knows; everyone is in billing.
OTHER_SYSTEMS = (("webshop", 0.6), ("callcenter", 0.5), ("stores", 0.4))
CUSTOMER_COLUMNS = [
    "source_record_id",
    "kind",
    "name",
    "given_name",
    "family_name",
    "birth_date",
    "gender",
    "email",
    "phone",
    "address",
    "postal_code",
    "city",
    "country",
    "national_id",
    "customer_since",
    "owner_agent_id",
]
AGE_BANDS = (
    (17, "0-17"),
    (24, "18-24"),
    (34, "25-34"),
    (44, "35-44"),
    (54, "45-54"),
    (64, "55-64"),
    (200, "65+"),
)


def write_customers(s: Sample) -> None:
    writers = {
        system: s.writer(f"{system}.customers{FILE_FORMATS[system]}", CUSTOMER_COLUMNS)
        for system in SYSTEMS
    }
    _assign_account_owners(s)
    for p in s.people:
        systems = list(p.ids) or ["billing"] + [
            system for system, share in OTHER_SYSTEMS if s.rnd.random() < share
        ]
        since = s.days_ago(3650, 800)
        for system in systems:
            sid = p.ids.get(system) or ID_PREFIX[system] + f"{s.rnd.randint(0, 10**9):09d}"
            p.ids[system] = sid
            seen = as_seen_by(s, p, system)
            writers[system].write(_customer_row(s, p, system, sid, seen, since))
    _plant_bad_customers(s, writers)


def _assign_account_owners(s: Sample) -> None:
    """The most valuable fiftieth gets an account owner (the showcase's have theirs)."""
    ranked = sorted(s.people, key=lambda p: -p.value_scale)
    for p in ranked[: max(1, len(ranked) // 50)]:
        if not p.showcase:
            p.owner_agent = s.rnd.choice(s.owners)


def _display_name(p: Person, seen: Seen) -> str:
    if p.kind == "organization":
        return seen.family
    if p.zh and seen.given == p.given:
        return f"{seen.family}{seen.given}"
    return f"{seen.given} {seen.family}"


def _customer_row(
    s: Sample, p: Person, system: str, sid: str, seen: Seen, since: date
) -> dict[str, Any]:
    # One name field where the system keeps no parts: organisations, the call center,
    # Chinese names written in characters.
    as_name = p.kind == "organization" or system == "callcenter" or (p.zh and seen.given == p.given)
    billing = system == "billing"
    return {
        "source_record_id": sid,
        "kind": p.kind,
        "name": _display_name(p, seen) if as_name else None,
        "given_name": None if as_name else seen.given,
        "family_name": None if as_name else seen.family,
        "birth_date": p.birth_date.isoformat() if p.birth_date and system != "stores" else None,
        "gender": p.gender if p.kind == "person" and billing else None,
        "email": seen.email,
        "phone": seen.phone,
        "address": seen.street,
        "postal_code": seen.postal_code,
        "city": seen.city,
        "country": p.country,
        "national_id": f"{s.rnd.randint(10**8, 10**9 - 1)}"
        if billing and p.kind == "person"
        else None,
        "customer_since": since.isoformat() if billing else None,
        "owner_agent_id": p.owner_agent if billing else None,
    }


def _plant_bad_customers(s: Sample, writers: dict[str, Writer]) -> None:
    s.plant(
        writers["billing"],
        {"source_record_id": "B-BAD-DATE", "name": "Bad Date", "birth_date": "1985-02-30"},
        "impossible date",
    )
    s.plant(
        writers["billing"],
        None,
        "broken CSV row",
        raw="B-BAD-ROW,person,Too,Many,Fields,,,,,,,,,,,,,,",
    )
    s.plant(writers["webshop"], None, "not JSON", raw='{"source_record_id": "W-BAD", "name": ')
    s.plant(
        writers["webshop"],
        {"source_record_id": "W-FUTURE", "name": "Time Traveller", "birth_date": "2999-01-01"},
        "birth date in the future",
    )
    s.plant(
        writers["callcenter"],
        {"source_record_id": "C-BAD-MAIL", "name": "No Mail", "email": "not-an-email"},
        "invalid email",
    )
    s.plant(
        writers["stores"],
        {"source_record_id": "S-BAD-GENDER", "name": "Odd", "gender": "robot"},
        "unknown enum",
    )


def write_households(s: Sample) -> None:
    hh = s.writer("billing.households.csv", ["household_id", "name", "address", "postal_code"])
    members = s.writer(
        "billing.household_members.csv",
        ["household_id", "customer_id", "role", "age_band", "since"],
    )
    seen: set[str] = set()
    for p in s.people:
        if not p.household:
            continue
        if p.household not in seen:
            seen.add(p.household)
            hh.write(
                {
                    "household_id": p.household,
                    "name": f"{p.family} household",
                    "address": p.street,
                    "postal_code": p.postal_code,
                }
            )
        members.write(
            {
                "household_id": p.household,
                "customer_id": p.ids["billing"],
                "role": p.role,
                "age_band": _age_band(s.as_of, p.birth_date),
            }
        )
    first = s.people[0]
    s.plant(
        members,
        {"household_id": "HH-NOPE", "customer_id": first.ids["billing"], "role": "head"},
        "unknown household",
    )
    s.plant(
        members,
        {
            "household_id": first.household or "HH000001",
            "customer_id": first.ids["billing"],
            "role": "landlord",
        },
        "unknown enum",
    )


def _age_band(as_of: date, birth_date: date | None) -> str | None:
    if birth_date is None:
        return None
    age = (as_of - birth_date).days // 365
    return next(band for most, band in AGE_BANDS if age <= most)
