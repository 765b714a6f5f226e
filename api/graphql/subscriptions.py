"""Subscriptions (graphql-transport-ws): what changed, as it happens.

``customerChanged(id)`` follows one customer (an agent's open screen); ``churnAlert(minTier)``
streams customers whose churn risk crosses the at-risk score after a change, from the
given value tier up (a retention desk).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.events import ChurnAlert, CustomerChange
from api.graphql.context import Info
from api.graphql.permissions import READERS, needs
from graph.errors import CkbError

TIERS = ("bronze", "silver", "gold")


class SubscriptionArgumentError(CkbError):
    """A subscription argument out of its range."""


@strawberry.type
class CustomerChangedEvent:
    customer_id: str
    change: str
    at: str
    detail: str | None


@strawberry.type
class ChurnAlertEvent:
    customer_id: str
    name: str | None
    value_tier: str | None
    score: float
    signals: list[str]
    at: str


@strawberry.type
class Subscription:
    @strawberry.subscription(permission_classes=needs(*READERS))  # type: ignore[untyped-decorator]
    async def customer_changed(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[CustomerChangedEvent, None]:
        async for event in info.context.hub.events():
            if isinstance(event, CustomerChange) and event.customer_id == str(id):
                yield CustomerChangedEvent(
                    customer_id=event.customer_id, change=event.change, at=event.at,
                    detail=event.detail,
                )  # fmt: skip

    @strawberry.subscription(permission_classes=needs(*READERS))  # type: ignore[untyped-decorator]
    async def churn_alert(
        self, info: Info, min_tier: str = "gold"
    ) -> AsyncGenerator[ChurnAlertEvent, None]:
        if min_tier not in TIERS:
            raise SubscriptionArgumentError(
                f"minTier must be one of {', '.join(TIERS)}, got {min_tier!r}"
            )
        lowest = TIERS.index(min_tier)
        async for event in info.context.hub.events():
            if not isinstance(event, ChurnAlert):
                continue
            tier = event.value_tier if event.value_tier in TIERS else "bronze"
            if TIERS.index(tier) >= lowest:
                yield ChurnAlertEvent(
                    customer_id=event.customer_id, name=event.name, value_tier=event.value_tier,
                    score=event.score, signals=list(event.signals), at=event.at,
                )  # fmt: skip
