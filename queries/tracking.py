"""Named queries over EPCIS events: an item's journey and where it is now.

An item's events are those that name it and those that name a container (case, pallet,
truck ...) while it held the item (CONTAINS intervals from aggregation events,
epcis/containment.py): a pallet's shipping and receiving are legs of every item packed
on it. Places and parties carry their names from EPCIS master data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from epcis.capture import utc_time
from epcis.epc import canonical_epc
from graph.store import GraphStore, Neighbour, Node
from queries.base import QueryParameterError, Record, bounded

MAX_JOURNEY = 1000


def prepare_epc(params: dict[str, Any]) -> dict[str, Any]:
    epc = params.get("epc")
    if not isinstance(epc, str):
        return params
    if not epc.strip():
        raise QueryParameterError("epc must not be empty")
    return {**params, "key": canonical_epc(epc)}


def prepare_epcs(params: dict[str, Any]) -> dict[str, Any]:
    """A batch's EPCs as written, with the canonical key of each (``keys``, in order)."""
    epcs = params.get("epcs")
    if not isinstance(epcs, list):
        return params
    if not all(isinstance(e, str) for e in epcs):
        raise QueryParameterError("epcs must be a list of EPC strings")
    if not all(e.strip() for e in epcs):
        raise QueryParameterError("epc must not be empty")
    return {**params, "keys": [canonical_epc(e) for e in epcs]}


def _tagged(epcs: list[str], keys: list[str]) -> list[tuple[str, str]]:
    """Each distinct EPC as written with its key, in the order given."""
    return list(dict.fromkeys(zip(epcs, keys, strict=True)))


def _untagged(rows: list[Record], tag: str) -> list[Record]:
    return [{k: v for k, v in r.items() if k != tag} for r in rows]


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


def _holders(store: GraphStore, keys: list[str]) -> dict[str, list[_Held]]:
    """For each item, every containment path above it, up to MAX_LEVELS: its top
    container and the window in which every link of the path held (latest ``since``,
    earliest ``until``). A link without ``since`` never holds; no link is used twice in
    a path. One store call per level, whatever the number of items."""
    found: dict[str, list[_Held]] = {key: [] for key in keys}
    # (item, node reached, window start, window end, links used)
    paths: list[tuple[str, str, str, str | None, frozenset[tuple[str, str, Any]]]] = [
        (key, key, "", None, frozenset()) for key in found
    ]
    for level in range(1, MAX_LEVELS + 1):
        links = store.neighbours_many(
            "ProductInstance",
            sorted({p[1] for p in paths}),
            "CONTAINS",
            "in",
            "ProductInstance",
            limit=10_000,
        )
        deeper = []
        for item, node, low, high, used in paths:
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
                found[item].append(_Held(level, n.node.key, start, end))
                deeper.append((item, n.node.key, start, end, used | {link}))
        paths = deeper
        if not paths:
            break
    return found


def timeline(store: GraphStore, key: str) -> list[Step]:
    """The item's events: each that names it (once per role), and each event naming a
    container while that container held it (through the nearest container: fewest
    levels, then container key, then role), unless the event names the item itself."""
    return timelines(store, [key])[key]


def timelines(store: GraphStore, keys: list[str]) -> dict[str, list[Step]]:
    """``timeline`` of many items: at most six store calls whatever their number."""
    keys = list(dict.fromkeys(keys))
    own = store.neighbours_many(
        "ProductInstance", keys, "OBSERVED", "in", "EpcisEvent", limit=10**6
    )
    holders = _holders(store, keys)
    seen = store.neighbours_many(
        "ProductInstance",
        sorted({h.container for found in holders.values() for h in found}),
        "OBSERVED",
        "in",
        "EpcisEvent",
        limit=10**6,
    )
    return {key: _timeline(own.get(key, []), holders[key], seen) for key in keys}


def _timeline(
    own: list[Neighbour], holders: list[_Held], seen: dict[str, list[Neighbour]]
) -> list[Step]:
    steps = [Step(n.node, _role(n.edge.props), None) for n in own]
    mine = {n.node.key for n in own}
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
    return _untagged(journeys_embedded(store, [epc], [key], first), "forEpc")


def journeys_embedded(
    store: GraphStore, epcs: list[str], keys: list[str], first: int
) -> list[Record]:
    """``product_journey`` of many items, each row tagged ``forEpc`` (the EPC as written):
    at most seven store calls whatever their number."""
    steps = timelines(store, keys)
    at, read = _places(store, sorted({s.event.key for found in steps.values() for s in found}))
    return [
        {"forEpc": epc, **row}
        for epc, key in _tagged(epcs, keys)
        for row in _journey_rows(steps[key], at, read)[:first]
    ]


def _journey_rows(steps: list[Step], at: dict[str, Node], read: dict[str, Node]) -> list[Record]:
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
    return rows


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


def _placed(store: GraphStore, steps: dict[str, list[Step]]) -> dict[str, tuple[Node, Node] | None]:
    """For each item's timeline, the latest live event that has a business location, and
    that location: one store call whatever their number."""
    live = {key: _live(found) for key, found in steps.items()}
    places = store.neighbours_many(
        "EpcisEvent",
        sorted({e for events in live.values() for e in events}),
        "AT",
        "out",
        "Location",
        limit=1,
    )
    placed: dict[str, tuple[Node, Node] | None] = {}
    for key, events in live.items():
        event = _latest({k: e for k, e in events.items() if k in places})
        placed[key] = None if event is None else (event, places[event.key][0].node)
    return placed


def location_embedded(store: GraphStore, epc: str, key: str) -> list[Record]:
    return _untagged(locations_embedded(store, [epc], [key]), "forEpc")


def locations_embedded(store: GraphStore, epcs: list[str], keys: list[str]) -> list[Record]:
    """``current_location`` of many items, each row tagged ``forEpc`` (the EPC as
    written): at most seven store calls whatever their number."""
    placed = _placed(store, timelines(store, keys))
    rows = []
    for epc, key in _tagged(epcs, keys):
        found = placed[key]
        if found is None:
            continue
        event, place = found
        rows.append(
            {
                "forEpc": epc,
                "location": place.key,
                "name": place.props.get("name"),
                "since": event.props.get("event_time"),
                "bizStep": event.props.get("biz_step"),
                "disposition": event.props.get("disposition"),
                "eventId": event.key,
            }
        )
    return rows


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
    return _untagged(items_many_embedded(store, [customerId], first), "forCustomer")


def items_many_embedded(store: GraphStore, customerIds: list[str], first: int) -> list[Record]:
    """``customer_items`` of many customers, each row tagged ``forCustomer``: at most
    nine store calls whatever their number."""
    sold = store.neighbours_many(
        "Customer", customerIds, "SOLD_TO", "in", "ProductInstance", limit=10**6
    )
    pages: dict[str, list[Neighbour]] = {}
    for customer in dict.fromkeys(customerIds):
        mine = sorted(sold.get(customer, []), key=lambda n: n.node.key)
        # Newest sale first (a stable sort keeps EPC order within one time); Cypher puts
        # nulls first when descending.
        mine.sort(
            key=lambda n: (
                n.edge.props.get("sold_at") is None,
                str(n.edge.props.get("sold_at") or ""),
            ),
            reverse=True,
        )
        pages[customer] = mine[:first]
    keys = sorted({n.node.key for page in pages.values() for n in page})
    products = store.neighbours_many(
        "ProductInstance", keys, "INSTANCE_OF", "out", "Product", limit=1
    )
    steps = timelines(store, keys)
    placed = _placed(store, steps)
    rows = []
    for customer, page in pages.items():
        for n in page:
            where = placed[n.node.key]
            last = _latest(_live(steps[n.node.key]))
            product = products[n.node.key][0].node if n.node.key in products else None
            rows.append(
                {
                    "forCustomer": customer,
                    "epc": n.node.key,
                    "productId": product.key if product else None,
                    "productName": product.props.get("name") if product else None,
                    "soldAt": n.edge.props.get("sold_at"),
                    "location": where[1].key if where else None,
                    "locationName": _name(where[1]) if where else None,
                    "since": where[0].props.get("event_time") if where else None,
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
    return _untagged(custodies_embedded(store, [epc], [key], first), "forEpc")


def custodies_embedded(
    store: GraphStore, epcs: list[str], keys: list[str], first: int
) -> list[Record]:
    """``chain_of_custody`` of many items, each row tagged ``forEpc`` (the EPC as
    written): at most eight store calls whatever their number."""
    live = {key: _live(found) for key, found in timelines(store, keys).items()}
    events = sorted({e for found in live.values() for e in found})
    parties = [
        (prefix, store.neighbours_many("EpcisEvent", events, rel_type, "out", "Party", limit=1000))
        for rel_type, prefix in (("SOURCE", "from_"), ("DESTINATION", "to_"))
    ]
    rows: list[Record] = []
    for epc, key in _tagged(epcs, keys):
        transfers = set()
        for prefix, found in parties:
            for event, node in live[key].items():
                for n in found.get(event, []):
                    transfers.add(
                        (
                            node.props.get("event_time"),
                            event,
                            node.props.get("biz_step"),
                            n.node.key,
                            n.node.props.get("name"),
                            prefix + str(n.edge.props.get("type")),
                        )
                    )
        ordered = sorted(transfers, key=lambda r: (r[0] is None, str(r[0]), r[1], r[5], r[3]))
        rows.extend(
            {
                "forEpc": epc,
                "at": at,
                "eventId": e,
                "bizStep": step,
                "party": party,
                "name": name,
                "role": role,
            }
            for at, e, step, party, name, role in ordered[:first]
        )
    return rows


def to_custody(rows: list[Record]) -> list[Custody]:
    return [
        Custody(r["at"], r["eventId"], r["bizStep"], r["party"], r["name"], r["role"]) for r in rows
    ]
