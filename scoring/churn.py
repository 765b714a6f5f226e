"""Churn early warning: explainable signals over a customer's touchpoints and holdings.

Pure domain code: no store, no I/O. The stores (Cypher or the embedded graph) reduce a
customer's history to :class:`ChurnInputs` — a handful of counts and dates inside fixed
windows before the as-of date — and everything from there on happens here, once, for both.

Signals (each names its evidence; weights are documented, not fitted):

==========================  ====================================================  ======
signal                      fires when                                            weight
==========================  ====================================================  ======
``competitor_inquiry``      an inquiry about a competitor offer or switching in   0.60
                            the last 60 days
``complaint_burst``         3 or more complaints in the last 90 days              0.45
``unresolved_complaint``    a complaint still open at the as-of date and older    0.30
                            than 14 days
``product_closure``         a holding closed in the last 180 days while others    0.30
                            stay active
``falling_activity``        customer-initiated contacts in the last 90 days fell  0.25
                            below half their rate over the 270 days before
                            (which had at least 4)
==========================  ====================================================  ======

The score combines the signals that fired as a noisy-OR, ``1 - prod(1 - weight)``: each
signal is read as an independent chance the customer leaves, so two strong signals push the
score towards 1 without ever passing it, and a customer with none scores 0. A customer who
held products but has none active at the as-of date has already gone (``lapsed``): no
score, never "at risk". Customers who never held a product are scored on their contacts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

COMPETITOR_DAYS = 60
COMPLAINT_DAYS = 90
BURST_COMPLAINTS = 3
OPEN_COMPLAINT_DAYS = 14
CLOSURE_DAYS = 180
RECENT_DAYS = 90
PRIOR_DAYS = 270
PRIOR_MIN_CONTACTS = 4

WEIGHTS: dict[str, float] = {
    "competitor_inquiry": 0.60,
    "complaint_burst": 0.45,
    "unresolved_complaint": 0.30,
    "product_closure": 0.30,
    "falling_activity": 0.25,
}

COMPETITOR_REASONS = ("competitor_offer",)
COMPETITOR_CATEGORIES = ("switching",)


@dataclass(frozen=True, slots=True)
class Window:
    """The as-of date and the window starts derived from it, as ISO strings.

    Stored times are UTC ISO 8601 strings, so comparing them with a date string as text
    is comparing instants: '2026-10-31T23:59:59Z' < '2026-11-01'.
    """

    as_of: date

    @property
    def until(self) -> str:  # exclusive end: the whole as-of day counts
        return (self.as_of + timedelta(days=1)).isoformat()

    def since(self, days: int) -> str:
        return (self.as_of + timedelta(days=1) - timedelta(days=days)).isoformat()

    def params(self) -> dict[str, str]:
        """The parameters the Cypher text takes for this window."""
        return dict(_window_params(self.as_of))


@lru_cache(maxsize=64)
def _window_params(as_of: date) -> tuple[tuple[str, str], ...]:
    w = Window(as_of)
    return (
        ("until", w.until),
        ("since60", w.since(COMPETITOR_DAYS)),
        ("since90", w.since(RECENT_DAYS)),
        ("since180", w.since(CLOSURE_DAYS)),
        ("since360", w.since(RECENT_DAYS + PRIOR_DAYS)),
        ("openBefore", w.since(OPEN_COMPLAINT_DAYS)),
    )


@dataclass(frozen=True, slots=True)
class ChurnInputs:
    """One customer's history reduced to what the signals read."""

    holdings: int  # holdings opened by the as-of date, active or not
    active_holdings: int
    closed_recently: tuple[str, ...]  # holding IDs closed in the last 180 days, sorted
    complaints_90d: int
    open_complaints: int  # open at the as-of date and older than 14 days
    oldest_open_complaint: str | None  # occurred_at
    competitor_inquiries: int
    last_competitor_inquiry: str | None
    inbound_recent: int  # customer-initiated, last 90 days
    inbound_prior: int  # customer-initiated, the 270 days before that


@dataclass(frozen=True, slots=True)
class ChurnSignal:
    """One signal that fired, with its weight and the evidence a person can check."""

    name: str
    weight: float
    evidence: str


@dataclass(frozen=True, slots=True)
class ChurnRisk:
    customer_id: str
    as_of: str
    lapsed: bool  # held products once, none active at the as-of date
    score: float | None
    signals: tuple[ChurnSignal, ...]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def holding_active(holding: Mapping[str, Any], window: Window) -> bool:
    """Active at the as-of date: opened by then and not closed by then.

    A holding's status says what it is now; its dates say what it was then. Without a
    closing date the status decides.
    """
    opened = _text(holding.get("opened_on"))
    if opened and opened >= window.until:
        return False
    closed = _text(holding.get("closed_on"))
    if closed:
        return closed >= window.until
    return holding.get("status") == "active"


def churn_inputs(
    touchpoints: Iterable[Mapping[str, Any]],
    holdings: Iterable[Mapping[str, Any]],
    window: Window,
) -> ChurnInputs:
    """Reduce raw touchpoint and holding properties (each holding with its ``id``; no
    touchpoint's is read) to the inputs.

    The Cypher files compute the same reductions; the conformance suite holds them equal.
    """
    bounds = window.params()
    held = _HoldingCounts()
    for h in holdings:
        held.add(h, window, bounds)
    seen = _TouchpointCounts()
    for t in touchpoints:
        seen.add(t, bounds)
    return ChurnInputs(
        holdings=held.existing,
        active_holdings=held.active,
        closed_recently=tuple(sorted(held.closed)),
        complaints_90d=seen.complaints,
        open_complaints=seen.open_count,
        oldest_open_complaint=seen.oldest_open,
        competitor_inquiries=seen.competitor,
        last_competitor_inquiry=seen.last_competitor,
        inbound_recent=seen.recent,
        inbound_prior=seen.prior,
    )


@dataclass(slots=True)
class _HoldingCounts:
    """The holdings opened by the as-of date: how many, how many active, which closed
    in the last 180 days."""

    existing: int = 0
    active: int = 0
    closed: list[str] = field(default_factory=list)

    def add(self, h: Mapping[str, Any], window: Window, bounds: Mapping[str, str]) -> None:
        until = bounds["until"]
        opened = _text(h.get("opened_on"))
        if opened and opened >= until:
            return
        self.existing += 1
        if holding_active(h, window):
            self.active += 1
        closed_on = _text(h.get("closed_on"))
        if closed_on and bounds["since180"] <= closed_on < until:
            self.closed.append(str(h["id"]))


@dataclass(slots=True)
class _TouchpointCounts:
    """The touchpoints before the as-of date, counted into the signals' inputs."""

    complaints: int = 0
    open_count: int = 0
    oldest_open: str | None = None
    competitor: int = 0
    last_competitor: str | None = None
    recent: int = 0
    prior: int = 0

    def add(self, t: Mapping[str, Any], bounds: Mapping[str, str]) -> None:
        at = _text(t.get("occurred_at"))
        if not at or at >= bounds["until"]:
            return
        if t.get("kind") == "complaint":
            self._complaint(t, at, bounds)
        if at >= bounds["since60"] and (
            t.get("reason") in COMPETITOR_REASONS or t.get("category") in COMPETITOR_CATEGORIES
        ):
            self.competitor += 1
            self.last_competitor = (
                at if self.last_competitor is None else max(self.last_competitor, at)
            )
        if t.get("direction") == "inbound":
            if at >= bounds["since90"]:
                self.recent += 1
            elif at >= bounds["since360"]:
                self.prior += 1

    def _complaint(self, t: Mapping[str, Any], at: str, bounds: Mapping[str, str]) -> None:
        if at >= bounds["since90"]:
            self.complaints += 1
        resolved_at = _text(t.get("resolved_at"))
        still_open = t.get("resolution_status") == "open" or resolved_at >= bounds["until"]
        if still_open and at < bounds["openBefore"]:
            self.open_count += 1
            self.oldest_open = at if self.oldest_open is None else min(self.oldest_open, at)


def _days_before(at: str, as_of: date) -> int:
    return (as_of - date.fromisoformat(at[:10])).days


def churn_signals(inputs: ChurnInputs, window: Window) -> tuple[ChurnSignal, ...]:
    """The signals that fire, strongest first, each with its evidence."""
    fired: list[ChurnSignal] = []

    def fire(name: str, evidence: str) -> None:
        fired.append(ChurnSignal(name, WEIGHTS[name], evidence))

    if inputs.competitor_inquiries and inputs.last_competitor_inquiry:
        days = _days_before(inputs.last_competitor_inquiry, window.as_of)
        fire(
            "competitor_inquiry",
            f"{inputs.competitor_inquiries} inquiry about switching or a competitor offer, "
            f"the last {days} days ago",
        )
    if inputs.complaints_90d >= BURST_COMPLAINTS:
        fire("complaint_burst", f"{inputs.complaints_90d} complaints in the last 90 days")
    if inputs.open_complaints and inputs.oldest_open_complaint:
        days = _days_before(inputs.oldest_open_complaint, window.as_of)
        fire(
            "unresolved_complaint",
            f"{inputs.open_complaints} complaint(s) unresolved, the oldest open {days} days",
        )
    if inputs.closed_recently and inputs.active_holdings:
        fire(
            "product_closure",
            f"closed {', '.join(inputs.closed_recently)} in the last 180 days; "
            f"{inputs.active_holdings} still active",
        )
    prior_rate = inputs.inbound_prior * RECENT_DAYS / PRIOR_DAYS
    if inputs.inbound_prior >= PRIOR_MIN_CONTACTS and inputs.inbound_recent < prior_rate / 2:
        fire(
            "falling_activity",
            f"{inputs.inbound_recent} contacts in the last 90 days against "
            f"{prior_rate:.1f} per 90 days before",
        )
    return tuple(sorted(fired, key=lambda s: (-s.weight, s.name)))


def churn_score(signals: Iterable[ChurnSignal]) -> float:
    stay = 1.0
    for signal in signals:
        stay *= 1 - signal.weight
    return round(1 - stay, 4)


def assess(customer_id: str, inputs: ChurnInputs, window: Window) -> ChurnRisk:
    if inputs.holdings and not inputs.active_holdings:
        return ChurnRisk(customer_id, window.as_of.isoformat(), True, None, ())
    signals = churn_signals(inputs, window)
    return ChurnRisk(customer_id, window.as_of.isoformat(), False, churn_score(signals), signals)


def risk_key(tier: str, score: float, lifetime_value: float | None) -> str:
    """One string that sorts as at_risk lists: by tier, highest churn score first, then
    highest lifetime value (none first, as Cypher's descending order puts nulls)."""
    value = "" if lifetime_value is None else f"{1e12 - lifetime_value:016.2f}"
    return f"{tier}|{1 - score:.4f}|{value}"


def risk_key_bounds(tier: str, min_score: float) -> tuple[str, str]:
    """[low, high) of the risk keys of one tier with a churn score of at least min_score."""
    return f"{tier}|", f"{tier}|{1 - min_score:.4f}|~"
