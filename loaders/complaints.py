"""A complaint resolved from an agent's screen: the complaint touchpoint itself is closed.

The touchpoint keeps its time, channel, reason and source; it gains
``resolution_status = resolved``, ``resolved_at`` and, when given, the outcome the agent
typed — what churn scoring reads (scoring/churn.py counts a complaint open until
``resolved_at``). Only an open complaint can be resolved, so a second resolution of the
same complaint is refused, not recorded twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph import clock
from graph.errors import CkbError
from graph.store import GraphStore, PropertyValue

MAX_OUTCOME = 200


class ComplaintError(CkbError):
    """No such complaint, or it is not open."""


@dataclass(frozen=True, slots=True)
class ComplaintResolution:
    touchpoint_id: str
    customer_id: str
    resolved_at: str


def resolve_complaint(
    store: GraphStore, touchpoint_id: str, outcome: str | None = None
) -> ComplaintResolution:
    node = store.get_node("Touchpoint", touchpoint_id)
    if node is None or node.props.get("kind") != "complaint":
        raise ComplaintError(f"no complaint {touchpoint_id!r}")
    if node.props.get("resolution_status") != "open":
        raise ComplaintError(f"complaint {touchpoint_id!r} is not open")
    if outcome is not None and len(outcome) > MAX_OUTCOME:
        raise ComplaintError(f"outcome must be at most {MAX_OUTCOME} characters")
    owners = store.neighbours("Touchpoint", touchpoint_id, "HAD_TOUCHPOINT", "in", "Customer", 1)
    if not owners:
        raise ComplaintError(f"complaint {touchpoint_id!r} belongs to no customer")
    at = clock.now_iso()
    change: dict[str, PropertyValue] = {
        "id": touchpoint_id,
        "resolution_status": "resolved",
        "resolved_at": at,
    }
    if outcome and outcome.strip():
        change["outcome"] = outcome.strip()
    store.upsert_nodes("Touchpoint", [change], touch={"loaded_at": at})
    return ComplaintResolution(touchpoint_id, owners[0].node.key, at)
