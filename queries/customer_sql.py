"""The customer filter tree compiled to SQL for the embedded store: one statement per
page, one per count, two per aggregate.

The same answers as the in-memory scan (``queries/customer_scan.py``), which the
conformance tests check shape by shape: a ``Compare`` is true only for a value Python
could compare (a number is never "greater" than a string; a list property, which SQL
reads as its JSON text, never equals text), a missing property is false (``NOT``
coalesces unknown to false, so SQL's three-valued logic gives Python's two-valued
answer), and the order is nulls last either way, then customer ID.

Plan shape: customer properties are spelt as the property indexes spell them
(``graph/embedded/layout.value_expr``) with the label code as a literal, so the partial
indexes apply (and the JSON type is tested only where the value cannot tell, so counts
stay inside an index). A ``Related`` with conditions is an uncorrelated ``IN`` / ``NOT
IN`` subquery, answered once from the related side (touchpoints by the composite
kind-and-time index, holdings from a product line through the catalogue). When a
top-level ``Related(some)`` must match, its owners drive the query by rowid and every
other ``Related`` is probed per candidate (``EXISTS``). Without conditions a ``Related``
is an ``EXISTS`` on the customer's adjacency. Aggregate sort keys and totals read the
rollup tables the store keeps on write when it has them, else a subquery per customer.
Property names come only from the fixed field lists; every value is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from graph.embedded.layout import (
    JSON_NUMBER,
    ROLLUP_COLUMNS,
    Codes,
    indexed_by,
    total_value_expr,
)
from graph.schema import schema
from graph.store import GraphCounts
from queries.customer_filter import AllOf, Compare, Filter, FilterCompiler, Order, Related

_RANGE_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
# Which Related conditions an index answers (graph/schema.py declares these indexed).
_TOUCHPOINT_INDEXED = ("kind", "resolution_status", "occurred_at")
_HOLDING_INDEXED = ("status",)


class SqlStore(Protocol):
    """What the compiled list needs of a store: its codes and a read of one statement."""

    @property
    def codes(self) -> Codes: ...

    @property
    def has_rollups(self) -> bool: ...

    def read_sql(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]: ...

    def counts(self) -> GraphCounts: ...


def sql_store(store: object) -> SqlStore | None:
    """The store as an SQL reader (the embedded store, or a proxy in front of it), else
    None. Asked by attribute, as ``queries.base.cypher_reader`` asks for Cypher."""
    if callable(getattr(store, "read_sql", None)) and hasattr(store, "has_rollups"):
        return store  # type: ignore[return-value]
    return None


def _types(value: Any) -> str | None:
    """The JSON types a property must have to compare with ``value`` (None: none can)."""
    if isinstance(value, str):
        return "('text')"
    if isinstance(value, bool | int | float):
        return JSON_NUMBER
    return None


class _Compiler(FilterCompiler):
    TRUE = "1"
    FALSE = "0"
    PLACEHOLDER = ":{name}"

    def __init__(self, codes: Codes, rollups: bool, where: Filter | None) -> None:
        super().__init__()
        self.driver = _driver(where)
        self.codes = codes
        self.label = codes.labels
        self.type = codes.types
        self.rollups = rollups

    # ------------------------------------------------------------------ comparisons

    def compare(self, alias: str, c: Compare, subject: str | None = None) -> str:
        """``c`` on a node property of ``alias`` (or on ``subject``, a text column that
        is never null: a node key)."""
        if subject is not None:
            return self._compare_key(subject, c)
        value = f"json_extract({alias}.props, '$.{c.field}')"
        kind = f"json_type({alias}.props, '$.{c.field}')"
        if c.op in ("eq", "in"):
            return self._equal(value, kind, c)
        if c.op in _RANGE_OPS:
            return self._range(value, kind, c)
        if c.op == "starts_with":
            # A list reads as its JSON text: only "" or "[" could be a prefix of one.
            guard = f" AND {kind} = 'text'" if not c.value or c.value.startswith("[") else ""
            return f"({self._prefix(value, c.value)}{guard})"
        # contains: a substring of a string, or an element of a list
        needle = self.param(c.value)
        return (
            f"(CASE {kind} WHEN 'text' THEN instr({value}, {needle}) > 0 "
            f"WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each({alias}.props, '$.{c.field}') "
            f"WHERE value = {needle} AND type = 'text') ELSE 0 END)"
        )

    # The JSON type is tested only where the value alone cannot tell (a list property
    # reads as its JSON text, "[...]"): left out elsewhere, the read stays in the index.

    def _equal(self, value: str, kind: str, c: Compare) -> str:
        if c.op == "eq":
            if c.value is None:
                return f"({value} IS NULL)"
            if _types(c.value) is None:
                return "0"
            return f"({value} = {self.param(c.value)}{_not_list(kind, [c.value])})"
        wanted = [v for v in c.value if v is not None and _types(v) is not None]
        listed = ", ".join(self.param(v) for v in wanted)
        found = f"({value} IN ({listed}){_not_list(kind, wanted)})" if wanted else "0"
        return f"({found} OR {value} IS NULL)" if None in c.value else found

    def _range(self, value: str, kind: str, c: Compare) -> str:
        if _types(c.value) is None:
            return "0"
        test = f"{value} {_RANGE_OPS[c.op]} {self.param(c.value)}"
        # SQL orders every number before every text: bound the other side too.
        if isinstance(c.value, str):
            lower = f" AND {value} >= ''" if c.op in ("lt", "lte") else ""
            test += f"{lower} AND {kind} = 'text'"
        elif c.op in ("gt", "gte"):
            test += f" AND {value} < ''"
        return f"({test})"

    def _prefix(self, subject: str, prefix: str) -> str:
        """Starts with ``prefix``, as a range an index can read and an exact test."""
        low = self.param(prefix)
        test = f"{subject} >= {low} AND substr({subject}, 1, {self.param(len(prefix))}) = {low}"
        if prefix and ord(prefix[-1]) < 0x10FFFF and not 0xD7FF <= ord(prefix[-1]) < 0xE000:
            test += f" AND {subject} < {self.param(prefix[:-1] + chr(ord(prefix[-1]) + 1))}"
        return test

    def _compare_key(self, subject: str, c: Compare) -> str:
        if c.op == "eq":
            return f"({subject} = {self.param(c.value)})" if isinstance(c.value, str) else "0"
        if c.op == "in":
            keys = [v for v in c.value if isinstance(v, str)]
            return f"({subject} IN ({', '.join(self.param(k) for k in keys)}))" if keys else "0"
        if c.op in _RANGE_OPS:
            if not isinstance(c.value, str):
                return "0"
            return f"({subject} {_RANGE_OPS[c.op]} {self.param(c.value)})"
        if c.op == "starts_with":
            return f"({self._prefix(subject, c.value)})"
        return f"(instr({subject}, {self.param(c.value)}) > 0)"

    # ------------------------------------------------------------------ the tree

    def customer_field(self, c: Compare) -> str:
        return self.compare("c", c, "c.key" if c.field == "id" else None)

    def negated(self, condition: str) -> str:
        return f"(NOT coalesce({condition}, 0))"

    def related(self, f: Related) -> str:
        negate = "NOT " if f.quantifier == "none" else ""
        rel_type = self.type["HAD_TOUCHPOINT" if f.what == "touchpoints" else "HOLDS"]
        if not f.conditions:  # any at all: one probe of the customer's adjacency
            adjacent = f"SELECT 1 FROM rels AS r WHERE r.src = c.id AND r.type = {rel_type}"
            return f"({negate}EXISTS ({adjacent}))"
        # Few candidates (another Related drives): probe each one's own rows. Otherwise
        # answer from the related side once, as a list of owners.
        correlated = self.driver is not None and f is not self.driver
        found = (
            self._touchpoints(f, correlated)
            if f.what == "touchpoints"
            else self._holdings(f, correlated)
        )
        return f"({negate}EXISTS ({found}))" if correlated else f"(c.id {negate}IN ({found}))"

    def _touchpoints(self, f: Related, correlated: bool) -> str:
        label = self.label["Touchpoint"]
        conditions = " AND ".join(self.compare("t", c) for c in f.conditions)
        if correlated:
            return (
                f"SELECT 1 FROM rels AS r CROSS JOIN nodes AS t ON t.id = r.dst "
                f"WHERE r.src = c.id AND r.type = {self.type['HAD_TOUCHPOINT']} "
                f"AND r.dst_label = {label} AND t.label = {label} AND {conditions}"
            )
        hint = _hint("Touchpoint", f.conditions, _TOUCHPOINT_INDEXED)
        return (
            f"SELECT r.src FROM nodes AS t {hint} JOIN rels AS r ON r.dst = t.id "
            f"AND r.type = {self.type['HAD_TOUCHPOINT']} "
            f"AND r.src_label = {self.label['Customer']} "
            f"WHERE t.label = {label} AND {conditions}"
        )

    def _holdings(self, f: Related, correlated: bool) -> str:
        catalogue = {c.field for c in f.conditions} & {"product", "line"}
        # A condition on the product or line is false without one (unless it asks for a
        # null), so the catalogue joins can be inner and the planner may start there.
        inner = all(
            c.field == "status" or (c.value is not None and not (c.op == "in" and None in c.value))
            for c in f.conditions
        )
        join = ("CROSS JOIN" if correlated else "JOIN") if inner else "LEFT JOIN"
        joins = ""
        if catalogue:
            joins = (
                f" {join} rels AS rp ON rp.src = h.id AND rp.type = {self.type['OF_PRODUCT']}"
                f" AND rp.dst_label = {self.label['Product']}"
                f" {join} nodes AS p ON p.id = rp.dst AND p.label = {self.label['Product']}"
            )
            if "line" in catalogue:
                joins += (
                    f" {join} rels AS rl ON rl.src = p.id AND rl.type = {self.type['IN_LINE']}"
                    f" AND rl.dst_label = {self.label['ProductLine']}"
                    f" {join} nodes AS l ON l.id = rl.dst AND l.label = {self.label['ProductLine']}"
                )
        subjects = {"status": None, "product": "p.key", "line": "l.key"}
        conditions = " AND ".join(self._nullable(c, subjects[c.field]) for c in f.conditions)
        holding = self.label["Holding"]
        if correlated:
            return (
                f"SELECT 1 FROM rels AS rh CROSS JOIN nodes AS h ON h.id = rh.dst{joins} "
                f"WHERE rh.src = c.id AND rh.type = {self.type['HOLDS']} "
                f"AND rh.dst_label = {holding} AND h.label = {holding} AND {conditions}"
            )
        hint = "" if catalogue else _hint("Holding", f.conditions, _HOLDING_INDEXED)
        return (
            f"SELECT rh.src FROM nodes AS h {hint} JOIN rels AS rh ON rh.dst = h.id "
            f"AND rh.type = {self.type['HOLDS']} AND rh.src_label = {self.label['Customer']}"
            f"{joins} WHERE h.label = {holding} AND {conditions}"
        )

    def _nullable(self, c: Compare, subject: str | None) -> str:
        """A condition on a catalogue key, which is null when a LEFT JOIN found none."""
        if subject is None:
            return self.compare("h", c)
        test = self.compare("h", c, subject)
        if c.op == "eq" and c.value is None:
            return f"({subject} IS NULL)"
        if c.op == "in" and None in c.value:
            return f"(coalesce({test}, 0) OR {subject} IS NULL)"
        return test

    # ------------------------------------------------------------------ sort keys

    def aggregate(self, key: str) -> str:
        if self.rollups:  # joined as ``ru``: an index in the sort's order
            return f"ru.{ROLLUP_COLUMNS[key]}"
        if key == "total_value":
            return self.total_value("c.id")
        rel_type = self.type["HAD_TOUCHPOINT" if key == "touchpoint_count" else "HOLDS"]
        return f"(SELECT count(*) FROM rels AS r WHERE r.src = c.id AND r.type = {rel_type})"

    def total_value(self, customer: str) -> str:
        return total_value_expr(self.codes, customer)


def _not_list(kind: str, values: Sequence[Any]) -> str:
    """The list test an equality needs: only text that looks like a JSON list can be one."""
    if any(isinstance(v, str) and v.startswith("[") for v in values):
        return f" AND {kind} <> 'array'"
    return ""


def _hint(label: str, conditions: Sequence[Compare], indexed: tuple[str, ...]) -> str:
    """The index to read the related side by: without statistics SQLite would rather walk
    the label's (label, key) index. A composite index when an equality meets its first
    property and a range its second ("complaints since"), else equality first (usually
    the most selective), then a lower bound, as the scan's plan does."""
    # Only conditions compiled to an index constraint: INDEXED BY fails without one.
    usable = [
        c
        for c in conditions
        if (any(_types(v) is not None for v in c.value) if c.op == "in" else _types(c.value))
    ]
    for first, *then in schema().node(label).composite:
        if any(c.field == first and c.op in ("eq", "in") for c in usable) and any(
            c.field == then[0] for c in usable
        ):
            return indexed_by(label, first, *then)
    for ops in (("eq", "in"), ("gt", "gte")):
        for c in usable:
            if c.field in indexed and c.op in ops:
                return indexed_by(label, c.field)
    return ""


# ----------------------------------------------------------------------------- statements


def _driver(where: Filter | None) -> Related | None:
    """The related match every selected customer must have (a top-level
    ``Related(some)`` with conditions): its owners, few as a rule, drive the query."""
    parts = where.parts if isinstance(where, AllOf) else (where,)
    for p in parts:
        if isinstance(p, Related) and p.quantifier == "some" and p.conditions:
            return p
    return None


def _customers(codes: Codes, where: Filter | None) -> str:
    """The label test. With a driving Related, spelt so no index takes it (``+``):
    SQLite then reads the driver's owners by rowid instead of walking every customer
    to test each against them."""
    drives = _driver(where) is not None
    return f"{'+' if drives else ''}c.label = {codes.labels['Customer']}"


@dataclass(frozen=True, slots=True)
class Compiled:
    page: str  # takes :limit and :offset
    count: str
    params: dict[str, Any]


def compile_list(
    codes: Codes, where: Filter | None, order: Sequence[Order], rollups: bool
) -> Compiled:
    compiler = _Compiler(codes, rollups, where)
    condition = compiler.filter(where) if where is not None else "1"
    sort_terms: list[str] = []
    for o in order:
        direction = " DESC" if o.descending else ""
        if o.key in ROLLUP_COLUMNS:  # never null: 0 for a customer without any
            sort_terms.append(f"{compiler.aggregate(o.key)}{direction}")
            continue
        subject = "c.key" if o.key == "id" else f"json_extract(c.props, '$.{o.key}')"
        sort_terms += [f"{subject} IS NULL", f"{subject}{direction}"]
    sort_terms.append("c.key")
    selected = f"WHERE {_customers(codes, where)} AND {condition}"
    rolled = rollups and any(o.key in ROLLUP_COLUMNS for o in order)
    source = "nodes AS c JOIN rollups AS ru ON ru.node = c.id" if rolled else "nodes AS c"
    if rolled and where is None and order[0].key in ROLLUP_COLUMNS:
        # Everyone, richest first: read the rollup's index in order and stop at the page
        # (only ties are sorted by ID), instead of sorting every customer.
        source = "rollups AS ru CROSS JOIN nodes AS c ON c.id = ru.node"
    return Compiled(
        f"SELECT c.key FROM {source} {selected} "
        f"ORDER BY {', '.join(sort_terms)} LIMIT :limit OFFSET :offset",
        f"SELECT count(*) FROM nodes AS c {selected}",
        compiler.params,
    )


def page(
    store: SqlStore,
    where: Filter | None,
    order: Sequence[Order],
    first: int,
    offset: int,
    count: bool,
) -> tuple[list[str], int]:
    """Customer IDs of one page (``first`` + 1 rows, to tell whether more follow) and the
    number matched (-1 when not asked)."""
    compiled = compile_list(store.codes, where, order, store.has_rollups)
    rows = store.read_sql(compiled.page, {**compiled.params, "limit": first + 1, "offset": offset})
    if not count:
        total = -1
    elif where is None:  # everyone: the count the store keeps
        total = store.counts().nodes.get("Customer", 0)
    else:
        total = store.read_sql(compiled.count, compiled.params)[0][0]
    return [str(key) for (key,) in rows], int(total)


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Totals: customers, then count, sum, min and max of total value and of lifetime
    value. Per line: line, customers, holdings, rows, value; ``lines`` may count a joint
    account once per holder (rows > holdings), ``exact_lines`` never does."""

    totals: str
    lines: str
    exact_lines: str
    params: dict[str, Any]


def compile_aggregate(codes: Codes, where: Filter | None, rollups: bool) -> Aggregate:
    """customersAggregate: each active holding once however many customers hold it."""
    compiler = _Compiler(codes, rollups, where)
    condition = compiler.filter(where) if where is not None else "1"
    labels, types = codes.labels, codes.types
    # Materialised: each customer's value is computed once, not once per aggregate.
    selected = (
        f"WITH sel AS MATERIALIZED (SELECT c.id FROM nodes AS c "
        f"WHERE {_customers(codes, where)} AND {condition})"
    )
    values = (
        f"{total_value_expr(codes, 'c.id')} AS v, "
        f"CASE WHEN json_type(c.props, '$.lifetime_value') IN {JSON_NUMBER} "
        "THEN json_extract(c.props, '$.lifetime_value') END AS lv"
    )
    source = "sel CROSS JOIN nodes AS c ON c.id = sel.id"
    totals = (
        f"{selected}, vals AS MATERIALIZED (SELECT {values} FROM {source}) "
        "SELECT count(*), sum(v), min(v), max(v), count(lv), sum(lv), min(lv), max(lv) "
        "FROM vals"
    )
    # With rollups, straight from the filter: plain columns, nothing computed twice.
    customers = f"WHERE {_customers(codes, where)} AND {condition}"
    rolled_totals = (
        "SELECT count(*), sum(ru.total_value), min(ru.total_value), max(ru.total_value), "
        "count(ru.lifetime_value), sum(ru.lifetime_value), min(ru.lifetime_value), "
        "max(ru.lifetime_value) FROM nodes AS c CROSS JOIN rollups AS ru "
        f"ON ru.node = c.id {customers}"
    )
    # The catalogue is small: each product's line once, then looked up per holding.
    computed = (
        f"lines AS MATERIALIZED (SELECT p.id AS product, l.key AS line "
        f"FROM nodes AS p JOIN rels AS rl ON rl.src = p.id AND rl.type = {types['IN_LINE']} "
        f"AND rl.dst_label = {labels['ProductLine']} JOIN nodes AS l ON l.id = rl.dst "
        f"WHERE p.label = {labels['Product']}), "
        "held AS MATERIALIZED (SELECT lines.line, rh.src AS customer, h.id AS holding, "
        f"CASE WHEN json_type(h.props, '$.monthly_value') IN {JSON_NUMBER} "
        "THEN json_extract(h.props, '$.monthly_value') ELSE 0.0 END AS value "
        f"FROM sel JOIN rels AS rh ON rh.src = sel.id AND rh.type = {types['HOLDS']} "
        f"AND rh.dst_label = {labels['Holding']} JOIN nodes AS h ON h.id = rh.dst "
        f"JOIN rels AS rp ON rp.src = h.id AND rp.type = {types['OF_PRODUCT']} "
        f"AND rp.dst_label = {labels['Product']} JOIN lines ON lines.product = rp.dst "
        "WHERE json_extract(h.props, '$.status') = 'active')"
    )
    kept = (
        "held AS MATERIALIZED (SELECT cl.line, cl.node AS customer, cl.holding, cl.value "
        "FROM sel JOIN customer_lines AS cl ON cl.node = sel.id)"
    )
    exact = (
        f"{selected}, {kept if rollups else computed} "
        "SELECT a.line, a.customers, b.holdings, b.holdings, b.value FROM "
        "(SELECT line, count(DISTINCT customer) AS customers FROM held GROUP BY line) AS a "
        "JOIN (SELECT line, count(*) AS holdings, sum(value) AS value FROM "
        "(SELECT DISTINCT line, holding, value FROM held) GROUP BY line) AS b "
        "ON b.line = a.line ORDER BY a.line"
    )
    # One pass, exact unless a holding is held by two of the customers (a joint account
    # counted twice): then its rows outnumber its distinct holdings and ``exact`` runs.
    one_pass = (
        "SELECT cl.line, count(DISTINCT cl.node), count(DISTINCT cl.holding), count(*), "
        "sum(cl.value) FROM nodes AS c CROSS JOIN customer_lines AS cl ON cl.node = c.id "
        f"{customers} GROUP BY cl.line ORDER BY cl.line"
    )
    if rollups:
        return Aggregate(rolled_totals, one_pass, exact, compiler.params)
    return Aggregate(totals, exact, exact, compiler.params)
