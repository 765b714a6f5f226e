"""Named traversals: one question, typed parameters, a typed result, two implementations.

Each query has a Cypher text (``queries/<name>.cypher``, linted, for analysts and the Neo4j
store) and an embedded implementation over the store port. Both produce the same result
type through the same constructor, and the conformance suite holds them to identical
answers on the same fixture graph (ARCHITECTURE.md §2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from graph.embedded import EmbeddedStore
from graph.errors import CkbError
from graph.neo4j_store import Neo4jStore
from graph.store import GraphStore
from queries import QUERY_DIR, QueryFile, parse_query_file

R = TypeVar("R")
Record = dict[str, Any]


class UnknownQueryError(CkbError):
    pass


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class SourceLink:
    system: str
    record_id: str
    rule: str | None
    score: float | None


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    household_id: str
    customer_id: str
    name: str | None
    role: str | None
    age_band: str | None


@dataclass(frozen=True, slots=True)
class LineValue:
    line: str
    name: str | None
    holdings: int
    monthly_value: float


@dataclass(frozen=True, slots=True)
class CustomerValue:
    customer_id: str
    lines: tuple[LineValue, ...]
    catalogue_lines: int

    @property
    def total_monthly_value(self) -> float:
        return round(sum(line.monthly_value for line in self.lines), 2)

    @property
    def lines_held(self) -> int:
        return len(self.lines)


# ----------------------------------------------------------------------------- embedded


def _sources_embedded(store: GraphStore, customer_id: str) -> list[Record]:
    links = store.neighbours(
        "Customer", customer_id, "RESOLVED_TO", "in", "SourceRecord", limit=10_000
    )
    rows = [
        {
            "system": n.node.props.get("source_system"),
            "recordId": n.node.props.get("source_record_id"),
            "rule": n.edge.props.get("rule"),
            "score": n.edge.props.get("score"),
        }
        for n in links
    ]
    return sorted(rows, key=lambda r: (str(r["system"]), str(r["recordId"])))


def _members_embedded(store: GraphStore, customer_id: str) -> list[Record]:
    rows = []
    for hh in store.neighbours("Customer", customer_id, "MEMBER_OF", "out", "Household"):
        for m in store.neighbours(
            "Household", hh.node.key, "MEMBER_OF", "in", "Customer", limit=10_000
        ):
            rows.append(
                {
                    "householdId": hh.node.key,
                    "customerId": m.node.key,
                    "name": m.node.props.get("name"),
                    "role": m.edge.props.get("role"),
                    "ageBand": m.edge.props.get("age_band"),
                }
            )
    return sorted(rows, key=lambda r: (r["householdId"], r["customerId"]))


def _value_embedded(store: GraphStore, customer_id: str) -> list[Record]:
    if store.get_node("Customer", customer_id) is None:
        return []
    holdings = store.neighbours("Customer", customer_id, "HOLDS", "out", "Holding", limit=100_000)
    active = [h.node for h in holdings if h.node.props.get("status") == "active"]
    products = store.neighbours_many("Holding", [h.key for h in active], "OF_PRODUCT", limit=1)
    product_keys = sorted({found[0].node.key for found in products.values()})
    lines = store.neighbours_many("Product", product_keys, "IN_LINE", limit=1)
    by_line: dict[str, dict[str, Any]] = {}
    for holding in active:
        product = products.get(holding.key)
        line = lines.get(product[0].node.key) if product else None
        if not line:
            continue
        entry = by_line.setdefault(
            line[0].node.key,
            {
                "line": line[0].node.key,
                "name": line[0].node.props.get("name"),
                "holdings": 0,
                "monthlyValue": 0.0,
            },
        )
        entry["holdings"] += 1
        value = holding.props.get("monthly_value")
        entry["monthlyValue"] += float(value) if isinstance(value, int | float) else 0.0
    catalogue = store.counts().nodes["ProductLine"]
    return [
        {
            "customerId": customer_id,
            "lines": [by_line[k] for k in sorted(by_line)],
            "catalogueLines": catalogue,
        }
    ]


# ----------------------------------------------------------------------------- results from rows


def _to_sources(rows: list[Record]) -> list[SourceLink]:
    return [SourceLink(r["system"], r["recordId"], r["rule"], r["score"]) for r in rows]


def _to_members(rows: list[Record]) -> list[HouseholdMember]:
    return [
        HouseholdMember(r["householdId"], r["customerId"], r["name"], r["role"], r["ageBand"])
        for r in rows
    ]


def _to_value(rows: list[Record]) -> CustomerValue | None:
    if not rows:
        return None
    row = rows[0]
    lines = tuple(
        LineValue(
            item["line"], item["name"], int(item["holdings"]), round(float(item["monthlyValue"]), 2)
        )
        for item in sorted(row["lines"], key=lambda i: i["line"])
    )
    return CustomerValue(row["customerId"], lines, int(row["catalogueLines"]))


@dataclass(frozen=True)
class NamedQuery(Generic[R]):
    name: str
    embedded: Callable[[GraphStore, str], list[Record]]
    result: Callable[[list[Record]], R]

    @property
    def file(self) -> QueryFile:
        return _query_file(self.name)


@cache
def _query_file(name: str) -> QueryFile:
    return parse_query_file(QUERY_DIR / f"{name}.cypher")


QUERIES: dict[str, NamedQuery[Any]] = {
    q.name: q
    for q in (
        NamedQuery("customer_sources", _sources_embedded, _to_sources),
        NamedQuery("household_members", _members_embedded, _to_members),
        NamedQuery("customer_value", _value_embedded, _to_value),
    )
}


def run_query(store: GraphStore, name: str, customer_id: str) -> Any:
    """Answer a named question on whichever store this is."""
    try:
        query = QUERIES[name]
    except KeyError:
        raise UnknownQueryError(f"unknown query {name!r}; queries: {', '.join(QUERIES)}") from None
    if isinstance(store, Neo4jStore):
        rows = store.read_query(name, query.file.text, {"customerId": customer_id})
    elif isinstance(store, EmbeddedStore):
        rows = query.embedded(store, customer_id)
    else:
        rows = query.embedded(store, customer_id)
    return query.result(rows)
