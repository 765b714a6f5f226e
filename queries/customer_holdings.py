"""customer_holdings and customers_holdings: every account a customer holds, across all
product lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypedDict

from graph.embedded.texts import loads
from graph.store import GraphStore
from queries.base import Grouped, check_customer_batch, number, results, untagged
from queries.customer_sql import SqlStore, sql_store
from queries.engine import named_query


class HoldingRow(TypedDict):
    accountId: str
    productId: str | None
    # Stored properties as read: the schema's types, which no store checks.
    productName: Any
    line: str | None
    status: Any
    role: Any
    openedOn: Any
    closedOn: Any
    balance: Any
    monthlyValue: Any


class TaggedHoldingRow(HoldingRow):
    forCustomer: str


@dataclass(frozen=True, slots=True)
class HoldingSummary:
    account_id: str
    product_id: str | None
    product_name: str | None
    line: str | None
    status: str | None
    role: str | None
    opened_on: str | None
    closed_on: str | None
    balance: float | None
    monthly_value: float | None


def to_holdings(rows: list[HoldingRow]) -> list[HoldingSummary]:
    return results(HoldingSummary, rows, balance=number, monthly_value=number)


@named_query("customers_holdings", Grouped(to_holdings), check_customer_batch)
def holdings_many(store: GraphStore, customerIds: list[str]) -> list[TaggedHoldingRow]:
    """Every holding of each customer, each row tagged ``forCustomer``."""
    sql = sql_store(store)
    rows = _joined(sql, customerIds) if sql is not None else _walked(store, customerIds)
    # Cypher sorts nulls last in ascending order.
    return sorted(
        rows,
        key=lambda r: (r["forCustomer"], r["line"] is None, r["line"] or "", r["accountId"]),
    )


def _walked(store: GraphStore, customerIds: list[str]) -> list[TaggedHoldingRow]:
    """Through the store port: holdings, then their products, then the products' lines."""
    held = store.neighbours_many("Customer", customerIds, "HOLDS", "out", "Holding", limit=100_000)
    accounts = sorted({h.node.key for found in held.values() for h in found})
    products = store.neighbours_many("Holding", accounts, "OF_PRODUCT", limit=1)
    product_keys = sorted({p[0].node.key for p in products.values()})
    lines = store.neighbours_many("Product", product_keys, "IN_LINE", limit=1)
    rows: list[TaggedHoldingRow] = []
    for customer in dict.fromkeys(customerIds):
        for h in held.get(customer, []):
            product = products[h.node.key][0].node if h.node.key in products else None
            line = lines[product.key][0].node.key if product and product.key in lines else None
            props = h.node.props
            rows.append(
                {
                    "forCustomer": customer,
                    "accountId": h.node.key,
                    "productId": product.key if product else None,
                    "productName": product.props.get("name") if product else None,
                    "line": line,
                    "status": props.get("status"),
                    "role": h.edge.props.get("role"),
                    "openedOn": props.get("opened_on"),
                    "closedOn": props.get("closed_on"),
                    "balance": props.get("balance"),
                    "monthlyValue": props.get("monthly_value"),
                }
            )
    return rows


def _joined(sql: SqlStore, customerIds: list[str]) -> list[TaggedHoldingRow]:
    """The same rows in one read of the embedded file: a rich customer's hundreds of
    holdings, products and lines joined in SQL instead of three walks, each row built from
    the stored properties as the walk reads them. A holding's product and a product's
    line are the first by key, as the walk's ``limit=1`` takes them."""
    labels, types = sql.codes.labels, sql.codes.types
    found = sql.read_sql(
        "SELECT c.key, h.key, h.props, rh.props, p.key, p.props, ("
        " SELECT l.key FROM rels AS rl CROSS JOIN nodes AS l ON l.id = rl.dst"
        f" WHERE rl.src = p.id AND rl.type = {types['IN_LINE']}"
        " ORDER BY l.key LIMIT 1) "
        "FROM nodes AS c "
        f"CROSS JOIN rels AS rh ON rh.src = c.id AND rh.type = {types['HOLDS']} "
        f"AND rh.dst_label = {labels['Holding']} "
        "CROSS JOIN nodes AS h ON h.id = rh.dst "
        "LEFT JOIN nodes AS p ON p.id = ("
        " SELECT rp.dst FROM rels AS rp CROSS JOIN nodes AS pp ON pp.id = rp.dst"
        f" WHERE rp.src = h.id AND rp.type = {types['OF_PRODUCT']}"
        " ORDER BY pp.key LIMIT 1) "
        f"WHERE c.label = {labels['Customer']} "
        "AND c.key IN (SELECT value FROM json_each(:keys))",
        {"keys": json.dumps(list(dict.fromkeys(customerIds)))},
    )
    rows: list[TaggedHoldingRow] = []
    for customer, account, held, edge, product, product_props, line in found:
        props, relation = loads(held), loads(edge)
        rows.append(
            {
                "forCustomer": customer,
                "accountId": account,
                "productId": product,
                "productName": loads(product_props).get("name") if product else None,
                "line": line,
                "status": props.get("status"),
                "role": relation.get("role"),
                "openedOn": props.get("opened_on"),
                "closedOn": props.get("closed_on"),
                "balance": props.get("balance"),
                "monthlyValue": props.get("monthly_value"),
            }
        )
    return rows


@named_query("customer_holdings", to_holdings)
def holdings(store: GraphStore, customerId: str) -> list[HoldingRow]:
    return untagged(holdings_many(store, [customerId]))
