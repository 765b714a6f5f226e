"""current_location and instances_location: where an item is now: the business location
of its latest live event that has one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.base import Grouped, batch_check, untagged
from queries.engine import named_query
from queries.tracking import placed, prepare_epc, prepare_epcs, tagged, timelines


class LocationRow(TypedDict):
    location: str
    # Stored properties as read: the schema's types, which no store checks.
    name: Any
    since: Any
    bizStep: Any
    disposition: Any
    eventId: str


class TaggedLocationRow(LocationRow):
    forEpc: str


@dataclass(frozen=True, slots=True)
class CurrentLocation:
    location: str
    name: str | None  # from EPCIS master data
    since: str | None
    biz_step: str | None
    disposition: str | None
    event_id: str


def to_location(rows: list[LocationRow]) -> CurrentLocation | None:
    if not rows:
        return None
    r = rows[0]
    return CurrentLocation(
        r["location"], r["name"], r["since"], r["bizStep"], r["disposition"], r["eventId"]
    )


@named_query(
    "instances_location",
    Grouped(to_location, "forEpc"),
    batch_check("epcs", "EPC"),
    prepare_epcs,
)
def locations(store: GraphStore, epcs: list[str], keys: list[str]) -> list[TaggedLocationRow]:
    """``current_location`` of many items, each row tagged ``forEpc`` (the EPC as
    written): at most seven store calls whatever their number."""
    found_at = placed(store, timelines(store, keys))
    rows: list[TaggedLocationRow] = []
    for epc, key in tagged(epcs, keys):
        found = found_at[key]
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


@named_query("current_location", to_location, prepare=prepare_epc)
def location(store: GraphStore, epc: str, key: str) -> list[LocationRow]:
    return untagged(locations(store, [epc], [key]), "forEpc")
