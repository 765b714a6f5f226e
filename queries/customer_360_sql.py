"""The customer 360's neighbour reads as one plain SQL statement each on the embedded store.

``neighbours`` answers exactly what ``GraphStore.neighbours_many`` answers for one
relationship type in one direction — the same neighbours, in the port's order (other
label, other key, outgoing first, relationship key), at most ``limit`` a node — but on
the embedded file it reads them with a join on the node and relationship indexes written
for this shape (``read_sql``), where the port's general statement ranks both directions
and every type and label: 5-7x less CPU for the one- or few-row reads a customer's view
makes (sources, household, touchpoints, holdings, the catalogue). Any other store, or a
proxy without ``read_sql``, is asked through the port. ``tests/queries/
test_customer_360_sql.py`` holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from graph.embedded.layout import Codes
from graph.embedded.texts import json_list, loads
from graph.store import Edge, GraphStore, Neighbour, Node
from queries.customer_sql import SqlStore, sql_store

OneWay = Literal["out", "in"]


def neighbours(
    store: GraphStore,
    label: str,
    keys: Sequence[str],
    rel_type: str,
    direction: OneWay = "out",
    other_label: str | None = None,
    limit: int = 100,
) -> dict[str, list[Neighbour]]:
    """``store.neighbours_many(label, keys, rel_type, direction, other_label, limit)``."""
    sql = sql_store(store)
    if sql is None:
        return store.neighbours_many(label, keys, rel_type, direction, other_label, limit)
    if limit <= 0:
        return {}
    # No keys still reads (nothing): a page's store calls stay the same whatever it holds.
    memo: dict[Any, Any] | None = getattr(store, "shared_reads", None)
    if memo is None:
        return _read(sql, label, keys, rel_type, direction, other_label, limit)
    # One request's fields share a read (api/graphql/context.py SharedReads): read whole,
    # each caller given its own lists, cut to its limit.
    key = ("neighbours", label, tuple(keys), rel_type, direction, other_label)
    whole = memo.get(key)
    if whole is None:
        whole = memo[key] = _read(sql, label, keys, rel_type, direction, other_label, None)
    return {k: found[:limit] for k, found in whole.items()}


def neighbour_nodes(
    store: GraphStore,
    label: str,
    keys: Sequence[str],
    rel_type: str,
    direction: OneWay = "out",
    other_label: str | None = None,
    limit: int = 100,
) -> dict[str, list[Node]]:
    """The other ends only of ``neighbours``: ``[n.node for n in ...]`` per key. For the
    reads that use no relationship property (a customer's touchpoints, holdings,
    consents; a holding's product), which then build no relationship either: half the
    cost of each row."""
    sql = sql_store(store)
    if sql is None:
        found = store.neighbours_many(label, keys, rel_type, direction, other_label, limit)
        return {k: [n.node for n in near] for k, near in found.items()}
    if limit <= 0:
        return {}
    memo: dict[Any, Any] | None = getattr(store, "shared_reads", None)
    if memo is None:
        return _read_nodes(sql, label, keys, rel_type, direction, other_label, limit)
    key = ("nodes", label, tuple(keys), rel_type, direction, other_label)
    whole = memo.get(key)
    if whole is None:
        whole = memo[key] = _read_nodes(sql, label, keys, rel_type, direction, other_label, None)
    return {k: found[:limit] for k, found in whole.items()}


# Statements by the store's codes and shape, made once each (building one costs more than
# running it on a warm page). A store's codes only grow, in a new Codes object.
_STATEMENTS: dict[tuple[int, str, str, bool, str | None], tuple[Codes, str]] = {}
_NAMES: dict[int, tuple[Codes, dict[int, str]]] = {}
KEPT = 512


def _statement(sql: SqlStore, label: str, rel_type: str, out: bool, other: str | None) -> str:
    codes = sql.codes
    key = (id(codes), label, rel_type, out, other)
    known = _STATEMENTS.get(key)
    if known is not None and known[0] is codes:
        return known[1]
    statement = _build(codes, label, rel_type, out, other)
    if len(_STATEMENTS) >= KEPT:  # stores opened and closed (tests): start again
        _STATEMENTS.clear()
    _STATEMENTS[key] = (codes, statement)
    return statement


def _label_names(codes: Codes) -> dict[int, str]:
    known = _NAMES.get(id(codes))
    if known is not None and known[0] is codes:
        return known[1]
    names = codes.names("label")
    if len(_NAMES) >= KEPT:
        _NAMES.clear()
    _NAMES[id(codes)] = (codes, names)
    return names


def _build(codes: Codes, label: str, rel_type: str, out: bool, other: str | None) -> str:
    near, far = ("src", "dst") if out else ("dst", "src")
    other_code = "" if other is None else f" AND r.{far}_label = {codes.labels[other]}"
    # Without another label asked for, the port orders the other ends by their label's name.
    label_rank = "" if other is not None else codes.rank("label", f"r.{far}_label") + ", "
    return (
        f"SELECT a.key, r.props, r.{far}_label, o.key, o.props, r.src <> a.id "
        "FROM nodes AS a "
        f"CROSS JOIN rels AS r ON r.{near} = a.id AND r.type = {codes.types[rel_type]}"
        f"{other_code} "
        f"CROSS JOIN nodes AS o ON o.id = r.{far} "
        f"WHERE a.label = {codes.labels[label]} "
        "AND a.key IN (SELECT value FROM json_each(:keys)) "
        f"ORDER BY a.id, {label_rank}o.key, r.src <> a.id, r.rkey"
    )


def _read(
    sql: SqlStore,
    label: str,
    keys: Sequence[str],
    rel_type: str,
    direction: OneWay,
    other_label: str | None,
    limit: int | None,
) -> dict[str, list[Neighbour]]:
    statement = _statement(sql, label, rel_type, direction == "out", other_label)
    label_names = _label_names(sql.codes)
    found: dict[str, list[Neighbour]] = {}
    # A node at the end of many rows (a product line of every product) is one Node, as
    # the port shares it.
    others: dict[tuple[int, str], Node] = {}
    for key, props, label_code, okey, oprops, inward in sql.read_sql(
        statement, {"keys": json_list(dict.fromkeys(keys))}
    ):
        mine = found.setdefault(key, [])
        if limit is not None and len(mine) >= limit:
            continue
        olabel = label_names[label_code]
        if inward:
            edge = Edge(rel_type, olabel, okey, label, key, loads(props))
        else:
            edge = Edge(rel_type, label, key, olabel, okey, loads(props))
        other = others.get((label_code, okey))
        if other is None:
            other = others[(label_code, okey)] = Node(olabel, okey, loads(oprops))
        mine.append(Neighbour(edge, other))
    return {key: found[key] for key in dict.fromkeys(keys) if key in found}


def _read_nodes(
    sql: SqlStore,
    label: str,
    keys: Sequence[str],
    rel_type: str,
    direction: OneWay,
    other_label: str | None,
    limit: int | None,
) -> dict[str, list[Node]]:
    statement = _statement(sql, label, rel_type, direction == "out", other_label)
    label_names = _label_names(sql.codes)
    found: dict[str, list[Node]] = {}
    others: dict[tuple[int, str], Node] = {}
    for key, _, label_code, okey, oprops, _ in sql.read_sql(
        statement, {"keys": json_list(dict.fromkeys(keys))}
    ):
        mine = found.setdefault(key, [])
        if limit is not None and len(mine) >= limit:
            continue
        other = others.get((label_code, okey))
        if other is None:
            other = others[(label_code, okey)] = Node(label_names[label_code], okey, loads(oprops))
        mine.append(other)
    return {key: found[key] for key in dict.fromkeys(keys) if key in found}
