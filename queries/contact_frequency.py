"""contact_frequency: how often an agent's sales team contacted each customer they own in
a period, and whether that met the target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.base import QueryParameterError, results
from queries.engine import named_query

SALES_CONTACTS = ("sales_call", "sales_visit")


class ContactRow(TypedDict):
    customerId: str
    # Stored properties as read: the schema's types, which no store checks.
    name: Any
    valueTier: Any
    contacts: int
    onTarget: bool


@dataclass(frozen=True, slots=True)
class ContactFrequency:
    customer_id: str
    name: str | None
    value_tier: str | None
    contacts: int
    on_target: bool


def to_contacts(rows: list[ContactRow]) -> list[ContactFrequency]:
    return results(ContactFrequency, rows, contacts=int, on_target=bool)


def check_contacts(params: dict[str, Any]) -> None:
    if not 0 <= params["target"] <= 1000:
        raise QueryParameterError(f"target must be between 0 and 1000, got {params['target']}")
    if not params["from"] < params["to"]:
        raise QueryParameterError("from must be before to")


@named_query("contact_frequency", to_contacts, check_contacts)
def contacts(
    store: GraphStore, agentId: str, to: str, target: int, **period: str
) -> list[ContactRow]:
    start = period["from"]  # ``from`` is a keyword in Python
    owned = store.neighbours("Agent", agentId, "OWNED_BY", "in", "Customer", limit=1_000_000)
    touched = store.neighbours_many(
        "Customer", [c.node.key for c in owned], "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
    )
    rows: list[ContactRow] = []
    for c in owned:
        count = sum(
            1
            for n in touched.get(c.node.key, [])
            if n.node.props.get("kind") in SALES_CONTACTS
            and start <= str(n.node.props.get("occurred_at", "")) < to
        )
        rows.append(
            {
                "customerId": c.node.key,
                "name": c.node.props.get("name"),
                "valueTier": c.node.props.get("value_tier"),
                "contacts": count,
                "onTarget": count >= target,
            }
        )
    return sorted(rows, key=lambda r: (r["contacts"], r["customerId"]))
