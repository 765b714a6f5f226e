"""The customer filter tree and sort keys: what a customer list asks for, store-free.

``Compare`` tests a property, ``AllOf`` / ``AnyOf`` / ``Not`` combine, ``Related`` asks
whether some (or none) of a customer's touchpoints or holdings satisfy conditions. A
customer's own fields are graph/schema.py's ``CUSTOMER_FILTERABLE``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

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


class FilterCompiler(ABC):
    """A filter tree written as one query language's condition, values bound as parameters.

    The walk is the same for every store; a dialect says how truth is spelled (Cypher
    ``true``/``false``, SQLite ``1``/``0``), how a negation stays two-valued when a property
    is missing, how a parameter is named, and how a customer field and a related-element
    test are written.
    """

    TRUE: ClassVar[str]
    FALSE: ClassVar[str]
    PLACEHOLDER: ClassVar[str]  # a format with {name}: "${name}", ":{name}"

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = self.bound(value)
        return self.PLACEHOLDER.format(name=name)

    def bound(self, value: Any) -> Any:
        """The value as the driver takes it."""
        return value

    def filter(self, f: Filter) -> str:
        if isinstance(f, Compare):
            return self.customer_field(f)
        if isinstance(f, AllOf):
            return self._joined(" AND ", f.parts, self.TRUE)
        if isinstance(f, AnyOf):
            return self._joined(" OR ", f.parts, self.FALSE)
        if isinstance(f, Not):
            return self.negated(self.filter(f.part))
        return self.related(f)

    def _joined(self, operator: str, parts: tuple[Filter, ...], empty: str) -> str:
        return "(" + operator.join(self.filter(p) for p in parts) + ")" if parts else empty

    @abstractmethod
    def customer_field(self, c: Compare) -> str:
        """``c`` on the customer's own property."""

    @abstractmethod
    def negated(self, condition: str) -> str:
        """NOT ``condition``, false where the condition is unknown."""

    @abstractmethod
    def related(self, f: Related) -> str:
        """Whether some (or none) of the customer's related elements satisfy ``f``."""
