"""Named queries over EPCIS events: an item's journey and where it is now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.store import GraphStore, Node
from loaders.epc import canonical_epc
from loaders.epcis import utc_time
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


def _places(store: GraphStore, keys: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each event's business location (AT) and read point (READ_AT), in one store call:
    an event links to a handful of locations at most (AT, READ_AT, source and
    destination lists), so its first few location links hold both."""
    found = store.neighbours_many("EpcisEvent", keys, None, "out", "Location", limit=1000)
    at: dict[str, str] = {}
    read: dict[str, str] = {}
    for key, links in found.items():
        for link in links:
            place = at if link.edge.type == "AT" else read if link.edge.type == "READ_AT" else None
            if place is not None and key not in place:
                place[key] = link.node.key
    return at, read


def journey_embedded(store: GraphStore, epc: str, key: str, first: int) -> list[Record]:
    seen = store.neighbours("ProductInstance", key, "OBSERVED", "in", "EpcisEvent", limit=10**6)
    keys = sorted({n.node.key for n in seen})
    at, read = _places(store, keys)
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


@dataclass(frozen=True, slots=True)
class TrackedItem:
    epc: str
    product_id: str | None
    product_name: str | None
    sold_at: str | None
    location: str | None  # where it is now
    since: str | None
    last_step: str | None  # of its latest event
    disposition: str | None  # in_transit: on its way

    @property
    def in_transit(self) -> bool:
        return self.disposition == "in_transit"


def items_embedded(store: GraphStore, customerId: str, first: int) -> list[Record]:
    sold = store.neighbours("Customer", customerId, "SOLD_TO", "in", "ProductInstance", limit=10**6)
    sold.sort(key=lambda n: n.node.key)
    # Newest sale first (a stable sort keeps EPC order within one time); Cypher puts nulls
    # first when descending.
    sold.sort(
        key=lambda n: (n.edge.props.get("sold_at") is None, str(n.edge.props.get("sold_at") or "")),
        reverse=True,
    )
    page = sold[:first]
    keys = [n.node.key for n in page]
    products = store.neighbours_many(
        "ProductInstance", keys, "INSTANCE_OF", "out", "Product", limit=1
    )
    rows = []
    for n in page:
        where = location_embedded(store, n.node.key, n.node.key)
        last = _latest_event(store, n.node.key)
        rows.append(
            {
                "epc": n.node.key,
                "productId": products[n.node.key][0].node.key if n.node.key in products else None,
                "productName": products[n.node.key][0].node.props.get("name")
                if n.node.key in products
                else None,
                "soldAt": n.edge.props.get("sold_at"),
                "location": where[0]["location"] if where else None,
                "since": where[0]["since"] if where else None,
                "lastStep": last.props.get("biz_step") if last else None,
                "disposition": last.props.get("disposition") if last else None,
            }
        )
    return rows


def _latest_event(store: GraphStore, key: str) -> Node | None:
    seen = store.neighbours("ProductInstance", key, "OBSERVED", "in", "EpcisEvent", limit=10**6)
    live = [n.node for n in seen if n.node.props.get("retracted") is not True]
    return max(live, key=lambda e: (str(e.props.get("event_time", "")), e.key), default=None)


def to_items(rows: list[Record]) -> list[TrackedItem]:
    return [
        TrackedItem(
            r["epc"],
            r["productId"],
            r["productName"],
            r["soldAt"],
            r["location"],
            r["since"],
            r["lastStep"],
            r["disposition"],
        )
        for r in rows
    ]


check_items = bounded("first", 500)


def prepare_at(params: dict[str, Any]) -> dict[str, Any]:
    params = prepare_epc(params)
    at = params.get("at")
    if isinstance(at, str) and at.strip():
        params = {**params, "at": utc_time(at.strip())}
    return params


@dataclass(frozen=True, slots=True)
class Container:
    container: str
    level: int  # 1: holds the item itself; 2: holds that container ...
    since: str | None


def _valid(props: dict[str, Any], at: str) -> bool:
    since, until = props.get("since"), props.get("until")
    return isinstance(since, str) and since <= at and (not isinstance(until, str) or until > at)


def containment_embedded(store: GraphStore, epc: str, key: str, at: str) -> list[Record]:
    rows: dict[str, Record] = {}
    frontier = [key]
    for level in range(1, 5):
        found = store.neighbours_many("ProductInstance", frontier, "CONTAINS", "in", limit=10_000)
        frontier = []
        for links in found.values():
            for n in links:
                if _valid(n.edge.props, at) and n.node.key not in rows and n.node.key != key:
                    rows[n.node.key] = {
                        "container": n.node.key,
                        "level": level,
                        "since": n.edge.props.get("since"),
                    }
                    frontier.append(n.node.key)
        if not frontier:
            break
    return sorted(rows.values(), key=lambda r: (r["level"], r["container"]))


def to_containers(rows: list[Record]) -> list[Container]:
    return [Container(r["container"], int(r["level"]), r["since"]) for r in rows]


def check_at(params: dict[str, Any]) -> None:
    if not params["at"] or "T" not in params["at"]:
        raise QueryParameterError(f"at must be an ISO date-time, got {params['at']!r}")


@dataclass(frozen=True, slots=True)
class Custody:
    at: str | None
    event_id: str
    biz_step: str | None
    party: str
    role: str  # from_owning_party, to_possessing_party ...


def custody_embedded(store: GraphStore, epc: str, key: str, first: int) -> list[Record]:
    seen = store.neighbours("ProductInstance", key, "OBSERVED", "in", "EpcisEvent", limit=10**6)
    live = {n.node.key: n.node for n in seen if n.node.props.get("retracted") is not True}
    rows = set()
    for rel_type, prefix in (("SOURCE", "from_"), ("DESTINATION", "to_")):
        found = store.neighbours_many(
            "EpcisEvent", sorted(live), rel_type, "out", "Party", limit=1000
        )
        for event, parties in found.items():
            node = live[event]
            for n in parties:
                rows.add(
                    (
                        node.props.get("event_time"),
                        event,
                        node.props.get("biz_step"),
                        n.node.key,
                        prefix + str(n.edge.props.get("type")),
                    )
                )
    ordered = sorted(rows, key=lambda r: (r[0] is None, str(r[0]), r[1], r[4], r[3]))[:first]
    return [
        {"at": at, "eventId": e, "bizStep": step, "party": party, "role": role}
        for at, e, step, party, role in ordered
    ]


def to_custody(rows: list[Record]) -> list[Custody]:
    return [Custody(r["at"], r["eventId"], r["bizStep"], r["party"], r["role"]) for r in rows]
