"""GraphQL inputs for the customer list (``where``, ``orderBy``) and their translation
into the filter tree of queries/customer_list.py — a mapping, no evaluation here."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Any

import strawberry

from graph import clock
from graph.schema import CUSTOMER_FILTERABLE
from queries.customer_filter import AllOf, AnyOf, Compare, Filter, Not, Order, Related


@strawberry.input(description="Conditions on a text (or ISO date) value; all given must hold.")
class StringFilter:
    eq: str | None = None
    in_: list[str] | None = strawberry.field(default=None, name="in")
    starts_with: str | None = None
    contains: str | None = None
    gt: str | None = None
    gte: str | None = None
    lt: str | None = None
    lte: str | None = None


@strawberry.input(description="Conditions on a number; all given must hold.")
class FloatFilter:
    eq: float | None = None
    in_: list[float] | None = strawberry.field(default=None, name="in")
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None


@strawberry.input
class TouchpointWhere:
    kind: StringFilter | None = None
    channel: StringFilter | None = None
    category: StringFilter | None = None
    resolution_status: StringFilter | None = None
    occurred_at: StringFilter | None = None
    within_days: int | None = strawberry.field(
        default=None, description="occurred in the last N days (from now, UTC)"
    )


@strawberry.input
class HoldingWhere:
    line: StringFilter | None = None
    product: StringFilter | None = None
    status: StringFilter | None = None


@strawberry.input(description="Some (at least one) or none of the customer's touchpoints match.")
class TouchpointsFilter:
    some: TouchpointWhere | None = None
    none: TouchpointWhere | None = None


@strawberry.input(description="Some (at least one) or none of the customer's holdings match.")
class HoldingsFilter:
    some: HoldingWhere | None = None
    none: HoldingWhere | None = None


@strawberry.input(description="All given conditions must hold; AND, OR and NOT combine filters.")
class CustomerWhere:
    and_: list[CustomerWhere] | None = strawberry.field(default=None, name="AND")
    or_: list[CustomerWhere] | None = strawberry.field(default=None, name="OR")
    not_: CustomerWhere | None = strawberry.field(default=None, name="NOT")
    id: StringFilter | None = None
    kind: StringFilter | None = None
    name: StringFilter | None = None
    email: StringFilter | None = None
    city: StringFilter | None = None
    country: StringFilter | None = None
    postal_code: StringFilter | None = None
    customer_since: StringFilter | None = None
    status: StringFilter | None = None
    value_tier: StringFilter | None = None
    rfm: StringFilter | None = None
    lifetime_value: FloatFilter | None = None
    churn_score: FloatFilter | None = None
    touchpoints: TouchpointsFilter | None = None
    holdings: HoldingsFilter | None = None


@strawberry.enum
class CustomerSortField(Enum):
    ID = "id"
    NAME = "name"
    CUSTOMER_SINCE = "customer_since"
    VALUE_TIER = "value_tier"
    LIFETIME_VALUE = "lifetime_value"
    CHURN_SCORE = "churn_score"
    TOTAL_VALUE = "total_value"
    TOUCHPOINT_COUNT = "touchpoint_count"
    HOLDINGS_COUNT = "holdings_count"


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class CustomerOrder:
    field: CustomerSortField
    direction: SortDirection = SortDirection.ASC


# What a list filters customers on (graph/schema.py), as docs/schema.graphql offers it:
# phone, address, birth_date and scored_on are not (yet) part of that contract.
CUSTOMER_WHERE_FIELDS = tuple(
    f for f in CUSTOMER_FILTERABLE if f not in {"phone", "address", "birth_date", "scored_on"}
)
_OPS = ("eq", "in_", "starts_with", "contains", "gt", "gte", "lt", "lte")


def _compares(field: str, condition: StringFilter | FloatFilter | None) -> list[Compare]:
    if condition is None:
        return []
    found = []
    for op in _OPS:
        value = getattr(condition, op, None)
        if value is not None:
            found.append(Compare(field, op.rstrip("_"), value))  # type: ignore[arg-type]
    return found


def _conditions(where: Any, fields: tuple[str, ...]) -> list[Compare]:
    return [c for f in fields for c in _compares(f, getattr(where, f))]


def _touchpoints(where: TouchpointWhere) -> tuple[Compare, ...]:
    found = _conditions(where, ("kind", "channel", "category", "resolution_status", "occurred_at"))
    if where.within_days is not None:
        since = clock.now() - timedelta(days=where.within_days)
        stamp = since.isoformat(timespec="seconds").replace("+00:00", "Z")  # as loaders store it
        found.append(Compare("occurred_at", "gte", stamp))
    return tuple(found)


def customer_filter(where: CustomerWhere | None) -> Filter | None:
    if where is None:
        return None
    parts: list[Filter] = list(_conditions(where, CUSTOMER_WHERE_FIELDS))
    for quantifier in ("some", "none"):
        if where.touchpoints and (tw := getattr(where.touchpoints, quantifier)) is not None:
            parts.append(Related("touchpoints", quantifier, _touchpoints(tw)))
        if where.holdings and (hw := getattr(where.holdings, quantifier)) is not None:
            held = tuple(_conditions(hw, ("line", "product", "status")))
            parts.append(Related("holdings", quantifier, held))
    for nested in where.and_ or []:
        if (f := customer_filter(nested)) is not None:
            parts.append(f)
    if where.or_:
        parts.append(AnyOf(tuple(f for w in where.or_ if (f := customer_filter(w)) is not None)))
    if where.not_ is not None and (f := customer_filter(where.not_)) is not None:
        parts.append(Not(f))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def customer_order(order: list[CustomerOrder] | None) -> list[Order]:
    return [Order(o.field.value, descending=o.direction is SortDirection.DESC) for o in order or []]
