"""customer_360: the unified view of one customer in one call, bounded whatever their
history: golden attributes, source records, household, holdings, recent touchpoints, open
complaints, consents, preferred channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.schema import CUSTOMER_PROFILE
from graph.store import GraphStore, Node
from queries.base import bounded, results
from queries.customer_holdings import HoldingRow, HoldingSummary, holdings, to_holdings
from queries.customer_sources import SourceLink, SourceRow, sources, to_sources
from queries.customer_touchpoints import RecentRow, recent_key, recent_row
from queries.engine import named_query
from queries.household_members import HouseholdMember, MemberRow, members, to_members

MAX_360_TOUCHPOINTS = 200  # the most recent touchpoints the 360 view reads, whatever the history
MAX_OPEN_COMPLAINTS = 50


class ComplaintRow(TypedDict):
    id: str
    # Stored properties as read: the schema's types, which no store checks.
    occurredAt: Any
    category: Any
    reason: Any


class ConsentRow(TypedDict):
    purpose: Any
    channel: Any
    granted: Any


class ChannelRow(TypedDict):
    channel: Any
    uses: int


class Customer360Row(TypedDict):
    customer: dict[str, Any]  # CUSTOMER_PROFILE's properties
    sources: list[SourceRow]
    members: list[MemberRow]
    holdings: list[HoldingRow]
    touchpoints: list[RecentRow]
    openComplaints: list[ComplaintRow]
    consents: list[ConsentRow]
    channels: list[ChannelRow]


@dataclass(frozen=True, slots=True)
class RecentTouchpoint:
    id: str
    occurred_at: str | None
    channel: str | None
    kind: str | None
    reason: str | None
    outcome: str | None
    resolution_status: str | None


@dataclass(frozen=True, slots=True)
class OpenComplaint:
    id: str
    occurred_at: str | None
    category: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ConsentState:
    purpose: str | None
    channel: str | None
    granted: bool | None


@dataclass(frozen=True, slots=True)
class ChannelUse:
    channel: str | None
    uses: int


@dataclass(frozen=True, slots=True)
class Customer360:
    customer: dict[str, Any]  # golden attributes (sensitive ones excluded)
    sources: tuple[SourceLink, ...]
    household_members: tuple[HouseholdMember, ...]
    holdings: tuple[HoldingSummary, ...]
    touchpoints: tuple[RecentTouchpoint, ...]
    open_complaints: tuple[OpenComplaint, ...]
    consents: tuple[ConsentState, ...]
    preferred_channels: tuple[ChannelUse, ...]


def _consents(store: GraphStore, customerId: str) -> list[ConsentRow]:
    found: list[ConsentRow] = [
        {
            "purpose": n.node.props.get("purpose"),
            "channel": n.node.props.get("channel"),
            "granted": n.node.props.get("granted"),
        }
        for n in store.neighbours(
            "Customer", customerId, "HAS_CONSENT", "out", "Consent", limit=10_000
        )
    ]
    return sorted(
        found,
        key=lambda k: (
            k["purpose"] is None,
            str(k["purpose"]),
            k["channel"] is None,
            str(k["channel"]),
        ),
    )


def _channels(recent: list[Node]) -> list[ChannelRow]:
    uses: dict[Any, int] = {}
    for t in recent:
        uses[t.props.get("channel")] = uses.get(t.props.get("channel"), 0) + 1
    return [
        {"channel": c, "uses": n}
        for c, n in sorted(uses.items(), key=lambda item: (-item[1], item[0] is None, str(item[0])))
    ]


def _complaint(t: Node) -> ComplaintRow:
    return {
        "id": t.key,
        "occurredAt": t.props.get("occurred_at"),
        "category": t.props.get("category"),
        "reason": t.props.get("reason"),
    }


def _open_complaint(t: Node) -> bool:
    return t.props.get("kind") == "complaint" and t.props.get("resolution_status") == "open"


def to_360(rows: list[Customer360Row]) -> Customer360 | None:
    if not rows:
        return None
    r = rows[0]
    return Customer360(
        customer={f: r["customer"].get(f) for f in CUSTOMER_PROFILE},
        sources=tuple(to_sources(r["sources"])),
        household_members=tuple(to_members(r["members"])),
        holdings=tuple(to_holdings(r["holdings"])),
        touchpoints=tuple(results(RecentTouchpoint, r["touchpoints"])),
        open_complaints=tuple(results(OpenComplaint, r["openComplaints"])),
        consents=tuple(results(ConsentState, r["consents"])),
        preferred_channels=tuple(results(ChannelUse, r["channels"], uses=int)),
    )


@named_query("customer_360", to_360, bounded("first", MAX_360_TOUCHPOINTS))
def customer_360(store: GraphStore, customerId: str, first: int) -> list[Customer360Row]:
    customer = store.get_node("Customer", customerId)
    if customer is None:
        return []
    touchpoints = [
        n.node
        for n in store.neighbours(
            "Customer", customerId, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
        )
    ]
    recent = sorted(touchpoints, key=recent_key, reverse=True)[:MAX_360_TOUCHPOINTS]
    complaints = sorted(filter(_open_complaint, touchpoints), key=recent_key, reverse=True)
    return [
        {
            "customer": {f: customer.props.get(f) for f in CUSTOMER_PROFILE},
            "sources": sources(store, customerId),
            "members": members(store, customerId),
            "holdings": holdings(store, customerId),
            "touchpoints": [recent_row(t) for t in recent[:first]],
            "openComplaints": [_complaint(t) for t in complaints[:MAX_OPEN_COMPLAINTS]],
            "consents": _consents(store, customerId),
            "channels": _channels(recent),
        }
    ]
