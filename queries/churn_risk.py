"""churn_risk and customers_churn_risk: how likely a customer is to leave, and why.

The embedded implementation returns the churn inputs (holdings, complaints, competitor
inquiries, contact trend) shaped like churn_risk.cypher's row; the result constructor hands
them to the pure rules (scoring/churn.py), so both stores are judged by one implementation.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from graph.clock import today
from graph.store import GraphStore, Node
from queries.base import Grouped, QueryParameterError, batch_check
from queries.engine import named_query
from scoring.churn import (
    COMPETITOR_CATEGORIES,
    COMPETITOR_REASONS,
    ChurnInputs,
    ChurnRisk,
    Window,
    assess,
    churn_inputs,
)


class ChurnRow(TypedDict):
    customerId: str
    asOf: str
    holdings: int
    activeHoldings: int
    closedRecently: list[str]
    complaints: int
    openComplaints: int
    oldestOpenComplaint: str | None
    competitorInquiries: int
    lastCompetitorInquiry: str | None
    inboundRecent: int
    inboundPrior: int


def _window(params: dict[str, Any]) -> Window:
    try:
        return Window(date.fromisoformat(params["asOf"]))
    except (TypeError, ValueError):
        raise QueryParameterError(
            f"asOf must be a date, YYYY-MM-DD, got {params['asOf']!r}"
        ) from None


def prepare_churn(params: dict[str, Any]) -> dict[str, Any]:
    """Risk is assessed today unless the caller names a date."""
    params = {"asOf": today().isoformat(), **params}
    if not isinstance(params.get("asOf"), str):
        return params
    return {
        **params,
        **_window(params).params(),
        "competitorReasons": list(COMPETITOR_REASONS),
        "competitorCategories": list(COMPETITOR_CATEGORIES),
    }


def to_churn_risk(rows: list[ChurnRow]) -> ChurnRisk | None:
    if not rows:
        return None
    r = rows[0]
    inputs = ChurnInputs(
        holdings=int(r["holdings"]),
        active_holdings=int(r["activeHoldings"]),
        closed_recently=tuple(sorted(r["closedRecently"])),
        complaints_90d=int(r["complaints"]),
        open_complaints=int(r["openComplaints"]),
        oldest_open_complaint=r["oldestOpenComplaint"],
        competitor_inquiries=int(r["competitorInquiries"]),
        last_competitor_inquiry=r["lastCompetitorInquiry"],
        inbound_recent=int(r["inboundRecent"]),
        inbound_prior=int(r["inboundPrior"]),
    )
    return assess(r["customerId"], inputs, Window(date.fromisoformat(r["asOf"])))


def check_churn(params: dict[str, Any]) -> None:
    _window(params)


@named_query(
    "customers_churn_risk",
    Grouped(to_churn_risk, "customerId"),
    batch_check("customerIds", "customer ID", check_churn),
    prepare_churn,
)
def churn_many(store: GraphStore, customerIds: list[str], asOf: str, **_: Any) -> list[ChurnRow]:
    """``churn_risk``'s inputs for many customers: three store calls whatever their number."""
    found = store.get_nodes("Customer", customerIds)
    customers = [c for c in dict.fromkeys(customerIds) if c in found]
    window = Window(date.fromisoformat(asOf))
    holdings = store.neighbour_nodes_many(
        "Customer", customers, "HOLDS", "out", "Holding", limit=10**6
    )
    touchpoints = store.neighbour_nodes_many(
        "Customer", customers, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
    )
    return [
        _churn_row(c, asOf, window, touchpoints.get(c, []), holdings.get(c, [])) for c in customers
    ]


def _churn_row(
    customerId: str,
    asOf: str,
    window: Window,
    touchpoints: list[Node],
    holdings: list[Node],
) -> ChurnRow:
    inputs = churn_inputs(
        # A touchpoint's ID is not an input (only a closed holding's is named): its
        # properties as read, not a copy with the ID, for every touchpoint of the customer.
        (t.props for t in touchpoints),
        ({**h.props, "id": h.key} for h in holdings),
        window,
    )
    return {
        "customerId": customerId,
        "asOf": asOf,
        "holdings": inputs.holdings,
        "activeHoldings": inputs.active_holdings,
        "closedRecently": list(inputs.closed_recently),
        "complaints": inputs.complaints_90d,
        "openComplaints": inputs.open_complaints,
        "oldestOpenComplaint": inputs.oldest_open_complaint,
        "competitorInquiries": inputs.competitor_inquiries,
        "lastCompetitorInquiry": inputs.last_competitor_inquiry,
        "inboundRecent": inputs.inbound_recent,
        "inboundPrior": inputs.inbound_prior,
    }


@named_query("churn_risk", to_churn_risk, check_churn, prepare_churn)
def churn(store: GraphStore, customerId: str, asOf: str, **_: Any) -> list[ChurnRow]:
    return churn_many(store, [customerId], asOf)
