"""chain_of_custody and instances_custody: who owned and possessed an item, transfer by
transfer (EPCIS source and destination parties of its events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.base import Grouped, batch_check, results, untagged
from queries.engine import named_query
from queries.tracking import (
    check_journey,
    live_events,
    prepare_epc,
    prepare_epcs,
    tagged,
    timelines,
)


class CustodyRow(TypedDict):
    # Stored properties as read: the schema's types, which no store checks.
    at: Any
    eventId: str
    bizStep: Any
    party: str
    name: Any
    role: str


class TaggedCustodyRow(CustodyRow):
    forEpc: str


@dataclass(frozen=True, slots=True)
class Custody:
    at: str | None
    event_id: str
    biz_step: str | None
    party: str
    name: str | None  # the party's, from EPCIS master data
    role: str  # from_owning_party, to_possessing_party ...


def to_custody(rows: list[CustodyRow]) -> list[Custody]:
    return results(Custody, rows)


@named_query(
    "instances_custody",
    Grouped(to_custody, "forEpc"),
    batch_check("epcs", "EPC", check_journey),
    prepare_epcs,
)
def custodies(
    store: GraphStore, epcs: list[str], keys: list[str], first: int
) -> list[TaggedCustodyRow]:
    """``chain_of_custody`` of many items, each row tagged ``forEpc`` (the EPC as
    written): at most eight store calls whatever their number."""
    live = {key: live_events(found) for key, found in timelines(store, keys).items()}
    events = sorted({e for found in live.values() for e in found})
    parties = [
        (prefix, store.neighbours_many("EpcisEvent", events, rel_type, "out", "Party", limit=1000))
        for rel_type, prefix in (("SOURCE", "from_"), ("DESTINATION", "to_"))
    ]
    rows: list[TaggedCustodyRow] = []
    for epc, key in tagged(epcs, keys):
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


@named_query("chain_of_custody", to_custody, check_journey, prepare_epc)
def custody(store: GraphStore, epc: str, key: str, first: int) -> list[CustodyRow]:
    return untagged(custodies(store, [epc], [key], first), "forEpc")
