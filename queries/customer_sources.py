"""customer_sources and customers_sources: which source systems hold a customer, and how
each source record resolved to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.base import Grouped, check_customer_batch, results, untagged
from queries.engine import named_query


class SourceRow(TypedDict):
    # Stored properties as read: the schema's types, which no store checks.
    system: Any
    recordId: Any
    rule: Any
    score: Any


class TaggedSourceRow(SourceRow):
    forCustomer: str


@dataclass(frozen=True, slots=True)
class SourceLink:
    system: str
    record_id: str
    rule: str | None
    score: float | None


def to_sources(rows: list[SourceRow]) -> list[SourceLink]:
    return results(SourceLink, rows)


@named_query("customers_sources", Grouped(to_sources), check_customer_batch)
def sources_many(store: GraphStore, customerIds: list[str]) -> list[TaggedSourceRow]:
    """Source records of each customer, each row tagged ``forCustomer``."""
    links = store.neighbours_many(
        "Customer", customerIds, "RESOLVED_TO", "in", "SourceRecord", limit=10_000
    )
    rows: list[TaggedSourceRow] = [
        {
            "forCustomer": customer,
            "system": n.node.props.get("source_system"),
            "recordId": n.node.props.get("source_record_id"),
            "rule": n.edge.props.get("rule"),
            "score": n.edge.props.get("score"),
        }
        for customer in dict.fromkeys(customerIds)
        for n in links.get(customer, [])
    ]
    return sorted(rows, key=lambda r: (r["forCustomer"], str(r["system"]), str(r["recordId"])))


@named_query("customer_sources", to_sources)
def sources(store: GraphStore, customerId: str) -> list[SourceRow]:
    return untagged(sources_many(store, [customerId]))
