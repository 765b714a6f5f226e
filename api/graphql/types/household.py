"""The Household type: its members and their value, each member counted once."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.types.customer import Customer, customer_from_node
from api.graphql.types.results import HouseholdValue, Recommendation


@strawberry.type
class Household:
    id: strawberry.ID

    @strawberry.field
    async def members(self, info: Info) -> list[Customer]:
        value = await info.context.loaders.household_value.load(str(self.id))
        if value is None:
            return []
        nodes = await info.context.loaders.customer.load_many(list(value.members))
        return [customer_from_node(n) for n in nodes if n is not None]

    @strawberry.field
    async def value(self, info: Info) -> HouseholdValue | None:
        """Each member counted once, a joint account once."""
        return await info.context.loaders.household_value.load(str(self.id))

    @strawberry.field
    async def white_space(self, info: Info, first: int = 3) -> list[Recommendation]:
        space = await info.context.loaders.white_space.load(str(self.id), first=first)
        return [] if space is None else list(space.recommendations)
