"""customer_items and customers_items: the tagged items sold to a customer, newest sale
first, each with where it is now and its latest step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore, Neighbour
from queries.base import Grouped, batch_check, bounded, results, untagged
from queries.engine import named_query
from queries.tracking import latest, live_events, place_name, placed, timelines

MAX_ITEMS = 500

check_items = bounded("first", MAX_ITEMS)


class ItemRow(TypedDict):
    epc: str
    productId: str | None
    # Stored properties as read: the schema's types, which no store checks.
    productName: Any
    soldAt: Any
    location: str | None
    locationName: Any
    since: Any
    lastStep: Any
    disposition: Any


class TaggedItemRow(ItemRow):
    forCustomer: str


@dataclass(frozen=True, slots=True)
class TrackedItem:
    epc: str
    product_id: str | None
    product_name: str | None
    sold_at: str | None
    location: str | None  # where it is now
    location_name: str | None  # from EPCIS master data
    since: str | None
    last_step: str | None  # of its latest event
    disposition: str | None  # in_transit: on its way

    @property
    def in_transit(self) -> bool:
        return self.disposition == "in_transit"


def to_items(rows: list[ItemRow]) -> list[TrackedItem]:
    return results(TrackedItem, rows)


@named_query(
    "customers_items",
    Grouped(to_items),
    batch_check("customerIds", "customer ID", check_items),
)
def items_many(store: GraphStore, customerIds: list[str], first: int) -> list[TaggedItemRow]:
    """``customer_items`` of many customers, each row tagged ``forCustomer``: at most
    nine store calls whatever their number."""
    sold = store.neighbours_many(
        "Customer", customerIds, "SOLD_TO", "in", "ProductInstance", limit=10**6
    )
    pages: dict[str, list[Neighbour]] = {}
    for customer in dict.fromkeys(customerIds):
        mine = sorted(sold.get(customer, []), key=lambda n: n.node.key)
        # Newest sale first (a stable sort keeps EPC order within one time); Cypher puts
        # nulls first when descending.
        mine.sort(
            key=lambda n: (
                n.edge.props.get("sold_at") is None,
                str(n.edge.props.get("sold_at") or ""),
            ),
            reverse=True,
        )
        pages[customer] = mine[:first]
    keys = sorted({n.node.key for page in pages.values() for n in page})
    products = store.neighbours_many(
        "ProductInstance", keys, "INSTANCE_OF", "out", "Product", limit=1
    )
    steps = timelines(store, keys)
    found_at = placed(store, steps)
    rows: list[TaggedItemRow] = []
    for customer, page in pages.items():
        for n in page:
            where = found_at[n.node.key]
            last = latest(live_events(steps[n.node.key]))
            product = products[n.node.key][0].node if n.node.key in products else None
            rows.append(
                {
                    "forCustomer": customer,
                    "epc": n.node.key,
                    "productId": product.key if product else None,
                    "productName": product.props.get("name") if product else None,
                    "soldAt": n.edge.props.get("sold_at"),
                    "location": where[1].key if where else None,
                    "locationName": place_name(where[1]) if where else None,
                    "since": where[0].props.get("event_time") if where else None,
                    "lastStep": last.props.get("biz_step") if last else None,
                    "disposition": last.props.get("disposition") if last else None,
                }
            )
    return rows


@named_query("customer_items", to_items, check_items)
def items(store: GraphStore, customerId: str, first: int) -> list[ItemRow]:
    return untagged(items_many(store, [customerId], first))
