"""Named queries over EPCIS events: an item's journey and where it is now.

An item's events are those that name it and those that name a container (case, pallet,
truck ...) while it held the item (CONTAINS intervals from aggregation events,
loaders/containment.py): a pallet's shipping and receiving are legs of every item packed
on it. Places and parties carry their names from EPCIS master data.
"""

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
    role: str | None  # of the item in the event, or of its container when ``container`` is set
    container: str | None  # the case, pallet ... holding the item that the event names
    biz_location: str | None
    biz_location_name: str | None  # from EPCIS master data
    read_point: str | None
    read_point_name: str | None
    retracted: bool


MAX_LEVELS = 4  # containers above an item: case, pallet, truck, ...


@dataclass(frozen=True, slots=True)
class Step:
    """One event of an item's life: it names the item (``container`` None), or a container
    holding the item at the event's time (the nearest such container)."""

    event: Node
    role: str | None
    container: str | None


@dataclass(frozen=True, slots=True)
class _Held:
    level: int
    container: str
    since: str
    until: str | None


def _holders(store: GraphStore, key: str) -> list[_Held]:
    """Every containment path above the item, up to MAX_LEVELS: its top container and
    the window in which every link of the path held (latest ``since``, earliest
    ``until``). A link without ``since`` never holds; no link is used twice in a path."""
    found: list[_Held] = []
    paths: list[tuple[str, str, str | None, frozenset[tuple[str, str, Any]]]] = [
        (key, "", None, frozenset())
    ]
    for level in range(1, MAX_LEVELS + 1):
        links = store.neighbours_many(
            "ProductInstance",
            sorted({p[0] for p in paths}),
            "CONTAINS",
            "in",
            "ProductInstance",
            limit=10_000,
        )
        deeper = []
        for node, low, high, used in paths:
            for n in links.get(node, ()):
                since, until = n.edge.props.get("since"), n.edge.props.get("until")
                link = (n.node.key, node, n.edge.props.get("event_id"))
                if not isinstance(since, str) or link in used:
                    continue
                start, end = max(low, since), high
                if isinstance(until, str):
                    end = until if end is None else min(end, until)
                if end is not None and start >= end:
                    continue  # never held along this path
                found.append(_Held(level, n.node.key, start, end))
                deeper.append((n.node.key, start, end, used | {link}))
        paths = deeper
        if not paths:
            break
    return found


def timeline(store: GraphStore, key: str) -> list[Step]:
    """The item's events: each that names it (once per role), and each event naming a
    container while that container held it (through the nearest container: fewest
    levels, then container key, then role), unless the event names the item itself."""
    own = store.neighbours("ProductInstance", key, "OBSERVED", "in", "EpcisEvent", limit=10**6)
    steps = [Step(n.node, _role(n.edge.props), None) for n in own]
    mine = {n.node.key for n in own}
    holders = _holders(store, key)
    seen = store.neighbours_many(
        "ProductInstance",
        sorted({h.container for h in holders}),
        "OBSERVED",
        "in",
        "EpcisEvent",
        limit=10**6,
    )
    nearest: dict[str, tuple[tuple[int, str, str], Step]] = {}
    for held in holders:
        for n in seen.get(held.container, ()):
            at = n.node.props.get("event_time")
            if n.node.key in mine or not isinstance(at, str) or at < held.since:
                continue
            if held.until is not None and at >= held.until:
                continue
            role = _role(n.edge.props)
            rank = (held.level, held.container, str(role))
            if n.node.key not in nearest or rank < nearest[n.node.key][0]:
                nearest[n.node.key] = (rank, Step(n.node, role, held.container))
    return steps + [step for _, step in nearest.values()]


def _role(props: dict[str, Any]) -> str | None:
    role = props.get("role")
    return None if role is None else str(role)


def _places(store: GraphStore, keys: list[str]) -> tuple[dict[str, Node], dict[str, Node]]:
    """Each event's business location (AT) and read point (READ_AT), in one store call:
    an event links to a handful of locations at most (AT, READ_AT, source and
    destination lists), so its first few location links hold both."""
    found = store.neighbours_many("EpcisEvent", keys, None, "out", "Location", limit=1000)
    at: dict[str, Node] = {}
    read: dict[str, Node] = {}
    for key, links in found.items():
        for link in links:
            place = at if link.edge.type == "AT" else read if link.edge.type == "READ_AT" else None
            if place is not None and key not in place:
                place[key] = link.node
    return at, read


def _name(place: Node | None) -> Any:
    return None if place is None else place.props.get("name")


def journey_embedded(store: GraphStore, epc: str, key: str, first: int) -> list[Record]:
    steps = timeline(store, key)
    at, read = _places(store, sorted({s.event.key for s in steps}))
    rows = []
    for s in steps:
        e = s.event
        place, reader = at.get(e.key), read.get(e.key)
        rows.append(
            {
                "eventId": e.key,
                "eventType": e.props.get("event_type"),
                "eventTime": e.props.get("event_time"),
                "action": e.props.get("action"),
                "bizStep": e.props.get("biz_step"),
                "disposition": e.props.get("disposition"),
                "role": s.role,
                "container": s.container,
                "bizLocation": place.key if place else None,
                "bizLocationName": _name(place),
                "readPoint": reader.key if reader else None,
                "readPointName": _name(reader),
                "retracted": e.props.get("retracted") is True,
            }
        )
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
            r["container"],
            r["bizLocation"],
            r["bizLocationName"],
            r["readPoint"],
            r["readPointName"],
            bool(r["retracted"]),
        )
        for r in rows
    ]


check_journey = bounded("first", MAX_JOURNEY)


@dataclass(frozen=True, slots=True)
class CurrentLocation:
    location: str
    name: str | None  # from EPCIS master data
    since: str | None
    biz_step: str | None
    disposition: str | None
    event_id: str


def _live(steps: list[Step]) -> dict[str, Node]:
    return {s.event.key: s.event for s in steps if s.event.props.get("retracted") is not True}


def _latest(events: dict[str, Node]) -> Node | None:
    return max(
        events.values(), key=lambda e: (str(e.props.get("event_time", "")), e.key), default=None
    )


def _placed(store: GraphStore, steps: list[Step]) -> tuple[Node, Node] | None:
    """The latest live event of the timeline that has a business location, and that."""
    live = _live(steps)
    places = store.neighbours_many("EpcisEvent", sorted(live), "AT", "out", "Location", limit=1)
    event = _latest({k: live[k] for k in places})
    return None if event is None else (event, places[event.key][0].node)


def location_embedded(store: GraphStore, epc: str, key: str) -> list[Record]:
    found = _placed(store, timeline(store, key))
    if found is None:
        return []
    event, place = found
    return [
        {
            "location": place.key,
            "name": place.props.get("name"),
            "since": event.props.get("event_time"),
            "bizStep": event.props.get("biz_step"),
            "disposition": event.props.get("disposition"),
            "eventId": event.key,
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
    location_name: str | None  # from EPCIS master data
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
        steps = timeline(store, n.node.key)
        placed = _placed(store, steps)
        last = _latest(_live(steps))
        product = products[n.node.key][0].node if n.node.key in products else None
        rows.append(
            {
                "epc": n.node.key,
                "productId": product.key if product else None,
                "productName": product.props.get("name") if product else None,
                "soldAt": n.edge.props.get("sold_at"),
                "location": placed[1].key if placed else None,
                "locationName": _name(placed[1]) if placed else None,
                "since": placed[0].props.get("event_time") if placed else None,
                "lastStep": last.props.get("biz_step") if last else None,
                "disposition": last.props.get("disposition") if last else None,
            }
        )
    return rows


def to_items(rows: list[Record]) -> list[TrackedItem]:
    return [
        TrackedItem(
            r["epc"],
            r["productId"],
            r["productName"],
            r["soldAt"],
            r["location"],
            r["locationName"],
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
    name: str | None  # the party's, from EPCIS master data
    role: str  # from_owning_party, to_possessing_party ...


def custody_embedded(store: GraphStore, epc: str, key: str, first: int) -> list[Record]:
    live = _live(timeline(store, key))
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
                        n.node.props.get("name"),
                        prefix + str(n.edge.props.get("type")),
                    )
                )
    ordered = sorted(rows, key=lambda r: (r[0] is None, str(r[0]), r[1], r[5], r[3]))[:first]
    return [
        {"at": at, "eventId": e, "bizStep": step, "party": party, "name": name, "role": role}
        for at, e, step, party, name, role in ordered
    ]


def to_custody(rows: list[Record]) -> list[Custody]:
    return [
        Custody(r["at"], r["eventId"], r["bizStep"], r["party"], r["name"], r["role"]) for r in rows
    ]
