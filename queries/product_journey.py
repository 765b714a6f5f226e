"""product_journey and instances_journey: an item's life, event by event: what happened,
where, in which role (its own events and its containers' while they held it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore, Node
from queries.base import Grouped, batch_check, results, untagged
from queries.engine import named_query
from queries.tracking import (
    Step,
    check_journey,
    place_name,
    places,
    prepare_epc,
    prepare_epcs,
    tagged,
    timelines,
)


class JourneyRow(TypedDict):
    eventId: str
    # Stored properties as read: the schema's types, which no store checks.
    eventType: Any
    eventTime: Any
    action: Any
    bizStep: Any
    disposition: Any
    role: str | None
    container: str | None
    bizLocation: str | None
    bizLocationName: Any
    readPoint: str | None
    readPointName: Any
    retracted: bool


class TaggedJourneyRow(JourneyRow):
    forEpc: str


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


def to_journey(rows: list[JourneyRow]) -> list[JourneyStep]:
    return results(JourneyStep, rows, retracted=bool)


@named_query(
    "instances_journey",
    Grouped(to_journey, "forEpc"),
    batch_check("epcs", "EPC", check_journey),
    prepare_epcs,
)
def journeys(
    store: GraphStore, epcs: list[str], keys: list[str], first: int
) -> list[TaggedJourneyRow]:
    """``product_journey`` of many items, each row tagged ``forEpc`` (the EPC as written):
    at most seven store calls whatever their number."""
    steps = timelines(store, keys)
    at, read = places(store, sorted({s.event.key for found in steps.values() for s in found}))
    return [
        {"forEpc": epc, **row}
        for epc, key in tagged(epcs, keys)
        for row in _journey_rows(steps[key], at, read)[:first]
    ]


def _journey_rows(
    steps: list[Step], at: dict[str, Node], read: dict[str, Node]
) -> list[JourneyRow]:
    rows: list[JourneyRow] = []
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
                "bizLocationName": place_name(place),
                "readPoint": reader.key if reader else None,
                "readPointName": place_name(reader),
                "retracted": e.props.get("retracted") is True,
            }
        )
    rows.sort(
        key=lambda r: (r["eventTime"] is None, str(r["eventTime"]), r["eventId"], str(r["role"]))
    )
    return rows


@named_query("product_journey", to_journey, check_journey, prepare_epc)
def journey(store: GraphStore, epc: str, key: str, first: int) -> list[JourneyRow]:
    return untagged(journeys(store, [epc], [key], first), "forEpc")
