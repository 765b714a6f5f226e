"""RFM scores from purchases: recency, frequency and monetary value, each a quintile 1..5.

Pure domain code. Over the 365 days up to the as-of date a customer has a recency (days
since the last purchase, ever), a frequency (purchases) and a monetary value (amount).
Each is scored 1..5 against the quintile cut points of all customers who bought anything
in that year — 5 is best: most recent, most frequent, most spent. Customers who bought
nothing in the year get no RFM score (they are not "1-1-1", they are outside the model).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

YEAR_DAYS = 365


@dataclass(frozen=True, slots=True)
class RfmValues:
    recency_days: int
    frequency: int
    monetary: float


@dataclass(frozen=True, slots=True)
class RfmCuts:
    """Quintile cut points (4 each) over the customers who bought in the year."""

    recency: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary: tuple[float, ...]


def purchase_total(lines: Iterable[Mapping[str, Any]]) -> float | None:
    """A purchase's amount: the sum of its lines' amounts (a purchase is loaded line by
    line, each line an INCLUDES relationship carrying quantity and amount); None when no
    line says."""
    amounts = [
        float(v)
        for v in (line.get("amount") for line in lines)
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return round(sum(amounts), 2) if amounts else None


def rfm_values(purchases: Iterable[Mapping[str, Any]], as_of: date) -> RfmValues | None:
    until = (as_of + timedelta(days=1)).isoformat()
    since = (as_of + timedelta(days=1) - timedelta(days=YEAR_DAYS)).isoformat()
    last: str | None = None
    count = 0
    amount = 0.0
    for p in purchases:
        at = p.get("purchased_at")
        if not isinstance(at, str) or at >= until:
            continue
        last = at if last is None else max(last, at)
        if at >= since:
            count += 1
            value = p.get("amount")
            amount += float(value) if isinstance(value, int | float) else 0.0
    if last is None or count == 0:
        return None
    recency = (as_of - date.fromisoformat(last[:10])).days
    return RfmValues(recency, count, round(amount, 2))


def _quintile_cuts(values: Sequence[float]) -> tuple[float, ...]:
    ordered = sorted(values)
    if not ordered:
        return ()
    return tuple(ordered[min(len(ordered) - 1, len(ordered) * q // 5)] for q in range(1, 5))


def rfm_cuts(values: Iterable[RfmValues]) -> RfmCuts:
    rows = list(values)
    return RfmCuts(
        recency=_quintile_cuts([r.recency_days for r in rows]),
        frequency=_quintile_cuts([r.frequency for r in rows]),
        monetary=_quintile_cuts([r.monetary for r in rows]),
    )


def _higher_better(value: float, cuts: tuple[float, ...]) -> int:
    """1..5: one plus the number of cut points the value reaches."""
    return 1 + bisect_right(cuts, value) if cuts else 3


def _lower_better(value: float, cuts: tuple[float, ...]) -> int:
    """1..5: one plus the number of cut points the value does not exceed."""
    return 1 + len(cuts) - bisect_left(cuts, value) if cuts else 3


def rfm_code(values: RfmValues, cuts: RfmCuts) -> str:
    """'RFM' as three digits, 5 best; recency counts days, so fewer is better."""
    return "".join(
        str(score)
        for score in (
            _lower_better(values.recency_days, cuts.recency),
            _higher_better(values.frequency, cuts.frequency),
            _higher_better(values.monetary, cuts.monetary),
        )
    )
