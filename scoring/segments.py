"""Value tiers and lifetime value (documented rules, pure) and ``ckb segment``, the batch job
that stores them on every customer with churn risk (scoring/churn.py), RFM (scoring/rfm.py)
and the product-line co-ownership behind next best product (scoring/whitespace.py).

Tier rules are checked in order; the first whose thresholds a customer meets names their
tier. A customer's value is the monthly value of the holdings active on the as-of date (for
today, the figure ``customer_value`` reports); tenure counts whole years since
``customer_since``.

Lifetime value (a deliberately simple, explainable model): the monthly value kept for the
expected remaining relationship, ``1 / annual_churn`` years, discounted yearly:

    LTV = 12 * monthly_value * sum(1 / (1 + discount) ** t for t in 1..years)

With the defaults (10% churn a year, 8% discount) a customer worth 100 a month has an LTV
of about 8,052.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from graph.store import GraphStore, PropertyValue, RelRow
from queries.base import QueryParameterError
from queries.customer_filter import Compare
from queries.customer_list import list_customers
from scoring.churn import Window, assess, churn_inputs, holding_active, risk_key
from scoring.rfm import RfmValues, purchase_total, rfm_code, rfm_cuts, rfm_values
from scoring.whitespace import co_ownership

AT_RISK_SCORE = 0.5


@dataclass(frozen=True, slots=True)
class TierRule:
    tier: str
    min_monthly_value: float
    min_tenure_years: int = 0


DEFAULT_RULES: tuple[TierRule, ...] = (
    TierRule("gold", 500.0),
    TierRule("gold", 200.0, 5),
    TierRule("silver", 100.0),
    TierRule("silver", 50.0, 3),
    TierRule("bronze", 0.0),
)


class UnknownSegmentError(QueryParameterError):
    """A segment name no tier rule gives."""


@dataclass(frozen=True, slots=True)
class SegmentSize:
    """One segment (a value tier): its rule and how many customers ``ckb segment`` put in it."""

    name: str
    definition: str
    customers: int


def segment_names(rules: Sequence[TierRule] = DEFAULT_RULES) -> tuple[str, ...]:
    """The segments ``ckb segment`` assigns: the value tiers, in rule order (best first)."""
    return tuple(dict.fromkeys(rule.tier for rule in rules))


def check_segment(name: str, rules: Sequence[TierRule] = DEFAULT_RULES) -> str:
    """``name`` if it is a segment; otherwise an error naming the segments there are."""
    known = segment_names(rules)
    if name not in known:
        raise UnknownSegmentError(f"no segment {name!r}; the segments are {', '.join(known)}")
    return name


def segment_definition(name: str, rules: Sequence[TierRule] = DEFAULT_RULES) -> str:
    """The rules that put a customer in a segment, in words (the first rule met counts)."""
    parts = []
    for rule in rules:
        if rule.tier != name:
            continue
        if rule.min_monthly_value <= 0 and rule.min_tenure_years <= 0:
            parts.append("any other customer")
            continue
        text = f"monthly value >= {rule.min_monthly_value:g}"
        if rule.min_tenure_years:
            text += f" with tenure >= {rule.min_tenure_years} years"
        parts.append(text)
    return "; or ".join(parts)


def segment_size(store: GraphStore, name: str) -> int:
    """Customers in a segment (as the last ``ckb segment`` run left them)."""
    where = Compare("value_tier", "eq", check_segment(name))
    return list_customers(store, where, [], first=1, after=None).total


def list_segments(
    store: GraphStore, rules: Sequence[TierRule] = DEFAULT_RULES
) -> list[SegmentSize]:
    """Every segment with its rule and size, best first."""
    return [
        SegmentSize(name, segment_definition(name, rules), segment_size(store, name))
        for name in segment_names(rules)
    ]


def value_tier(
    monthly_value: float, tenure_years: int, rules: Sequence[TierRule] = DEFAULT_RULES
) -> str:
    for rule in rules:
        if monthly_value >= rule.min_monthly_value and tenure_years >= rule.min_tenure_years:
            return rule.tier
    return rules[-1].tier if rules else "bronze"


def tenure_years(customer_since: str | None, as_of: date) -> int:
    if not customer_since:
        return 0
    try:
        since = date.fromisoformat(customer_since[:10])
    except ValueError:
        return 0
    years = as_of.year - since.year - ((as_of.month, as_of.day) < (since.month, since.day))
    return max(years, 0)


def lifetime_value(
    monthly_value: float, annual_churn: float = 0.10, discount: float = 0.08
) -> float:
    return round(12 * monthly_value * _annuity(annual_churn, discount), 2)


@lru_cache(maxsize=16)
def _annuity(annual_churn: float, discount: float) -> float:
    years = max(1, round(1 / annual_churn)) if annual_churn > 0 else 50
    return sum(1 / (1 + discount) ** t for t in range(1, years + 1))


@dataclass
class SegmentSummary:
    customers: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)
    at_risk: int = 0  # customers with a churn score of at least 0.5
    lapsed: int = 0  # held products, none active at the as-of date
    rfm_scored: int = 0
    line_rules: int = 0  # co-ownership rules kept


@dataclass(slots=True)
class _Scored:
    row: dict[str, PropertyValue | None]
    lines: set[str]
    products: set[str]
    rfm: RfmValues | None


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _score_batch(
    store: GraphStore, keys: list[str], window: Window, rules: Sequence[TierRule]
) -> list[_Scored]:
    """Everything ``ckb segment`` derives for one batch of customers: six store calls."""
    as_of = window.as_of
    customers = store.get_nodes("Customer", keys)
    held = store.neighbours_many("Customer", keys, "HOLDS", "out", "Holding", limit=100_000)
    holding_keys = sorted({n.node.key for found in held.values() for n in found})
    products = store.neighbours_many("Holding", holding_keys, "OF_PRODUCT", limit=1)
    lines = store.neighbours_many(
        "Product", sorted({p[0].node.key for p in products.values()}), "IN_LINE", limit=1
    )
    touched = store.neighbours_many(
        "Customer", keys, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
    )
    bought = store.neighbours_many("Customer", keys, "MADE", "out", "Purchase", limit=10**7)
    # A purchase's amount is the sum of its lines (INCLUDES), one store call for the batch.
    purchase_lines = store.neighbours_many(
        "Purchase",
        sorted({n.node.key for found in bought.values() for n in found}),
        "INCLUDES",
        "out",
        "Product",
        limit=10_000,
    )
    scored: list[_Scored] = []
    for key in keys:
        holdings = [n.node for n in held.get(key, [])]
        monthly = 0.0
        active_lines: set[str] = set()
        active_products: set[str] = set()
        for h in holdings:
            product = products.get(h.key)
            if not product or not holding_active({**h.props, "id": h.key}, window):
                continue
            active_products.add(product[0].node.key)
            line = lines.get(product[0].node.key)
            if line:
                active_lines.add(line[0].node.key)
                monthly += _number(h.props.get("monthly_value"))
        since = customers[key].props.get("customer_since") if key in customers else None
        years = tenure_years(since if isinstance(since, str) else None, as_of)
        monthly = round(monthly, 2)
        risk = assess(
            key,
            churn_inputs(
                ({**n.node.props, "id": n.node.key} for n in touched.get(key, [])),
                ({**h.props, "id": h.key} for h in holdings),
                window,
            ),
            window,
        )
        row: dict[str, PropertyValue | None] = {
            "id": key,
            "value_tier": value_tier(monthly, years, rules),
            "lifetime_value": lifetime_value(monthly),
            "churn_score": risk.score,
            "churn_signals": [s.name for s in risk.signals] or None,
            "scored_on": as_of.isoformat(),
        }
        rfm = rfm_values(
            (
                {
                    "purchased_at": n.node.props.get("purchased_at"),
                    "amount": purchase_total(
                        e.edge.props for e in purchase_lines.get(n.node.key, [])
                    ),
                }
                for n in bought.get(key, [])
            ),
            as_of,
        )
        scored.append(_Scored(row, active_lines, active_products, rfm))
    return scored


# How a long run reports how far it got: (phase, done, total). Within a phase ``done`` only
# grows, and the phase's last call has done == total. Drawing it is the caller's business.
Progress = Callable[[str, int, int], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def assign_segments(
    store: GraphStore,
    as_of: date,
    rules: Sequence[TierRule] = DEFAULT_RULES,
    batch: int = 2000,
    progress: Progress = _no_progress,
) -> SegmentSummary:
    """Score every customer as of a date: value tier, lifetime value, churn risk, RFM; then
    the product-line co-ownership rules behind next-best-product. Re-running changes nothing.

    Holdings count as they stood on the as-of date (opened by then, not yet closed), so a
    past date reproduces what the scores would have said then. ``progress`` hears of the
    phases scoring and writing (customers).
    """
    window = Window(as_of)
    summary = SegmentSummary()
    scored: list[_Scored] = []
    after: str | None = None
    expected = store.counts().nodes.get("Customer", 0)
    while keys := store.keys_page("Customer", after, batch):
        after = keys[-1]
        scored.extend(_score_batch(store, keys, window, rules))
        progress("scoring", len(scored), max(expected, len(scored)))
    progress("scoring", len(scored), len(scored))
    cuts = rfm_cuts(s.rfm for s in scored if s.rfm)
    for s in scored:
        tier = str(s.row["value_tier"])
        summary.by_tier[tier] = summary.by_tier.get(tier, 0) + 1
        score = s.row["churn_score"]
        summary.lapsed += score is None
        summary.at_risk += isinstance(score, float) and score >= AT_RISK_SCORE
        if s.rfm:
            summary.rfm_scored += 1
        ltv = s.row["lifetime_value"]
        s.row.update(
            risk_key=risk_key(tier, score, float(ltv) if isinstance(ltv, int | float) else None)
            if isinstance(score, float)
            else None,
            rfm=rfm_code(s.rfm, cuts) if s.rfm else None,
            recency_days=s.rfm.recency_days if s.rfm else None,
            frequency=s.rfm.frequency if s.rfm else None,
            monetary=s.rfm.monetary if s.rfm else None,
        )
    progress("writing", 0, len(scored))
    for start in range(0, len(scored), batch):
        store.upsert_nodes("Customer", [s.row for s in scored[start : start + batch]])
        progress("writing", min(start + batch, len(scored)), len(scored))
    summary.customers = len(scored)
    summary.line_rules = _store_line_stats(store, scored)
    return summary


def _store_line_stats(store: GraphStore, scored: Sequence[_Scored]) -> int:
    stats = co_ownership(s.lines for s in scored)
    line_keys = store.keys_page("ProductLine", None, 1_000_000)
    store.upsert_nodes(
        "ProductLine",
        [
            {
                "id": line,
                "holders": stats.holders.get(line, 0),
                "penetration": stats.penetration(line),
            }
            for line in line_keys
        ],
    )
    product_holders: dict[str, int] = {}
    for s in scored:
        for product in s.products:
            product_holders[product] = product_holders.get(product, 0) + 1
    product_keys = store.keys_page("Product", None, 10_000_000)
    store.upsert_nodes(
        "Product", [{"id": p, "holders": product_holders.get(p, 0)} for p in product_keys]
    )
    existing = store.neighbours_many("ProductLine", line_keys, "CO_HELD", "out", limit=1_000_000)
    stale = [
        RelRow(a, n.node.key)
        for a, found in existing.items()
        for n in found
        if (a, n.node.key) not in stats.pairs
    ]
    if stale:
        store.delete_relationships("CO_HELD", "ProductLine", "ProductLine", stale)
    store.upsert_relationships(
        "CO_HELD",
        "ProductLine",
        "ProductLine",
        [
            RelRow(a, b, {"customers": n, "confidence": conf, "lift": lift})
            for (a, b), (n, conf, lift) in sorted(stats.pairs.items())
        ],
    )
    return len(stats.pairs)
