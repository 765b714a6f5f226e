"""Who may be offered what: a product's eligibility terms and the customer's marketing consent.

Pure domain code, no I/O. The catalogue carries each product's terms (graph/schema.py
Product: ``min_age``, ``customer_types``, ``regions``, ``excludes``); :func:`judge` decides,
for one customer on one date, whether a product may be offered and, if not, why not:

- ``min_age``: a person younger than it on the as-of date is not eligible ("under 18, age
  12"). Age is in whole years, the birthday itself counting: someone born on 29 February
  turns a year older on 1 March in a common year. A person without a (readable) birth date
  is eligible, with the note "age not on record" so the agent checks before selling.
  Organisations have no age: ``min_age`` does not apply to them.
- ``customer_types``: the customer's kind (``person`` or ``organization``; a customer of
  unknown kind counts as a person, as the loaders default) must be listed.
- ``regions``: the customer's country (ISO 3166-1 alpha-2) must be listed; a customer
  without a country is eligible, with the note "country not on record".
- ``excludes``: products that cannot be held together. Either side naming the other is
  enough: a product is not eligible while the customer holds one it excludes or one that
  excludes it ("excluded by held Fixed-rate mortgage 5y").

A line is also not offered again soon after the customer left it: :func:`recent_closures`
names each product of a line in which the customer closed a holding within
``RECENT_CLOSURE_DAYS`` days before the as-of date, the day itself and the 180th day before
it counting ("closed Home phone 40 days ago", from the most recent closure). Older closures
do not block: after six months a win-back offer is fair. A closure after the as-of date is
not yet known on it, and one without a (readable) date cannot be placed: neither blocks.

Absent terms restrict nothing. :func:`marketing_channels` reads the customer's marketing
consents: on which channels an offer may be made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

PERSON = "person"
ORGANIZATION = "organization"
CUSTOMER_TYPES = (PERSON, ORGANIZATION)
_WHO = {PERSON: "personal", ORGANIZATION: "business"}

# Consent channels an offer can go out on (loaders/models.py ConsentChannel); a consent
# on channel "any" covers all of them.
MARKETING_CHANNELS = ("email", "phone", "post", "sms", "web")
ANY_CHANNEL = "any"

# Days after closing a holding during which its line is not offered to the customer again
# (a win-back offer is legitimate after about six months). Inclusive: a line closed exactly
# 180 days before the as-of date is still not offered; 181 days before, it is.
RECENT_CLOSURE_DAYS = 180


def _strings(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(str(v) for v in value if v is not None)


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None  # unreadable: as good as not on record


@dataclass(frozen=True, slots=True)
class Terms:
    """A product's eligibility terms, as the catalogue declares them."""

    min_age: int | None = None
    customer_types: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    excludes: frozenset[str] = frozenset()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Terms:
        """From a store row: ``minAge``, ``customerTypes``, ``regions``, ``excludes``."""
        min_age = row.get("minAge")
        return cls(
            None if min_age is None else int(min_age),
            _strings(row.get("customerTypes")),
            _strings(row.get("regions")),
            _strings(row.get("excludes")),
        )


@dataclass(frozen=True, slots=True)
class HeldProduct:
    id: str
    name: str | None
    excludes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ClosedHolding:
    """A holding the customer closed: of which product, on which day."""

    product_id: str
    closed_on: date


@dataclass(frozen=True, slots=True)
class Applicant:
    """The customer as the rules see them."""

    kind: str
    birth_date: date | None
    country: str | None
    holds: tuple[HeldProduct, ...] = ()
    closed: tuple[ClosedHolding, ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Applicant:
        """From a store row: ``kind``, ``birthDate``, ``country``, ``holds`` (``{id,
        name, excludes}`` of each product held in an active account) and ``closed``
        (``{id, closedOn}`` of each closed holding's product; undated ones are dropped)."""
        closed = sorted(
            {
                ClosedHolding(str(h["id"]), on)
                for h in row.get("closed") or ()
                if h and h.get("id") is not None and (on := _date(h.get("closedOn"))) is not None
            },
            key=lambda h: (h.product_id, h.closed_on),
        )
        holds = sorted(
            (
                HeldProduct(str(h["id"]), h.get("name"), _strings(h.get("excludes")))
                for h in row.get("holds") or ()
                if h and h.get("id") is not None
            ),
            key=lambda h: h.id,
        )
        country = row.get("country")
        return cls(
            str(row.get("kind") or PERSON),
            _date(row.get("birthDate")),
            str(country).upper() if country else None,
            tuple(holds),
            tuple(closed),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    eligible: bool
    reasons: tuple[str, ...] = ()  # why not; empty when eligible
    notes: tuple[str, ...] = ()  # facts checked, and what could not be checked


def age_on(birth: date, day: date) -> int:
    """Whole years from ``birth`` to ``day``; 29 February birthdays fall on 1 March in a
    common year."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _age(terms: Terms, who: Applicant, on: date) -> tuple[str | None, str | None]:
    if terms.min_age is None or who.kind == ORGANIZATION:
        return None, None
    if who.birth_date is None:
        return None, f"age not on record ({terms.min_age}+ only): check before offering"
    age = age_on(who.birth_date, on)
    if age < terms.min_age:
        return f"under {terms.min_age} (age {age})", None
    return None, f"age {age} ({terms.min_age}+)"


def _customer_type(terms: Terms, who: Applicant) -> str | None:
    if not terms.customer_types or who.kind in terms.customer_types:
        return None
    return " or ".join(_WHO.get(t, t) for t in sorted(terms.customer_types)) + " customers only"


def _region(terms: Terms, who: Applicant) -> tuple[str | None, str | None]:
    if not terms.regions:
        return None, None
    sold = ", ".join(sorted(terms.regions))
    if who.country is None:
        return None, f"country not on record (sold in {sold})"
    if who.country not in terms.regions:
        return f"not sold in {who.country} (sold in {sold})", None
    return None, None


def _exclusions(product_id: str, terms: Terms, who: Applicant) -> list[str]:
    return [
        f"excluded by held {h.name or h.id}"
        for h in who.holds
        if h.id != product_id and (h.id in terms.excludes or product_id in h.excludes)
    ]


def judge(product_id: str, terms: Terms, who: Applicant, on: date) -> Verdict:
    """May this product be offered to this customer on this date, and if not, why not."""
    age_reason, age_note = _age(terms, who, on)
    region_reason, region_note = _region(terms, who)
    reasons = [
        r for r in (age_reason, _customer_type(terms, who), region_reason) if r is not None
    ] + _exclusions(product_id, terms, who)
    notes = tuple(n for n in (age_note, region_note) if n is not None)
    return Verdict(not reasons, tuple(reasons), () if reasons else notes)


def _days_ago(days: int) -> str:
    return "today" if days == 0 else f"{days} day{'' if days == 1 else 's'} ago"


def recent_closures(
    products: Iterable[tuple[str, str | None]], who: Applicant, on: date
) -> tuple[str, ...]:
    """Why a line is not offered again yet: for each of its products (``(id, name)``, in
    the order given) the customer closed a holding of within ``RECENT_CLOSURE_DAYS`` days
    up to ``on``, the most recent closure ("closed Home phone 40 days ago"). Empty: no
    recent closure in the line."""
    reasons = []
    for product_id, name in products:
        days = [
            (on - c.closed_on).days
            for c in who.closed
            if c.product_id == product_id and 0 <= (on - c.closed_on).days <= RECENT_CLOSURE_DAYS
        ]
        if days:
            reasons.append(f"closed {name or product_id} {_days_ago(min(days))}")
    return tuple(reasons)


def _said_at(consent: Mapping[str, Any]) -> str:
    first, second = ("given_at", "withdrawn_at")
    if consent.get("granted") is not True:
        first, second = second, first
    return str(consent.get(first) or consent.get(second) or "")


def marketing_channels(consents: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The channels the customer's marketing consents allow an offer on.

    Each consent: ``channel``, ``granted`` and ``given_at`` / ``withdrawn_at`` (ISO UTC).
    For each channel the newest word about it decides, whether said for that channel or
    for ``any``; on a tie, or without times, a refusal outweighs a grant. No word at all is
    no consent: marketing is opt-in.
    """
    said = [c for c in consents if c and isinstance(c.get("granted"), bool)]
    allowed = []
    for channel in MARKETING_CHANNELS:
        covering = [c for c in said if c.get("channel") in (channel, ANY_CHANNEL)]
        if not covering:
            continue
        newest = max(covering, key=lambda c: (_said_at(c), c["granted"] is False))
        if newest["granted"] is True:
            allowed.append(channel)
    return tuple(allowed)
