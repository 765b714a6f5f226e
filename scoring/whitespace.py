"""White space and next best product: co-ownership association rules, with their evidence.

Pure domain code. ``ckb segment`` counts, over every customer with an active holding, who
holds which product lines; for each ordered pair of lines (A, B) it keeps

- ``customers``: how many hold both,
- ``confidence``: the share of A's holders who also hold B,
- ``lift``: confidence divided by B's overall penetration (1.0 = A tells nothing about B).

A customer's white space is every line they do not hold. Each candidate line is ranked by
its strongest rule from a line the customer does hold ("held by 38% of customers who hold
mobile, 1.9 times the base rate"); a customer holding nothing gets the most widely held
lines, by penetration. Rules resting on fewer than ``MIN_SUPPORT`` customers are not kept.
Within a recommended line the product most customers hold is proposed.

For one customer (:func:`next_best`) only what they may be offered counts
(scoring/eligibility.py): within a line the most held *eligible* product is proposed, a
line without one is left out (and said why), and every recommendation carries the age
checked, the products passed over and the channels their marketing consent allows. A line
the customer closed a holding in within ``RECENT_CLOSURE_DAYS`` (180) days is left out too,
whatever its products' terms ("closed Home phone 40 days ago"): the customer just left it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import permutations
from typing import Any

from scoring.eligibility import Applicant, Terms, judge, recent_closures

MIN_SUPPORT = 5


@dataclass(frozen=True, slots=True)
class LineStats:
    holders: dict[str, int]  # line -> customers holding it
    base: int  # customers holding any line
    pairs: dict[tuple[str, str], tuple[int, float, float]]  # (a, b) -> customers, conf, lift

    def penetration(self, line: str) -> float:
        return round(self.holders.get(line, 0) / self.base, 4) if self.base else 0.0


def co_ownership(
    customer_lines: Iterable[Iterable[str]], min_support: int = MIN_SUPPORT
) -> LineStats:
    holders: dict[str, int] = {}
    both: dict[tuple[str, str], int] = {}
    base = 0
    for lines in customer_lines:
        held = sorted(set(lines))
        if not held:
            continue
        base += 1
        for line in held:
            holders[line] = holders.get(line, 0) + 1
        for pair in permutations(held, 2):
            both[pair] = both.get(pair, 0) + 1
    pairs = {}
    for (a, b), n in both.items():
        if n < min_support:
            continue
        confidence = n / holders[a]
        lift = confidence / (holders[b] / base)
        pairs[(a, b)] = (n, round(confidence, 4), round(lift, 4))
    return LineStats(holders, base, pairs)


@dataclass(frozen=True, slots=True)
class Recommendation:
    line: str
    name: str | None
    score: float  # confidence of the strongest rule, or penetration without one
    basis_line: str | None  # the held line the rule starts from
    lift: float | None
    customers: int | None  # customers behind the rule
    product_id: str | None  # the most held product in the line (for a customer: eligible)
    product_name: str | None
    evidence: str
    # For a customer: the eligibility facts checked ("age 34 (18+)") and the line's
    # products not offered, with why ("Fibre 1000: excluded by held Fibre 300").
    eligibility: tuple[str, ...] = ()
    # For a customer: the channels their marketing consent allows an offer on (empty: no
    # marketing consent). None where consent was not asked (a household's white space).
    consent_allows: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Ineligible:
    """A white-space line with no product the customer may be offered."""

    line: str
    name: str | None
    # Per product: "Fixed-rate mortgage 5y: under 18 (age 12)"; or, for a line the
    # customer closed a holding in recently, per product closed: "closed Home phone 40 days ago".
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Offer:
    """Whom the recommendations are for: the customer, the as-of date, their consent."""

    applicant: Applicant
    on: date
    consent_allows: tuple[str, ...]


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _label(product: Mapping[str, Any]) -> str:
    return str(product.get("name") or product["id"])


def _co_ownership(
    c: Mapping[str, Any], product: Mapping[str, Any] | None
) -> tuple[tuple[Any, ...], Recommendation]:
    """The candidate line's rule-based recommendation and its sort key."""
    rules = sorted(
        c.get("rules") or [],
        key=lambda r: (-float(r["confidence"]), -float(r["lift"]), str(r["basis"])),
    )
    penetration = float(c.get("penetration") or 0.0)
    name = c.get("name")
    label = name or c["line"]
    product_id = str(product["id"]) if product else None
    product_name = product.get("name") if product else None
    if rules:
        best = rules[0]
        score = float(best["confidence"])
        evidence = (
            f"{label}: held by {_percent(score)} of customers who hold {best['basis']} "
            f"({float(best['lift']):.1f} times the {_percent(penetration)} base rate, "
            f"{int(best['customers'])} customers)"
        )
        rec = Recommendation(
            c["line"], name, score, str(best["basis"]), float(best["lift"]),
            int(best["customers"]), product_id, product_name, evidence,
        )  # fmt: skip
        return (0, -score, -float(best["lift"]), c["line"]), rec
    evidence = f"{label}: held by {_percent(penetration)} of all customers"
    rec = Recommendation(
        c["line"], name, penetration, None, None, None, product_id, product_name, evidence
    )
    return (1, -penetration, c["line"]), rec


def _unsupported(c: Mapping[str, Any]) -> bool:
    """A line no rule points to and no customer holds (retail goods are bought, not held):
    nothing says it is worth offering."""
    penetration = c.get("penetration")  # None until `ckb segment` has counted
    return not c.get("rules") and penetration is not None and float(penetration) == 0.0


def _by_holders(c: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return sorted(
        c.get("products") or [], key=lambda p: (-int(p.get("holders") or 0), str(p["id"]))
    )


def rank_white_space(candidates: Sequence[Mapping[str, Any]], first: int) -> list[Recommendation]:
    """Rank candidate lines as the stores return them.

    Each candidate: ``line``, ``name``, ``penetration`` (float or None), ``rules`` (a list of
    ``{basis, customers, confidence, lift}`` from lines the customer holds) and ``products``
    (``{id, name, holders}`` in the line).
    """
    ranked = []
    for c in candidates:
        if _unsupported(c):
            continue
        products = _by_holders(c)
        ranked.append(_co_ownership(c, products[0] if products else None))
    ranked.sort(key=lambda item: item[0])
    return [rec for _, rec in ranked[:first]]


def _consent_fact(channels: tuple[str, ...]) -> str:
    if channels:
        return "marketing consent: " + ", ".join(channels)
    return "no marketing consent: offer only when the customer gets in touch"


def _for_customer(
    c: Mapping[str, Any], offer: Offer
) -> tuple[tuple[Any, ...], Recommendation] | Ineligible:
    products = _by_holders(c)
    closed = recent_closures(
        ((str(p["id"]), p.get("name")) for p in products), offer.applicant, offer.on
    )
    if closed:
        return Ineligible(c["line"], c.get("name"), closed)
    verdicts = [
        (p, judge(str(p["id"]), Terms.from_row(p), offer.applicant, offer.on)) for p in products
    ]
    ineligible = [(_label(p), "; ".join(v.reasons)) for p, v in verdicts if not v.eligible]
    chosen = next(((p, v) for p, v in verdicts if v.eligible), None)
    if chosen is None and products:
        return Ineligible(c["line"], c.get("name"), tuple(f"{p}: {why}" for p, why in ineligible))
    product = chosen[0] if chosen else None
    key, rec = _co_ownership(c, product)
    checked = [f"{_label(chosen[0])}: {note}" for note in chosen[1].notes] if chosen else []
    eligibility = (*checked, *(f"{p} not offered: {why}" for p, why in ineligible))
    evidence = "; ".join((rec.evidence, *eligibility, _consent_fact(offer.consent_allows)))
    return key, replace(
        rec, evidence=evidence, eligibility=eligibility, consent_allows=offer.consent_allows
    )


def next_best(
    candidates: Sequence[Mapping[str, Any]], first: int, offer: Offer
) -> tuple[list[Recommendation], list[Ineligible]]:
    """One customer's next best products: :func:`rank_white_space` over what they may be
    offered, and the white-space lines left out with why.

    Products carry their terms too (``minAge``, ``customerTypes``, ``regions``,
    ``excludes``); a line whose products are all ineligible, or in which the customer
    closed a holding recently (:func:`scoring.eligibility.recent_closures`), is left out;
    a line without products in the catalogue is kept (nothing to judge).
    """
    ranked = []
    left_out = []
    for c in candidates:
        if _unsupported(c):
            continue
        judged = _for_customer(c, offer)
        if isinstance(judged, Ineligible):
            left_out.append(judged)
        else:
            ranked.append(judged)
    ranked.sort(key=lambda item: item[0])
    return [rec for _, rec in ranked[:first]], sorted(left_out, key=lambda i: i.line)
