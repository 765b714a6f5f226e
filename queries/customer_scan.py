"""The customer filter evaluated on the embedded store, narrowed by indexes first.

Plan: every ``Related(some)`` whose conditions include an indexed property (touchpoint
kind, resolution status, time; holding status) or a product / line (a walk from the
catalogue) is answered from the related side — matching touchpoints or holdings first,
then their customers. Indexed customer properties (value tier, status, postal code, churn
score ...) give candidates the same way. ``AllOf`` intersects what its parts narrow to,
``AnyOf`` unites them when all can. Only the candidates are then read and every condition
checked in full, so the result never depends on the plan; without any narrowing part the
whole customer set is read. Counts for sorting come from degrees, values from holdings
read without their catalogue unless a condition needs it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.schema import schema
from graph.store import GraphStore, Node
from queries.customer_filter import AGGREGATES, AllOf, AnyOf, Compare, Filter, Not, Order, Related

_MANY = 1_000_000
_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "starts_with": lambda v, t: isinstance(v, str) and v.startswith(t),
    "contains": lambda v, t: t in v if isinstance(v, list | str) else False,
}


def compare(value: Any, c: Compare) -> bool:
    if c.op == "eq":
        return bool(value == c.value)
    if c.op == "in":
        return value in c.value
    if value is None:
        return False
    try:
        return bool(_TESTS[c.op](value, c.value))
    except TypeError:  # another type never matches, as in Cypher
        return False


# ----------------------------------------------------------------------------- narrowing


def _indexed(label: str) -> tuple[str, ...]:
    return schema().node(label).indexed


def _by_index(store: GraphStore, label: str, c: Compare) -> set[str] | None:
    """Keys whose property may satisfy ``c``, from an index; None when no index helps.
    (A superset is fine: every condition is checked again on what comes back.)"""
    if c.field == "id" and label == "Customer" and c.op in ("eq", "in"):
        return set(c.value) if c.op == "in" else {c.value}
    if c.field not in _indexed(label):
        return None
    found: list[Node] | None = None
    if c.op in ("eq", "in"):
        values = c.value if c.op == "in" else [c.value]
        found = [n for v in values for n in store.find_nodes(label, c.field, v, limit=_MANY)]
    elif c.op in ("gt", "gte"):
        found = store.find_range(label, c.field, low=c.value, limit=_MANY)
    elif c.op == "starts_with":
        found = store.find_prefix(label, c.field, c.value, limit=_MANY)
    return None if found is None else {n.key for n in found}


def _smallest(store: GraphStore, label: str, conditions: Sequence[Compare]) -> set[str] | None:
    # Equality first: usually the most selective, and a range can be wide.
    ranked = sorted(conditions, key=lambda c: c.op not in ("eq", "in"))
    for c in ranked:
        found = _by_index(store, label, c)
        if found is not None:
            return found
    return None


def _touchpoint_owners(store: GraphStore, f: Related) -> set[str] | None:
    keys = _smallest(store, "Touchpoint", f.conditions)
    if keys is None:
        return None
    nodes = store.get_nodes("Touchpoint", sorted(keys))
    hits = [
        k for k, n in nodes.items() if all(compare(n.props.get(c.field), c) for c in f.conditions)
    ]
    # Every owner: a touchpoint may be shared (a joint call), as the full scan reads it.
    owners = store.neighbours_many("Touchpoint", hits, "HAD_TOUCHPOINT", "in", "Customer", _MANY)
    return {n.node.key for found in owners.values() for n in found}


def _holding_owners(store: GraphStore, f: Related) -> set[str] | None:
    by_catalogue = [
        c for c in f.conditions if c.field in ("line", "product") and c.op in ("eq", "in")
    ]
    if by_catalogue:
        c = by_catalogue[0]
        values = list(c.value) if c.op == "in" else [c.value]
        if c.field == "line":
            found = store.neighbours_many("ProductLine", values, "IN_LINE", "in", "Product", _MANY)
            products = sorted({n.node.key for v in found.values() for n in v})
        else:
            products = values
        held = store.neighbours_many("Product", products, "OF_PRODUCT", "in", "Holding", _MANY)
        keys: set[str] | None = {n.node.key for v in held.values() for n in v}
    else:
        keys = _smallest(store, "Holding", f.conditions)
    if keys is None:
        return None
    rows = _holding_rows(store, sorted(keys), with_catalogue=True)
    hits = [k for k, row in rows.items() if all(compare(row.get(c.field), c) for c in f.conditions)]
    owners = store.neighbours_many("Holding", hits, "HOLDS", "in", "Customer", _MANY)
    return {n.node.key for found in owners.values() for n in found}


def related_parts(where: Filter | None) -> Iterator[Related]:
    """Every Related in a filter tree, wherever it sits."""
    if isinstance(where, Related):
        yield where
    elif isinstance(where, AllOf | AnyOf):
        for part in where.parts:
            yield from related_parts(part)
    elif isinstance(where, Not):
        yield from related_parts(where.part)


def _some_sets(store: GraphStore, where: Filter | None) -> dict[int, set[str]]:
    """For each Related answerable from the related side: the customers with some match."""
    found: dict[int, set[str]] = {}
    for f in related_parts(where):
        if not f.conditions:
            continue
        owners = (
            _touchpoint_owners(store, f) if f.what == "touchpoints" else _holding_owners(store, f)
        )
        if owners is not None:
            found[id(f)] = owners
    return found


def _candidates(store: GraphStore, f: Filter, some: dict[int, set[str]]) -> set[str] | None:
    if isinstance(f, Compare):
        return _by_index(store, "Customer", f)
    if isinstance(f, Related):
        return some.get(id(f)) if f.quantifier == "some" else None
    if isinstance(f, AllOf):
        narrowed = [c for p in f.parts if (c := _candidates(store, p, some)) is not None]
        return set.intersection(*narrowed) if narrowed else None
    if isinstance(f, AnyOf):
        parts = [_candidates(store, p, some) for p in f.parts]
        if any(p is None for p in parts):
            return None
        return set().union(*(p for p in parts if p is not None))
    return None


# ----------------------------------------------------------------------------- checking


@dataclass
class _Related:
    """Related rows for the candidates, read only where no related-side answer exists."""

    some: dict[int, set[str]]
    touchpoints: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    holdings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    exists: dict[str, set[str]] = field(default_factory=dict)  # unconditioned Related


def _holding_rows(
    store: GraphStore, accounts: list[str], with_catalogue: bool
) -> dict[str, dict[str, Any]]:
    nodes = store.get_nodes("Holding", accounts)
    rows = {k: {**n.props, "id": k, "product": None, "line": None} for k, n in nodes.items()}
    if with_catalogue:
        _add_catalogue(store, rows)
    return rows


def _add_catalogue(store: GraphStore, rows: dict[str, dict[str, Any]]) -> None:
    accounts = sorted(rows)
    products = store.neighbours_many("Holding", accounts, "OF_PRODUCT", "out", "Product", 1)
    product_keys = sorted({v[0].node.key for v in products.values()})
    lines = store.neighbours_many("Product", product_keys, "IN_LINE", "out", "ProductLine", 1)
    for k, found in products.items():
        product = found[0].node.key
        rows[k]["product"] = product
        rows[k]["line"] = lines[product][0].node.key if product in lines else None


def fetch_holdings(
    store: GraphStore, customers: list[str], with_catalogue: bool
) -> dict[str, list[dict[str, Any]]]:
    """Each customer's holdings as rows (with product and line when asked)."""
    held = store.neighbours_many("Customer", customers, "HOLDS", "out", "Holding", _MANY)
    rows = {
        n.node.key: {**n.node.props, "id": n.node.key, "product": None, "line": None}
        for found in held.values()
        for n in found
    }
    if with_catalogue:
        _add_catalogue(store, rows)
    return {c: [rows[n.node.key] for n in found] for c, found in held.items()}


def _unanswered(where: Filter | None, some: dict[int, set[str]]) -> set[str]:
    """Which related rows must be read per candidate ("any X": only whether one exists)."""
    return {
        f.what if f.conditions else f"any {f.what}"
        for f in related_parts(where)
        if id(f) not in some
    }


def _read_related(
    store: GraphStore, keys: list[str], where: Filter | None, order: Sequence[Order],
    some: dict[int, set[str]],
) -> _Related:  # fmt: skip
    related = _Related(some)
    wanted = _unanswered(where, some)
    if "touchpoints" in wanted:
        found = store.neighbours_many(
            "Customer", keys, "HAD_TOUCHPOINT", "out", "Touchpoint", _MANY
        )
        related.touchpoints = {k: [n.node.props for n in v] for k, v in found.items()}
    if "holdings" in wanted or any(o.key == "total_value" for o in order):
        related.holdings = fetch_holdings(store, keys, with_catalogue="holdings" in wanted)
    for what, rel_type in (("touchpoints", "HAD_TOUCHPOINT"), ("holdings", "HOLDS")):
        if f"any {what}" in wanted:  # "has any at all": one neighbour each is enough
            found = store.neighbours_many("Customer", keys, rel_type, "out", None, 1)
            related.exists[what] = set(found)
    for key, rel_type in (("touchpoint_count", "HAD_TOUCHPOINT"), ("holdings_count", "HOLDS")):
        if any(o.key == key for o in order):
            related.counts[key] = {k: store.degree("Customer", k, rel_type, "out") for k in keys}
    return related


def _matches(node: Node, f: Filter, related: _Related) -> bool:
    if isinstance(f, Compare):
        value = node.key if f.field == "id" else node.props.get(f.field)
        return compare(value, f)
    if isinstance(f, AllOf):
        return all(_matches(node, p, related) for p in f.parts)
    if isinstance(f, AnyOf):
        return any(_matches(node, p, related) for p in f.parts)
    if isinstance(f, Not):
        return not _matches(node, f.part, related)
    if id(f) in related.some:
        hit = node.key in related.some[id(f)]
    elif not f.conditions:
        hit = node.key in related.exists[f.what]
    else:
        rows = getattr(related, f.what).get(node.key, [])
        hit = any(all(compare(row.get(c.field), c) for c in f.conditions) for row in rows)
    return hit if f.quantifier == "some" else not hit


def aggregate_value(holdings: list[dict[str, Any]]) -> float:
    """Monthly value of the active holdings."""
    return round(
        sum(
            float(h["monthly_value"])
            for h in holdings
            if h.get("status") == "active" and isinstance(h.get("monthly_value"), int | float)
        ),
        2,
    )


def _sort_value(node: Node, o: Order, related: _Related) -> Any:
    if o.key == "total_value":
        return aggregate_value(related.holdings.get(node.key, []))
    if o.key in AGGREGATES:
        return related.counts[o.key].get(node.key, 0)
    return node.key if o.key == "id" else node.props.get(o.key)


def matching_customers(
    store: GraphStore, where: Filter | None, order: Sequence[Order]
) -> list[str]:
    """IDs of the customers ``where`` selects, in ``order`` (then ID; nulls last)."""
    some = _some_sets(store, where)
    narrowed = _candidates(store, where, some) if where is not None else None
    keys = sorted(narrowed) if narrowed is not None else store.keys_page("Customer", limit=_MANY)
    nodes = store.get_nodes("Customer", keys)
    related = _read_related(store, sorted(nodes), where, order, some)
    matched = [
        nodes[k] for k in sorted(nodes) if where is None or _matches(nodes[k], where, related)
    ]
    for o in reversed(order):  # stable sorts, last key first
        present = [n for n in matched if _sort_value(n, o, related) is not None]
        absent = [n for n in matched if _sort_value(n, o, related) is None]
        present.sort(key=lambda n: _sort_value(n, o, related), reverse=o.descending)
        matched = present + absent
    return [n.key for n in matched]
