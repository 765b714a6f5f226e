"""end_of_life: has an item reached the end of its life, and how?

CBV has no "recycling" or "returning" business step. ckb reads the end of an item's life
from CBV steps and dispositions (docs/queries.md, end_of_life):

- destroyed:      step ``destroying`` or disposition ``destroyed``
- recycled:       step ``disassembling`` or ``collecting``, or disposition ``disposed``
- decommissioned: step ``decommissioning``
- returned:       disposition ``returned`` (only while it is the item's latest event: a
                  returned item that is restocked or sold again is back in use)

The answer is the item's latest non-retracted event that says one of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.engine import named_query
from queries.tracking import prepare_epc


class EndOfLifeRow(TypedDict):
    epc: str
    status: str
    # Stored properties as read: the schema's types, which no store checks.
    at: Any
    eventId: str
    bizStep: Any
    disposition: Any


@dataclass(frozen=True, slots=True)
class EndOfLife:
    epc: str
    status: str  # recycled | destroyed | decommissioned | returned
    at: str | None
    event_id: str
    biz_step: str | None
    disposition: str | None


def status_of(step: Any, disposition: Any) -> str | None:
    """The end-of-life status one event declares, if any (same order as the Cypher)."""
    if step == "destroying" or disposition == "destroyed":
        return "destroyed"
    if step in ("disassembling", "collecting") or disposition == "disposed":
        return "recycled"
    if step == "decommissioning":
        return "decommissioned"
    if disposition == "returned":
        return "returned"
    return None


def to_end_of_life(rows: list[EndOfLifeRow]) -> EndOfLife | None:
    if not rows:
        return None
    r = rows[0]
    return EndOfLife(r["epc"], r["status"], r["at"], r["eventId"], r["bizStep"], r["disposition"])


@named_query("end_of_life", to_end_of_life, prepare=prepare_epc)
def end_of_life(graph: GraphStore, epc: str, key: str) -> list[EndOfLifeRow]:
    seen = graph.neighbours("ProductInstance", key, "OBSERVED", "in", "EpcisEvent", limit=10**6)
    live = {n.node.key: n.node for n in seen if n.node.props.get("retracted") is not True}
    events = sorted(
        live.values(), key=lambda e: (str(e.props.get("event_time", "")), e.key), reverse=True
    )
    for e in events:
        status = status_of(e.props.get("biz_step"), e.props.get("disposition"))
        if status is None:
            continue
        if status == "returned" and e is not events[0]:
            return []
        return [
            {
                "epc": key,
                "status": status,
                "at": e.props.get("event_time"),
                "eventId": e.key,
                "bizStep": e.props.get("biz_step"),
                "disposition": e.props.get("disposition"),
            }
        ]
    return []
