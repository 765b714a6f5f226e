"""customer_touchpoints and customers_touchpoints: a customer's most recent interactions,
newest first, optionally on one channel, paged by a (time, ID) cursor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore, Node
from queries.base import Grouped, batch_check, bounded, results, untagged
from queries.engine import named_query

MAX_TOUCHPOINTS = 500


class RecentRow(TypedDict):
    """A touchpoint as customer_360 lists it."""

    id: str
    # Stored properties as read: the schema's types, which no store checks.
    occurredAt: Any
    channel: Any
    kind: Any
    reason: Any
    outcome: Any
    resolutionStatus: Any


class TouchpointRow(RecentRow):
    agentId: str | None


class TaggedTouchpointRow(TouchpointRow):
    forCustomer: str


@dataclass(frozen=True, slots=True)
class TouchpointSummary:
    id: str
    occurred_at: str | None
    channel: str | None
    kind: str | None
    reason: str | None
    outcome: str | None
    resolution_status: str | None
    agent_id: str | None


def recent_key(t: Node) -> tuple[str, str]:
    """A touchpoint's place in newest-first order (reversed): its time, then its ID."""
    return (str(t.props.get("occurred_at", "")), t.key)


def recent_row(t: Node) -> RecentRow:
    return {
        "id": t.key,
        "occurredAt": t.props.get("occurred_at"),
        "channel": t.props.get("channel"),
        "kind": t.props.get("kind"),
        "reason": t.props.get("reason"),
        "outcome": t.props.get("outcome"),
        "resolutionStatus": t.props.get("resolution_status"),
    }


def to_touchpoints(rows: list[TouchpointRow]) -> list[TouchpointSummary]:
    return results(TouchpointSummary, rows)


_check_first = bounded("first", MAX_TOUCHPOINTS)


def _newest_first(params: dict[str, Any]) -> dict[str, Any]:
    """Paging is optional: without a cursor, the newest touchpoints."""
    return {"beforeTime": "", "beforeId": "", **params}


@named_query(
    "customers_touchpoints",
    Grouped(to_touchpoints),
    batch_check("customerIds", "customer ID", _check_first),
    _newest_first,
)
def touchpoints_many(
    store: GraphStore,
    customerIds: list[str],
    channel: str,
    first: int,
    beforeTime: str,
    beforeId: str,
) -> list[TaggedTouchpointRow]:
    """Each customer's most recent touchpoints, each row tagged ``forCustomer``."""
    found = store.neighbour_nodes_many(
        "Customer", customerIds, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=1_000_000
    )
    picked: dict[str, list[Node]] = {}
    for customer in dict.fromkeys(customerIds):
        mine = [
            t
            for t in found.get(customer, [])
            if (not channel or t.props.get("channel") == channel)
            and (not beforeId or recent_key(t) < (beforeTime, beforeId))
        ]
        mine.sort(key=recent_key, reverse=True)
        picked[customer] = mine[:first]
    agents = store.neighbour_nodes_many(
        "Touchpoint", [t.key for ts in picked.values() for t in ts], "HANDLED_BY", limit=1
    )
    return [
        {
            "forCustomer": customer,
            **recent_row(t),
            "agentId": agents[t.key][0].key if t.key in agents else None,
        }
        for customer, ts in picked.items()
        for t in ts
    ]


@named_query("customer_touchpoints", to_touchpoints, _check_first, _newest_first)
def touchpoints(
    store: GraphStore, customerId: str, channel: str, first: int, beforeTime: str, beforeId: str
) -> list[TouchpointRow]:
    return untagged(touchpoints_many(store, [customerId], channel, first, beforeTime, beforeId))
