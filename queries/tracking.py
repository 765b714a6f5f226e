"""What the item-tracking queries share (product_journey, current_location,
customer_items, chain_of_custody, containment_at, end_of_life): the EPC parameters and an
item's timeline.

An item's events are those that name it and those that name a container (case, pallet,
truck ...) while it held the item (CONTAINS intervals from aggregation events,
epcis/containment.py): a pallet's shipping and receiving are legs of every item packed
on it. Places and parties carry their names from EPCIS master data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from epcis.epc import canonical_epc
from graph.store import GraphStore, Neighbour, Node
from queries.base import QueryParameterError, bounded

MAX_JOURNEY = 1000

check_journey = bounded("first", MAX_JOURNEY)


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


def tagged(epcs: list[str], keys: list[str]) -> list[tuple[str, str]]:
    """Each distinct EPC as written with its key, in the order given."""
    return list(dict.fromkeys(zip(epcs, keys, strict=True)))


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


def timelines(store: GraphStore, keys: list[str]) -> dict[str, list[Step]]:
    """Each item's events: each that names it (once per role), and each event naming a
    container while that container held it (through the nearest container: fewest
    levels, then container key, then role), unless the event names the item itself. At
    most six store calls whatever the items' number."""
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


def places(store: GraphStore, keys: list[str]) -> tuple[dict[str, Node], dict[str, Node]]:
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


def place_name(place: Node | None) -> Any:
    """A place's name from EPCIS master data, if it has one."""
    return None if place is None else place.props.get("name")


def live_events(steps: list[Step]) -> dict[str, Node]:
    """The timeline's events no error declaration retracted, by key."""
    return {s.event.key: s.event for s in steps if s.event.props.get("retracted") is not True}


def latest(events: dict[str, Node]) -> Node | None:
    """The latest of these events by event time (then key)."""
    return max(
        events.values(), key=lambda e: (str(e.props.get("event_time", "")), e.key), default=None
    )


def placed(store: GraphStore, steps: dict[str, list[Step]]) -> dict[str, tuple[Node, Node] | None]:
    """For each item's timeline, the latest live event that has a business location, and
    that location: one store call whatever their number."""
    live = {key: live_events(found) for key, found in steps.items()}
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
        event = latest({k: e for k, e in events.items() if k in places})
        placed[key] = None if event is None else (event, places[event.key][0].node)
    return placed
