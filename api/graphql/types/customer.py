"""The Customer type: the golden record's profile and everything asked of one customer.

Each field resolves through the request's DataLoaders (api/graphql/context.py), so a page
of customers costs one batched store call per field, not one per customer. The sensitive
fields name the roles that may read them; third-party data needs the customer's consent
too (the loader applies governance/consent.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import strawberry

from api.graphql.context import Info, in_thread
from api.graphql.permissions import ADMINS, ANALYSTS, field_for
from api.graphql.types.nodes import from_node
from api.graphql.types.results import (
    ChurnRisk,
    CustomerValue,
    HoldingSummary,
    HouseholdMember,
    NetworkInfluence,
    Recommendation,
    RelatedCustomer,
    RelationshipPaths,
    SourceLink,
    TouchpointSummary,
    TrackedItem,
    touchpoint_cursor,
)
from graph import clock
from graph.schema import CUSTOMER_PROFILE
from graph.store import Node
from queries.engine import run_query
from scoring.rfm import purchase_total

# The profile as docs/schema.graphql shows it: the key is the ID, and birth_date is not
# (yet) part of that contract.
CUSTOMER_PROPS = tuple(f for f in CUSTOMER_PROFILE if f not in {"id", "birth_date"})


@strawberry.type
class CreditProfile:
    """Sensitive: analysts and admins only."""

    id: str
    score: int | None
    rating: str | None
    credit_limit: float | None
    outstanding_debt: float | None
    assessed_on: str | None


@strawberry.type
class Demographics:
    """Purchased third-party data: analysts and admins, and only where the customer's
    consent for third-party data use is on record."""

    provider: str | None
    household_size: int | None
    income_band: str | None
    home_value_band: str | None
    match_score: float | None


@strawberry.type
class Consent:
    id: str
    purpose: str | None
    channel: str | None
    granted: bool | None
    given_at: str | None
    withdrawn_at: str | None


@strawberry.type(description="One line of a purchase: a product, how many and for how much.")
class PurchaseItem:
    product_id: str
    product_name: str | None
    quantity: int | None
    amount: float | None


@strawberry.type
class Purchase:
    id: str
    purchased_at: str | None
    currency: str | None
    department: str | None
    channel: str | None

    @strawberry.field
    async def amount(self, info: Info) -> float | None:
        """The purchase's total: the sum of its items' amounts."""
        items = await info.context.loaders.purchase_items.load(self.id)
        return purchase_total(item.edge.props for item in items)

    @strawberry.field
    async def items(self, info: Info) -> list[PurchaseItem]:
        """What was bought, by product."""
        items = await info.context.loaders.purchase_items.load(self.id)
        return [
            PurchaseItem(
                product_id=item.node.key,
                product_name=cast(str | None, item.node.props.get("name")),
                quantity=cast(int | None, item.edge.props.get("quantity")),
                amount=cast(float | None, item.edge.props.get("amount")),
            )
            for item in items
        ]


@strawberry.type
class Customer:
    id: strawberry.ID
    kind: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    customer_since: str | None = None
    status: str | None = None
    value_tier: str | None = None
    lifetime_value: float | None = None
    churn_score: float | None = None
    churn_signals: list[str] | None = None
    rfm: str | None = None
    scored_on: str | None = None
    restricted: strawberry.Private[dict[str, Any]] = strawberry.field(default_factory=dict)

    @field_for(*ADMINS)
    def national_id(self) -> str | None:
        """Sensitive: admins only."""
        value = self.restricted.get("national_id")
        return None if value is None else str(value)

    @field_for(*ANALYSTS)
    async def credit_profile(self, info: Info) -> CreditProfile | None:
        node = await info.context.loaders.credit.load(str(self.id))
        return None if node is None else from_node(CreditProfile, node)

    @field_for(*ANALYSTS)
    async def demographics(self, info: Info) -> Demographics | None:
        node = await info.context.loaders.third_party.load(str(self.id))
        return None if node is None else from_node(Demographics, node)

    @strawberry.field
    async def consents(self, info: Info) -> list[Consent]:
        """What the customer allows, per purpose and channel (one record per source)."""
        found = await info.context.loaders.consents.load(str(self.id))
        return [from_node(Consent, n) for n in found]

    @strawberry.field
    async def purchases(self, info: Info, first: int = 20) -> list[Purchase]:
        """The most recent purchases first."""
        recent = await info.context.loaders.purchases.load(str(self.id))
        return [from_node(Purchase, n) for n in recent[:first]]

    @strawberry.field
    async def sources(self, info: Info) -> list[SourceLink]:
        return await info.context.loaders.sources.load(str(self.id))

    @strawberry.field
    async def household(self, info: Info) -> list[HouseholdMember]:
        return await info.context.loaders.household.load(str(self.id))

    @strawberry.field
    async def holdings(self, info: Info) -> list[HoldingSummary]:
        return await info.context.loaders.holdings.load(str(self.id))

    @strawberry.field
    async def value(self, info: Info) -> CustomerValue | None:
        return await info.context.loaders.value.load(str(self.id))

    @strawberry.field
    async def touchpoints(
        self, info: Info, first: int = 20, after: str | None = None, channel: str | None = None
    ) -> list[TouchpointSummary]:
        """Newest first; ``after`` is the ``cursor`` of the last touchpoint already read."""
        before_time, before_id = touchpoint_cursor(after)
        return await info.context.loaders.touchpoints.load(
            str(self.id),
            channel=channel or "",
            first=first,
            beforeTime=before_time,
            beforeId=before_id,
        )

    @strawberry.field
    async def churn_risk(self, info: Info, as_of: date | None = None) -> ChurnRisk | None:
        return await info.context.loaders.churn_risk.load(
            str(self.id), asOf=(as_of or clock.today()).isoformat()
        )

    @strawberry.field
    async def next_best_products(
        self, info: Info, first: int = 3, as_of: date | None = None
    ) -> list[Recommendation]:
        """Only products the customer may be offered (age taken on ``asOf``, default today)."""
        space = await info.context.loaders.next_best.load(
            str(self.id), first=first, asOf=(as_of or clock.today()).isoformat()
        )
        return [] if space is None else list(space.recommendations)

    @strawberry.field
    async def relationships(
        self, info: Info, kind: str | None = None, first: int = 50
    ) -> list[RelatedCustomer]:
        return await info.context.loaders.related.load(str(self.id), kind=kind or "", first=first)

    @strawberry.field
    async def path_to(
        self, info: Info, customer_id: strawberry.ID, max_hops: int = 4
    ) -> RelationshipPaths:
        found: RelationshipPaths = await in_thread(  # a path search can walk far: off the loop
            run_query,
            info.context.store,
            "relationship_path",
            fromId=self.id,
            toId=str(customer_id),
            maxHops=max_hops,
        )
        return found

    @strawberry.field
    async def network(self, info: Info, hops: int = 2, first: int = 20) -> NetworkInfluence | None:
        """The customers and households within ``hops`` steps, most central first."""
        return await info.context.loaders.network.load(self.id, hops=hops, first=first)

    @strawberry.field
    async def tracked_items(self, info: Info, first: int = 50) -> list[TrackedItem]:
        """Every tagged item this customer bought, where it is and whether it is on its way."""
        return await info.context.loaders.items.load(str(self.id), first=first)


def customer_from_node(node: Node) -> Customer:
    return Customer(
        id=strawberry.ID(node.key),
        **cast(dict[str, Any], {f: node.props.get(f) for f in CUSTOMER_PROPS}),
        restricted={"national_id": node.props.get("national_id")},
    )
