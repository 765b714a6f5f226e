"""Named queries over EPCIS events: an item's journey and where it is now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.store import GraphStore
from loaders.epc import canonical_epc
from queries.base import QueryParameterError, Record, bounded

MAX_JOURNEY = 1000


def prepare_epc(params: dict[str, Any]) -> dict[str, Any]:
    epc = params.get("epc")
    if not isinstance(epc, str):
        return params
    if not epc.strip():
        raise QueryParameterError("epc must not be empty")
    return {**params, "key": canonical_epc(epc)}


@dataclass(frozen=True, slots=True)
class JourneyStep:
    event_id: str
    event_type: str | None
    event_time: str | None
    action: str | None
    biz_step: str | None
    disposition: str | None
    role: str | None
    biz_location: str | None
    read_point: str | None
    retracted: bool


def _place(store: GraphStore, keys: list[str], rel_type: str) -> dict[str, str]:
    found = store.neighbours_many("EpcisEvent", keys, rel_type, "out", "Location", limit=1)
    return {k: n[0].node.key for k, n in found.items()}


def journey_embedded(store: GraphStore, epc: str, key: str, first: int) -> list[Record]:
    seen = store.neighbours("ProductInstance", key, "OBSERVED", "in", "EpcisEvent", limit=10**6)
    keys = sorted({n.node.key for n in seen})
    at, read = _place(store, keys, "AT"), _place(store, keys, "READ_AT")
    rows = [
        {
            "eventId": n.node.key,
            "eventType": n.node.props.get("event_type"),
            "eventTime": n.node.props.get("event_time"),
            "action": n.node.props.get("action"),
            "bizStep": n.node.props.get("biz_step"),
            "disposition": n.node.props.get("disposition"),
            "role": n.edge.props.get("role"),
            "bizLocation": at.get(n.node.key),
            "readPoint": read.get(n.node.key),
            "retracted": n.node.props.get("retracted") is True,
        }
        for n in seen
    ]
    rows.sort(
        key=lambda r: (r["eventTime"] is None, str(r["eventTime"]), r["eventId"], str(r["role"]))
    )
    return rows[:first]


def to_journey(rows: list[Record]) -> list[JourneyStep]:
    return [
        JourneyStep(
            r["eventId"],
            r["eventType"],
            r["eventTime"],
            r["action"],
            r["bizStep"],
            r["disposition"],
            r["role"],
            r["bizLocation"],
            r["readPoint"],
            bool(r["retracted"]),
        )
        for r in rows
    ]


check_journey = bounded("first", MAX_JOURNEY)


@dataclass(frozen=True, slots=True)
class CurrentLocation:
    location: str
    name: str | None
    since: str | None
    biz_step: str | None
    disposition: str | None
    event_id: str


def location_embedded(store: GraphStore, epc: str, key: str) -> list[Record]:
    seen = store.neighbours("ProductInstance", key, "OBSERVED", "in", "EpcisEvent", limit=10**6)
    live = {n.node.key: n.node for n in seen if n.node.props.get("retracted") is not True}
    places = store.neighbours_many("EpcisEvent", sorted(live), "AT", "out", "Location", limit=1)
    placed = [
        (str(live[k].props.get("event_time", "")), k, found[0].node) for k, found in places.items()
    ]
    if not placed:
        return []
    _when, event, place = max(placed, key=lambda p: (p[0], p[1]))
    node = live[event]
    return [
        {
            "location": place.key,
            "name": place.props.get("name"),
            "since": node.props.get("event_time"),
            "bizStep": node.props.get("biz_step"),
            "disposition": node.props.get("disposition"),
            "eventId": event,
        }
    ]


def to_location(rows: list[Record]) -> CurrentLocation | None:
    if not rows:
        return None
    r = rows[0]
    return CurrentLocation(
        r["location"], r["name"], r["since"], r["bizStep"], r["disposition"], r["eventId"]
    )
