"""The customer filter tree and sort keys: what a customer list asks for, store-free.

``Compare`` tests a property, ``AllOf`` / ``AnyOf`` / ``Not`` combine, ``Related`` asks
whether some (or none) of a customer's touchpoints or holdings satisfy conditions. A
customer's own fields are graph/schema.py's ``CUSTOMER_FILTERABLE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Op = Literal["eq", "in", "gt", "gte", "lt", "lte", "starts_with", "contains"]
OPS: tuple[Op, ...] = ("eq", "in", "gt", "gte", "lt", "lte", "starts_with", "contains")
TOUCHPOINT_FIELDS = ("kind", "channel", "category", "resolution_status", "occurred_at")
HOLDING_FIELDS = ("status", "line", "product")  # line and product: the holding's product
AGGREGATES = ("total_value", "touchpoint_count", "holdings_count")
MAX_LIST_PAGE = 100


@dataclass(frozen=True, slots=True)
class Compare:
    field: str
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Filter


@dataclass(frozen=True, slots=True)
class Related:
    what: Literal["touchpoints", "holdings"]
    quantifier: Literal["some", "none"]
    conditions: tuple[Compare, ...]


Filter = Compare | AllOf | AnyOf | Not | Related


@dataclass(frozen=True, slots=True)
class Order:
    key: str  # a CUSTOMER_FILTERABLE name (graph/schema.py) or an AGGREGATES name
    descending: bool = False
