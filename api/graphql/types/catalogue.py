"""What the business offers and runs: products and their lines, campaigns and how they
were answered, and the value-tier segments ``ckb segment`` assigns."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info, ask, in_thread
from api.graphql.types.nodes import from_node
from api.graphql.types.results import CampaignCell, SegmentMember
from scoring.segments import check_segment, segment_definition, segment_size


@strawberry.type
class ProductLine:
    id: str
    name: str | None
    industry: str | None
    holders: int | None
    penetration: float | None


@strawberry.type
class Product:
    id: str
    name: str | None
    gtin: str | None
    category: str | None
    price: float | None
    currency: str | None
    holders: int | None

    @strawberry.field
    async def line(self, info: Info) -> ProductLine | None:
        found = await info.context.loaders.product_line.load(self.id)
        return from_node(ProductLine, found[0].node) if found else None


@strawberry.type
class Campaign:
    id: str
    name: str | None
    channel: str | None
    starts_on: str | None
    ends_on: str | None

    @strawberry.field
    async def response(self, info: Info) -> list[CampaignCell]:
        """Contacted, responded and converted customers by contact channel and value tier."""
        return await info.context.loaders.campaign_response.load(self.id)


@strawberry.type
class Segment:
    """Customers of one value tier (set by ``ckb segment``)."""

    name: str
    definition: str = strawberry.field(
        description="Who belongs: the tier's rules, tried best tier first; the first met counts."
    )

    @classmethod
    def named(cls, name: str) -> Segment:
        """The segment of this name; BAD_USER_INPUT naming the segments for any other."""
        return cls(name=check_segment(name), definition=segment_definition(name))

    @strawberry.field
    async def members(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> list[SegmentMember]:
        found: list[SegmentMember] = await ask(
            info.context.store, "segment_members", tier=self.name, after=after or "", first=first
        )
        return found

    @strawberry.field
    async def size(self, info: Info) -> int:
        """Customers in the segment, as the last ``ckb segment`` run left them."""
        return await in_thread(segment_size, info.context.store, self.name)
