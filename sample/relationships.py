"""Consents (billing.consents), credit profiles of those holding a bank product
(risk.credit_profiles) and the relationships between customers (billing.relationships:
households, the showcase's referral chain, employers, referrals, co-signers); with the bad
records planted in them.
"""

from __future__ import annotations

from datetime import timedelta

from sample.context import Person, Sample, Writer
from sample.showcase import PEOPLE as SHOWCASE

# (purpose, channel, share of customers granting it)
CONSENTS = (
    ("marketing", "email", 0.65),
    ("marketing", "phone", 0.35),
    ("third_party_data", "any", 0.6),
    ("profiling", "any", 0.5),
)
CREDIT_LINES = ("mortgage", "credit_card", "savings", "investments")
# (lowest score above which, rating), best first; below them all: "B"
RATINGS = ((800, "AAA"), (760, "AA"), (720, "A"), (660, "BBB"), (600, "BB"))
CREDIT_COLUMNS = [
    "customer_id",
    "customer_system",
    "score",
    "rating",
    "credit_limit",
    "outstanding_debt",
    "assessed_on",
]


def write_consents_and_credit(s: Sample) -> None:
    consents = s.writer(
        "billing.consents.csv",
        ["customer_id", "purpose", "channel", "granted", "given_at", "withdrawn_at"],
    )
    credit = s.writer("risk.credit_profiles.csv", CREDIT_COLUMNS)
    for p in s.people:
        _write_consents(s, consents, p)
        if any(h[2] in CREDIT_LINES for h in p.holdings):
            _write_credit_profile(s, credit, p)
    first = s.people[0].ids["billing"]
    s.plant(
        consents,
        {"customer_id": first, "purpose": "spam", "channel": "email", "granted": "true"},
        "unknown purpose",
    )
    s.plant(
        credit,
        {"customer_id": first, "customer_system": "billing", "score": 999},
        "score out of range",
    )


def _write_consents(s: Sample, w: Writer, p: Person) -> None:
    for purpose, channel, share in CONSENTS:
        granted = s.rnd.random() < share
        given = s.time(s.days_ago(1500, 30))
        w.write(
            {
                "customer_id": p.ids["billing"],
                "purpose": purpose,
                "channel": channel,
                "granted": granted,
                "given_at": given,
            }
        )


def _write_credit_profile(s: Sample, w: Writer, p: Person) -> None:
    score = max(300, min(850, int(s.rnd.gauss(690, 70))))
    w.write(
        {
            "customer_id": p.ids["billing"],
            "customer_system": "billing",
            "score": score,
            "rating": next((rating for floor, rating in RATINGS if score > floor), "B"),
            "credit_limit": round(2000 * p.value_scale, 2),
            "outstanding_debt": round(s.rnd.uniform(0, 1500) * p.value_scale, 2),
            "assessed_on": s.days_ago(365, 1).isoformat(),
        }
    )


def write_relationships(s: Sample) -> None:
    w = s.writer(
        "billing.relationships.csv", ["from_customer_id", "to_customer_id", "kind", "since"]
    )
    _household_ties(s, w)
    _showcase_referrals(s, w)
    _random_ties(s, w)
    s.plant(
        w,
        {
            "from_customer_id": s.people[0].ids["billing"],
            "to_customer_id": "B-NOBODY",
            "kind": "family",
        },
        "unknown customer",
    )


def _tie(w: Writer, source: str, target: str, kind: str, since: str | None = None) -> None:
    """One relationship between two billing customer IDs."""
    w.write({"from_customer_id": source, "to_customer_id": target, "kind": kind, "since": since})


def _household_ties(s: Sample, w: Writer) -> None:
    """The head of each household to its partner (spouse) and children (parent)."""
    by_household: dict[str, list[Person]] = {}
    for p in s.people:
        if p.household:
            by_household.setdefault(p.household, []).append(p)
    for members in by_household.values():
        head = members[0]
        for other in members[1:]:
            kind = "spouse" if other.role == "partner" else "parent"
            _tie(w, head.ids["billing"], other.ids["billing"], kind)


def _showcase_referrals(s: Sample, w: Writer) -> None:
    since = (s.as_of - timedelta(days=400)).isoformat()
    for p in s.people:
        for i in p.showcase.referred if p.showcase else ():
            _tie(w, p.ids["billing"], SHOWCASE[i].ids["billing"], "referral", since)


def _random_ties(s: Sample, w: Writer) -> None:
    """Employers of a tenth of the persons, and a few referrals and co-signers."""
    rnd = s.rnd
    orgs = [p for p in s.people if p.kind == "organization"]
    persons = [p for p in s.people if p.kind == "person"]
    for p in persons:
        if orgs and rnd.random() < 0.1:
            _tie(w, rnd.choice(orgs).ids["billing"], p.ids["billing"], "employer")
        if rnd.random() < 0.05:
            other = rnd.choice(persons)
            if other is not p:
                since = s.days_ago(1000, 1).isoformat()
                _tie(w, p.ids["billing"], other.ids["billing"], "referral", since)
        if rnd.random() < 0.03:
            other = rnd.choice(persons)
            if other is not p:
                _tie(w, p.ids["billing"], other.ids["billing"], "co_signer")
