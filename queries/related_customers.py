"""related_customers and customers_related: the customers a customer is related to (family,
referral, employer ...), in both directions, optionally of one kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.base import Grouped, batch_check, bounded, results, untagged
from queries.engine import named_query

MAX_RELATED = 1000


class RelatedRow(TypedDict):
    customerId: str
    # Stored properties as read: the schema's types, which no store checks.
    name: Any
    kind: Any
    direction: str
    since: Any


class TaggedRelatedRow(RelatedRow):
    forCustomer: str


@dataclass(frozen=True, slots=True)
class RelatedCustomer:
    customer_id: str
    name: str | None
    kind: str | None
    direction: str  # 'out': this customer is the subject of the relationship; 'in': its object
    since: str | None


def to_related(rows: list[RelatedRow]) -> list[RelatedCustomer]:
    return results(RelatedCustomer, rows)


_check_first = bounded("first", MAX_RELATED)


@named_query(
    "customers_related",
    Grouped(to_related),
    batch_check("customerIds", "customer ID", _check_first),
)
def related_many(
    store: GraphStore, customerIds: list[str], kind: str, first: int
) -> list[TaggedRelatedRow]:
    """Each customer's related customers, each row tagged ``forCustomer``."""
    found = store.neighbours_many(
        "Customer", customerIds, "RELATED_TO", "both", "Customer", limit=100_000
    )
    rows: list[TaggedRelatedRow] = []
    for customer in dict.fromkeys(customerIds):
        mine: list[TaggedRelatedRow] = [
            {
                "forCustomer": customer,
                "customerId": n.node.key,
                "name": n.node.props.get("name"),
                "kind": n.edge.props.get("kind"),
                "direction": "out" if n.edge.src_key == customer else "in",
                "since": n.edge.props.get("since"),
            }
            for n in found.get(customer, [])
            if not kind or n.edge.props.get("kind") == kind
        ]
        mine.sort(
            key=lambda r: (r["kind"] is None, str(r["kind"]), r["customerId"], r["direction"])
        )
        rows.extend(mine[:first])
    return rows


@named_query("related_customers", to_related, _check_first)
def related(store: GraphStore, customerId: str, kind: str, first: int) -> list[RelatedRow]:
    return untagged(related_many(store, [customerId], kind, first))
