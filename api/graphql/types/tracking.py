"""The ProductInstance type: one tagged item's EPCIS story — where it went, who held it,
what it was packed in, how it ended, and (for readers of customers) who bought it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.context import Info, ask
from api.graphql.permissions import READERS
from api.graphql.types.customer import Customer, customer_from_node
from api.graphql.types.results import Container, CurrentLocation, Custody, EndOfLife, JourneyStep
from epcis.epc import canonical_epc


@strawberry.type
class ProductInstance:
    epc: str

    @strawberry.field
    async def journey(self, info: Info, first: int = 100) -> list[JourneyStep]:
        return await info.context.loaders.journey.load(self.epc, first=first)

    @strawberry.field
    async def current_location(self, info: Info) -> CurrentLocation | None:
        return await info.context.loaders.location.load(self.epc)

    @strawberry.field
    async def chain_of_custody(self, info: Info, first: int = 100) -> list[Custody]:
        """Which parties owned or held it, from commissioning on."""
        return await info.context.loaders.custody.load(self.epc, first=first)

    @strawberry.field
    async def containers(self, info: Info, at: datetime) -> list[Container]:
        """The case, pallet, truck ... it was in at that moment (innermost first)."""
        found: list[Container] = await ask(
            info.context.store, "containment_at", epc=self.epc, at=at.isoformat()
        )
        return found

    @strawberry.field
    async def end_of_life(self, info: Info) -> EndOfLife | None:
        """Recycled, destroyed, decommissioned or returned — or null while in use."""
        found: EndOfLife | None = await ask(info.context.store, "end_of_life", epc=self.epc)
        return found

    @strawberry.field
    async def buyer(self, info: Info) -> Customer | None:
        """The customer it was sold to (restricted to readers of customers)."""
        info.context.principal.require(READERS, "ProductInstance.buyer")
        found = await info.context.loaders.buyer.load(canonical_epc(self.epc))
        return customer_from_node(found[0].node) if found else None
