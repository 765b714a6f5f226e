"""segment_members: the customers of one value tier, a page at a time in ID order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.base import bounded, number, results
from queries.engine import named_query

MAX_PAGE = 1000


class SegmentRow(TypedDict):
    customerId: str
    # Stored properties as read: the schema's types, which no store checks.
    name: Any
    lifetimeValue: Any


@dataclass(frozen=True, slots=True)
class SegmentMember:
    customer_id: str
    name: str | None
    lifetime_value: float | None


def to_segment(rows: list[SegmentRow]) -> list[SegmentMember]:
    return results(SegmentMember, rows, lifetime_value=number)


@named_query("segment_members", to_segment, bounded("first", MAX_PAGE))
def segment(store: GraphStore, tier: str, after: str, first: int) -> list[SegmentRow]:
    page = store.find_nodes("Customer", "value_tier", tier, limit=first, after=after or None)
    return [
        {
            "customerId": m.key,
            "name": m.props.get("name"),
            "lifetimeValue": m.props.get("lifetime_value"),
        }
        for m in page
    ]
