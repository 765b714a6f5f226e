"""The customer list: filter, sort and page customers, on either store.

A filter is a small tree (``Compare`` on a customer property, ``AllOf`` / ``AnyOf`` /
``Not``, and ``Related`` — some or none of a customer's touchpoints or holdings match).
Sorting is by a property or by an aggregate: total monthly value of active holdings,
touchpoint count, holdings count; nulls last either way, then by ID. The same tree is
evaluated in memory on the embedded store and compiled to one parameterised Cypher
statement on Neo4j and to SQL on the embedded store (``queries/customer_sql.py``;
property names come from a fixed list; values are always parameters). Any other store
is scanned in memory (``queries/customer_scan.py``). The conformance tests hold all three
to the same answers.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from graph.schema import CUSTOMER_FILTERABLE
from graph.store import GraphStore
from queries import customer_sql
from queries.base import QueryParameterError, ReadQuery, cypher_reader
from queries.customer_filter import (
    AGGREGATES,
    HOLDING_FIELDS,
    MAX_LIST_PAGE,
    OPS,
    TOUCHPOINT_FIELDS,
    AllOf,
    AnyOf,
    Compare,
    Filter,
    FilterCompiler,
    Not,
    Order,
    Related,
)
from queries.customer_scan import aggregate_value, fetch_holdings, matching_customers


@dataclass(frozen=True, slots=True)
class CustomerPage:
    ids: list[str]
    total: int
    has_next: bool
    end_cursor: str | None


def check(where: Filter | None, order: Sequence[Order], first: int) -> None:
    """Refuse unknown fields and operators before any store call."""
    if not 1 <= first <= MAX_LIST_PAGE:
        raise QueryParameterError(f"first must be between 1 and {MAX_LIST_PAGE}, got {first}")
    for o in order:
        if o.key not in CUSTOMER_FILTERABLE and o.key not in AGGREGATES:
            raise QueryParameterError(f"cannot sort customers by {o.key!r}")
    if where is not None:
        _check_filter(where)


def _check_filter(where: Filter) -> None:
    if isinstance(where, Compare):
        _check_compare(where, CUSTOMER_FILTERABLE)
    elif isinstance(where, AllOf | AnyOf):
        for part in where.parts:
            _check_filter(part)
    elif isinstance(where, Not):
        _check_filter(where.part)
    else:
        allowed = TOUCHPOINT_FIELDS if where.what == "touchpoints" else HOLDING_FIELDS
        for condition in where.conditions:
            _check_compare(condition, allowed)


def _check_compare(c: Compare, allowed: tuple[str, ...]) -> None:
    if c.field not in allowed:
        raise QueryParameterError(f"cannot filter on {c.field!r}; fields: {', '.join(allowed)}")
    if c.op not in OPS:
        raise QueryParameterError(f"unknown operator {c.op!r}")
    if c.op == "in" and not isinstance(c.value, list | tuple):
        raise QueryParameterError(f"{c.field}: 'in' takes a list")
    if c.op in ("starts_with", "contains") and not isinstance(c.value, str):
        raise QueryParameterError(f"{c.field}: {c.op} takes a string")


# ----------------------------------------------------------------------------- cursors


def encode_cursor(offset: int, last: str) -> str:
    """Opaque to clients: how many rows came before, and the last customer ID (the fast
    path pages by ID when the list is unfiltered and in ID order)."""
    return base64.urlsafe_b64encode(f"o:{offset}:{last}".encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[int, str | None]:
    if not cursor:
        return 0, None
    try:
        kind, offset, last = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 2)
        if kind == "o" and offset.isdigit():
            return int(offset), last
    except (ValueError, UnicodeDecodeError):
        pass
    raise QueryParameterError(f"not a cursor from this list: {cursor!r}")


# ----------------------------------------------------------------------------- entry


def list_customers(
    store: GraphStore,
    where: Filter | None,
    order: Sequence[Order],
    first: int,
    after: str | None,
    count: bool = True,
) -> CustomerPage:
    check(where, order, first)
    offset, last = decode_cursor(after)
    if where is None and all(o.key == "id" and not o.descending for o in order):
        ids = store.keys_page("Customer", last, first + 1)
        total = store.counts().nodes.get("Customer", 0) if count else -1
    elif (read := cypher_reader(store)) is not None:
        ids, total = _cypher_page(read, where, order, first, offset, count)
    elif (sql := customer_sql.sql_store(store)) is not None:
        ids, total = customer_sql.page(sql, where, order, first, offset, count)
    else:
        matched = matching_customers(store, where, order)
        ids, total = matched[offset : offset + first + 1], len(matched)
    has_next = len(ids) > first
    ids = ids[:first]
    end = encode_cursor(offset + len(ids), ids[-1]) if ids else after
    return CustomerPage(ids, total, has_next, end)


# ----------------------------------------------------------------------------- Cypher


class _Compiler(FilterCompiler):
    TRUE = "true"
    FALSE = "false"
    PLACEHOLDER = "${name}"

    def bound(self, value: Any) -> Any:
        return list(value) if isinstance(value, tuple) else value

    def compare(self, subject: str, c: Compare) -> str:
        operators = {
            "eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "IN",
            "starts_with": "STARTS WITH", "contains": "CONTAINS",
        }  # fmt: skip
        # coalesce: a missing property is false, not null, so NOT behaves as in Python.
        return f"coalesce({subject} {operators[c.op]} {self.param(c.value)}, false)"

    def customer_field(self, c: Compare) -> str:
        return self.compare(f"c.{c.field}", c)

    def negated(self, condition: str) -> str:
        return f"NOT ({condition})"

    def related(self, f: Related) -> str:
        if f.what == "touchpoints":
            pattern = "(c)-[:HAD_TOUCHPOINT]->(t:Touchpoint)"
            conditions = [self.compare(f"t.{c.field}", c) for c in f.conditions]
        else:
            pattern = (
                "(c)-[:HOLDS]->(h:Holding) "
                "OPTIONAL MATCH (h)-[:OF_PRODUCT]->(p:Product)-[:IN_LINE]->(l:ProductLine)"
            )
            subjects = {"status": "h.status", "product": "p.id", "line": "l.id"}
            conditions = [self.compare(subjects[c.field], c) for c in f.conditions]
        where = f" WITH * WHERE {' AND '.join(conditions)}" if conditions else ""
        exists = f"EXISTS {{ MATCH {pattern}{where} RETURN 1 AS found }}"
        return exists if f.quantifier == "some" else f"NOT {exists}"


_AGGREGATE_CYPHER = {
    "touchpoint_count": "COUNT { (c)-[:HAD_TOUCHPOINT]->(:Touchpoint) }",
    "holdings_count": "COUNT { (c)-[:HOLDS]->(:Holding) }",
    "total_value": (
        "round(COLLECT { MATCH (c)-[:HOLDS]->(h:Holding {status: 'active'}) "
        "RETURN sum(coalesce(h.monthly_value, 0.0)) }[0], 2)"
    ),
}


def compile_cypher(where: Filter | None, order: Sequence[Order]) -> tuple[str, str, dict[str, Any]]:
    """(page statement, count statement, parameters); the page takes $offset and $limit."""
    compiler = _Compiler()
    condition = compiler.filter(where) if where is not None else "true"
    sort_terms: list[str] = []
    projections: list[str] = []
    for n, o in enumerate(order):
        if o.key in AGGREGATES:
            projections.append(f"{_AGGREGATE_CYPHER[o.key]} AS sort{n}")
            subject = f"sort{n}"
        else:
            subject = "c.id" if o.key == "id" else f"c.{o.key}"
        direction = " DESC" if o.descending else ""
        sort_terms += [f"{subject} IS NULL", f"{subject}{direction}"]
    sort_terms.append("c.id")
    with_clause = f"WITH c, {', '.join(projections)}\n" if projections else ""
    page = (
        f"MATCH (c:Customer)\nWHERE {condition}\n{with_clause}"
        f"ORDER BY {', '.join(sort_terms)}\nSKIP $offset LIMIT $limit\nRETURN c.id AS customerId"
    )
    count = f"MATCH (c:Customer)\nWHERE {condition}\nRETURN count(c) AS total"
    return page, count, compiler.params


def _cypher_page(
    read: ReadQuery,
    where: Filter | None,
    order: Sequence[Order],
    first: int,
    offset: int,
    count: bool,
) -> tuple[list[str], int]:
    page, counting, params = compile_cypher(where, order)
    rows = read("customer_list", page, {**params, "offset": offset, "limit": first + 1})
    total = read("customer_list_count", counting, params)[0]["total"] if count else -1
    return [str(r["customerId"]) for r in rows], int(total)


# ----------------------------------------------------------------------------- aggregates


@dataclass(frozen=True, slots=True)
class Stats:
    count: int  # customers with a value
    sum: float
    avg: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class LineTotal:
    line: str
    customers: int
    holdings: int
    monthly_value: float


@dataclass(frozen=True, slots=True)
class CustomerAggregate:
    customers: int
    total_value: Stats  # monthly value of active holdings, per customer
    lifetime_value: Stats
    by_line: tuple[LineTotal, ...]  # a joint account counted once


def _stats(values: list[float]) -> Stats:
    if not values:
        return Stats(0, 0.0, None, None, None)
    total = round(sum(values), 2)
    return Stats(len(values), total, round(total / len(values), 4), min(values), max(values))


def aggregate_customers(store: GraphStore, where: Filter | None) -> CustomerAggregate:
    """Count, sum, average, minimum and maximum of value over the customers a filter
    selects, and the value per product line."""
    if where is not None:
        _check_filter(where)
    if (read := cypher_reader(store)) is not None:
        return _cypher_aggregate(read, where)
    if (sql := customer_sql.sql_store(store)) is not None:
        return _sql_aggregate(sql, where)
    keys = matching_customers(store, where, [])
    nodes = store.get_nodes("Customer", keys)
    holdings = fetch_holdings(store, keys, with_catalogue=True)
    lifetime = [
        float(v) for k in keys if isinstance(v := nodes[k].props.get("lifetime_value"), int | float)
    ]
    lines: dict[str, tuple[set[str], dict[str, float]]] = {}
    for customer in keys:
        for h in holdings.get(customer, []):
            if h.get("status") != "active" or h.get("line") is None:
                continue
            owners, values = lines.setdefault(str(h["line"]), (set(), {}))
            owners.add(customer)
            value = h.get("monthly_value")
            values[str(h["id"])] = float(value) if isinstance(value, int | float) else 0.0
    return CustomerAggregate(
        len(keys),
        _stats([aggregate_value(holdings.get(k, [])) for k in keys]),
        _stats(lifetime),
        tuple(
            LineTotal(line, len(owners), len(values), round(sum(values.values()), 2))
            for line, (owners, values) in sorted(lines.items())
        ),
    )


def compile_aggregate(where: Filter | None) -> tuple[str, str, dict[str, Any]]:
    compiler = _Compiler()
    condition = compiler.filter(where) if where is not None else "true"
    totals = (
        f"MATCH (c:Customer)\nWHERE {condition}\n"
        f"WITH c, {_AGGREGATE_CYPHER['total_value']} AS value\n"
        "RETURN count(c) AS customers, sum(value) AS valueSum, min(value) AS valueMin,\n"
        "       max(value) AS valueMax, count(c.lifetime_value) AS lifetimeCount,\n"
        "       sum(c.lifetime_value) AS lifetimeSum, min(c.lifetime_value) AS lifetimeMin,\n"
        "       max(c.lifetime_value) AS lifetimeMax"
    )
    by_line = (
        f"MATCH (c:Customer)\nWHERE {condition}\n"
        "MATCH (c)-[:HOLDS]->(h:Holding {status: 'active'})-[:OF_PRODUCT]->(:Product)"
        "-[:IN_LINE]->(l:ProductLine)\n"
        "WITH l, count(DISTINCT c) AS customers, collect(DISTINCT h) AS held\n"
        "RETURN l.id AS line, customers, size(held) AS holdings,\n"
        "       reduce(total = 0.0, x IN held | total + coalesce(x.monthly_value, 0.0)) AS value\n"
        "ORDER BY line"
    )
    return totals, by_line, compiler.params


def _summary(count: int, total: Any, low: Any, high: Any) -> Stats:
    """Stats from a store's count, sum, minimum and maximum, rounded as ``_stats``."""
    if not count:
        return Stats(0, 0.0, None, None, None)
    summed = round(float(total), 2)
    return Stats(count, summed, round(summed / count, 4), float(low), float(high))


def _sql_aggregate(sql: customer_sql.SqlStore, where: Filter | None) -> CustomerAggregate:
    compiled = customer_sql.compile_aggregate(sql.codes, where, sql.has_rollups)
    [(customers, v_sum, v_min, v_max, l_count, l_sum, l_min, l_max)] = sql.read_sql(
        compiled.totals, compiled.params
    )
    lines = sql.read_sql(compiled.lines, compiled.params)
    if any(rows != held for _, _, held, rows, _ in lines):  # a joint account, twice
        lines = sql.read_sql(compiled.exact_lines, compiled.params)
    return CustomerAggregate(
        int(customers),
        _summary(int(customers), v_sum, v_min, v_max),
        _summary(int(l_count), l_sum, l_min, l_max),
        tuple(
            LineTotal(str(line), int(owners), int(held), round(float(value), 2))
            for line, owners, held, _, value in lines
        ),
    )


def _cypher_aggregate(read: ReadQuery, where: Filter | None) -> CustomerAggregate:
    totals, by_line, params = compile_aggregate(where)
    [row] = read("customer_aggregate", totals, params)
    lines = read("customer_aggregate_lines", by_line, params)
    customers = int(row["customers"])
    return CustomerAggregate(
        customers,
        _summary(customers, row["valueSum"], row["valueMin"], row["valueMax"]),
        _summary(
            int(row["lifetimeCount"]), row["lifetimeSum"], row["lifetimeMin"], row["lifetimeMax"]
        ),
        tuple(
            LineTotal(
                r["line"], int(r["customers"]), int(r["holdings"]), round(float(r["value"]), 2)
            )
            for r in lines
        ),
    )


def lint_examples() -> Iterable[tuple[str, str, list[str]]]:
    """Representative compiled statements, so CI lints what the compiler writes."""
    complaint_no_mobile = AllOf(
        (
            Compare("value_tier", "in", ("gold", "silver")),
            Related(
                "touchpoints",
                "some",
                (Compare("kind", "eq", "complaint"), Compare("occurred_at", "gte", "2026-10-01")),
            ),
            Related("holdings", "none", (Compare("line", "eq", "mobile"),)),
            AnyOf((Compare("name", "starts_with", "A"), Not(Compare("city", "contains", "x")))),
        )
    )
    orders: list[Sequence[Order]] = [
        [],
        [Order("total_value", descending=True)],
        [Order("touchpoint_count"), Order("name", descending=True)],
        [Order("holdings_count", descending=True), Order("lifetime_value")],
    ]
    for n, order in enumerate(orders):
        page, count, params = compile_cypher(complaint_no_mobile, order)
        yield f"customer_list_{n}", page, [*params, "offset", "limit"]
        if n == 0:
            yield "customer_list_count", count, list(params)
            totals, by_line, params = compile_aggregate(complaint_no_mobile)
            yield "customer_aggregate", totals, list(params)
            yield "customer_aggregate_lines", by_line, list(params)
