"""The GraphQL Query root (strawberry): the entry points over the named traversals.

Resolvers fetch through ``queries`` (named queries, the customer list), the per-request
DataLoaders (api/graphql/context.py) or the store port, and return the results, which
are the GraphQL types (api/graphql/types/); no business logic and no Cypher lives here.
Every root field names the roles that may resolve it (api/graphql/permissions.py); long
store calls run in the thread pool. api/graphql/app.py builds the schema from this root,
the mutations and the subscriptions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info, ask, in_thread
from api.graphql.filters import CustomerOrder, CustomerWhere, customer_filter, customer_order
from api.graphql.permissions import ANALYSTS, READERS, field_for
from api.graphql.types.catalogue import Campaign, Product, Segment
from api.graphql.types.customer import Customer, customer_from_node
from api.graphql.types.household import Household
from api.graphql.types.lists import CustomerConnection, CustomerEdge, PageInfo
from api.graphql.types.nodes import from_node
from api.graphql.types.results import AtRisk, CustomerAggregate, CustomerHit, ShelfInteraction
from api.graphql.types.review import PossibleMatch, possible_match
from api.graphql.types.tracking import ProductInstance
from graph import clock
from identity.quality import quality_report
from identity.review import list_review
from queries.customer_list import aggregate_customers, decode_cursor, encode_cursor, list_customers
from queries.engine import run_query
from scoring.segments import segment_names


def _selected(info: Info, name: str) -> bool:
    """Whether the client asked for this field of the current one (skip costly counts)."""
    return any(
        getattr(child, "name", None) == name
        for selected in info.selected_fields
        for child in selected.selections
    )


@strawberry.type
class Query:
    @field_for(*READERS)
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        """A customer by ID; a retired ID (merged away) finds the customer it joined."""
        node = await info.context.loaders.current_customer.load(str(id))
        return None if node is None else customer_from_node(node)

    @field_for(*READERS)
    async def customers(
        self,
        info: Info,
        where: CustomerWhere | None = None,
        order_by: list[CustomerOrder] | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> CustomerConnection:
        """Customers filtered by ``where`` (properties, AND/OR/NOT, and some/none of their
        touchpoints or holdings), sorted by ``orderBy`` (properties or aggregates: total
        value, touchpoint count, holdings count; nulls last, then ID), a page of at most 100
        at a time; ``after`` is the ``endCursor`` of the previous page."""
        page = await in_thread(
            list_customers,
            info.context.store,
            customer_filter(where),
            customer_order(order_by),
            first,
            after,
            _selected(info, "totalCount"),
        )
        found = await info.context.loaders.customer.load_many(page.ids)
        edges = [
            CustomerEdge(cursor=encode_cursor(n, node.key), node=customer_from_node(node))
            for n, node in enumerate(found, start=decode_cursor(after)[0] + 1)
            if node is not None
        ]
        return CustomerConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            total_count=page.total,
        )

    @field_for(*READERS)
    async def customers_aggregate(
        self, info: Info, where: CustomerWhere | None = None
    ) -> CustomerAggregate:
        """Count, sum, average, minimum and maximum of value over the customers ``where``
        selects, and their value per product line (a joint account counted once)."""
        return await in_thread(aggregate_customers, info.context.store, customer_filter(where))

    @field_for(*READERS)
    async def household(self, info: Info, id: strawberry.ID) -> Household | None:
        node = await info.context.loaders.node("Household").load(str(id))
        return None if node is None else Household(id=strawberry.ID(node.key))

    @field_for(*READERS)
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        node = await info.context.loaders.node("Product").load(str(id))
        return None if node is None else from_node(Product, node)

    @field_for(*READERS)
    async def campaign(self, info: Info, id: strawberry.ID) -> Campaign | None:
        node = await info.context.loaders.node("Campaign").load(str(id))
        return None if node is None else from_node(Campaign, node)

    @field_for(*READERS)
    async def segment(self, info: Info, name: str) -> Segment:
        """A value-tier segment (one of ``segments``) and its members."""
        return Segment.named(name)

    @field_for(*READERS)
    async def segments(self, info: Info) -> list[Segment]:
        """Every segment ``ckb segment`` assigns (the value tiers), best first."""
        return [Segment.named(name) for name in segment_names()]

    @field_for(*READERS)
    async def product_instance(self, info: Info, epc: str) -> ProductInstance | None:
        """A tagged item by its EPC, as an EPC URN or a GS1 Digital Link."""
        found = await info.context.loaders.location.load(epc)
        journey = found or await info.context.loaders.journey.load(epc, first=1)
        return ProductInstance(epc=epc) if journey else None

    @field_for(*READERS)
    async def shelf_interactions(
        self,
        info: Info,
        store: str,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        product: str | None = None,
    ) -> list[ShelfInteraction]:
        """Pick-ups and put-downs per product at a store (SGLN or GLN Digital Link) over
        [from, to), with units sold there and the pick-up-to-purchase conversion."""
        found: list[ShelfInteraction] = await in_thread(
            run_query,
            info.context.store,
            "shelf_interactions",
            store=store,
            product=product or "",
            **{"from": from_.isoformat(), "to": to.isoformat()},
        )
        return found

    @field_for(*ANALYSTS)
    async def review_queue(
        self, info: Info, status: str = "open", first: int = 50
    ) -> list[PossibleMatch]:
        items = await in_thread(list_review, info.context.store, status, first)
        return [possible_match(item) for item in items]

    @field_for(*ANALYSTS)
    async def data_quality(self, info: Info) -> JSON:
        """Per source system: duplicates, flagged and missing values, load rejects."""
        return JSON(await in_thread(quality_report, info.context.store, clock.today()))

    @field_for(*READERS)
    async def search_customers(self, info: Info, text: str, first: int = 20) -> list[CustomerHit]:
        hits: list[CustomerHit] = await ask(
            info.context.store, "search_customers", text=text, first=first
        )
        return hits

    @field_for(*READERS)
    async def at_risk(
        self, info: Info, tier: str, min_score: float = 0.3, first: int = 50
    ) -> list[AtRisk]:
        found: list[AtRisk] = await ask(
            info.context.store, "at_risk", tier=tier, minScore=min_score, first=first
        )
        return found
