"""customer_value and customers_value: a customer's monthly value per product line over
their active holdings; and the per-line sum household_value shares."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore, Node
from queries.base import check_customer_batch
from queries.customer_sql import SqlStore, sql_store
from queries.engine import named_query


class LineRow(TypedDict):
    line: str
    name: Any  # the line's stored name
    holdings: int
    monthlyValue: float


class ValueRow(TypedDict):
    customerId: str
    lines: list[LineRow]
    catalogueLines: int


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


def line_values_many(
    store: GraphStore, holdings_of: dict[str, list[Node]]
) -> dict[str, list[LineRow]]:
    """Monthly value per product line over each owner's distinct active holdings, ordered
    by line: two store calls whatever the owners' number."""
    active = {
        h.key: h
        for found in holdings_of.values()
        for h in found
        if h.props.get("status") == "active"
    }
    products = store.neighbours_many("Holding", sorted(active), "OF_PRODUCT", limit=1)
    product_keys = sorted({found[0].node.key for found in products.values()})
    lines = store.neighbours_many("Product", product_keys, "IN_LINE", limit=1)
    values: dict[str, list[LineRow]] = {}
    for owner, found in holdings_of.items():
        by_line: dict[str, LineRow] = {}
        for key in sorted({h.key for h in found if h.key in active}):
            product = products.get(key)
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
            value = active[key].props.get("monthly_value")
            entry["monthlyValue"] += float(value) if isinstance(value, int | float) else 0.0
        values[owner] = [by_line[k] for k in sorted(by_line)]
    return values


def to_lines(items: list[LineRow]) -> tuple[LineValue, ...]:
    return tuple(
        LineValue(i["line"], i["name"], int(i["holdings"]), round(float(i["monthlyValue"]), 2))
        for i in sorted(items, key=lambda i: i["line"])
    )


def _to_value(row: ValueRow) -> CustomerValue:
    return CustomerValue(row["customerId"], to_lines(row["lines"]), int(row["catalogueLines"]))


def to_value(rows: list[ValueRow]) -> CustomerValue | None:
    return _to_value(rows[0]) if rows else None


def to_values(rows: list[ValueRow]) -> dict[str, CustomerValue]:
    return {r["customerId"]: _to_value(r) for r in rows}


@named_query("customers_value", to_values, check_customer_batch)
def value_many(store: GraphStore, customerIds: list[str]) -> list[ValueRow]:
    found = store.get_nodes("Customer", customerIds)
    catalogue = store.counts().nodes["ProductLine"]
    sql = sql_store(store)
    if sql is not None and sql.has_rollups:
        lines = _kept_line_values(store, sql, sorted(found))
    else:
        held = store.neighbours_many(
            "Customer", sorted(found), "HOLDS", "out", "Holding", limit=100_000
        )
        lines = line_values_many(store, {c: [h.node for h in held.get(c, [])] for c in found})
    return [
        {"customerId": c, "lines": lines.get(c, []), "catalogueLines": catalogue}
        for c in dict.fromkeys(customerIds)
        if c in found
    ]


def _kept_line_values(
    store: GraphStore, sql: SqlStore, customers: list[str]
) -> dict[str, list[LineRow]]:
    """line_values_many's answer from the per-holder line table the embedded store keeps
    on write (graph/embedded/layout.py, ``customer_lines``): one read, however many
    holdings, instead of walking each holding to its product and line."""
    rows = sql.read_sql(
        "SELECT c.key, cl.line, count(*), sum(cl.value) FROM nodes AS c "
        "CROSS JOIN customer_lines AS cl ON cl.node = c.id "
        f"WHERE c.label = {sql.codes.labels['Customer']} "
        "AND c.key IN (SELECT value FROM json_each(:keys)) "
        "GROUP BY c.key, cl.line ORDER BY c.key, cl.line",
        {"keys": json.dumps(customers)},
    )
    names = store.get_nodes("ProductLine", sorted({line for _, line, _, _ in rows}))
    values: dict[str, list[LineRow]] = {}
    for customer, line, holdings, monthly in rows:
        named = names.get(line)
        values.setdefault(customer, []).append(
            {
                "line": line,
                "name": named.props.get("name") if named else None,
                "holdings": int(holdings),
                "monthlyValue": float(monthly),
            }
        )
    return values


@named_query("customer_value", to_value)
def value(store: GraphStore, customerId: str) -> list[ValueRow]:
    return value_many(store, [customerId])
