"""Every Cypher statement the Neo4j adapter sends, generated from graph/schema.py.

Labels, relationship types and property names cannot be Cypher parameters, so the adapter
uses one statement per label / relationship type, all built here from the model (never
from input) and all enumerable by ``adapter_statements()`` — which is what the Cypher
linter walks. Values always travel as parameters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Literal

from graph.schema import GraphSchema, NodeType, RelType, schema

Mode = Literal["read", "write", "schema", "autocommit"]

# Field names of the row maps the adapter sends in ``$rows``.
ROW_FIELDS = ("key", "src", "dst", "props")


@dataclass(frozen=True, slots=True)
class CypherStatement:
    name: str
    text: str
    parameters: tuple[str, ...]
    mode: Mode


def _key_match(var: str, node: NodeType, param: str) -> str:
    return f"({var}:{node.label} {{{node.key}: {param}}})"


def constraint_statements(model: GraphSchema) -> list[CypherStatement]:
    out = []
    for n in model.nodes:
        out.append(
            CypherStatement(
                f"constraint.{n.label}",
                f"CREATE CONSTRAINT {n.constraint_name} IF NOT EXISTS "
                f"FOR (n:{n.label}) REQUIRE n.{n.key} IS UNIQUE",
                (),
                "schema",
            )
        )
    return out


def index_statements(model: GraphSchema) -> list[CypherStatement]:
    out = []
    for n in model.nodes:
        snake = n.constraint_name.removesuffix(f"_{n.key}_unique")
        for prop in n.indexed:
            out.append(
                CypherStatement(
                    f"index.{n.label}.{prop}",
                    f"CREATE INDEX {snake}_{prop} IF NOT EXISTS FOR (n:{n.label}) ON (n.{prop})",
                    (),
                    "schema",
                )
            )
        if n.fulltext:
            props = ", ".join(f"n.{p}" for p in n.fulltext)
            out.append(
                CypherStatement(
                    f"fulltext.{n.label}",
                    f"CREATE FULLTEXT INDEX {snake}_fulltext IF NOT EXISTS "
                    f"FOR (n:{n.label}) ON EACH [{props}]",
                    (),
                    "schema",
                )
            )
        for prop in n.terms:
            out.append(
                CypherStatement(
                    f"terms.{n.label}.{prop}",
                    f"CREATE FULLTEXT INDEX {term_index_name(n, prop)} IF NOT EXISTS "
                    f"FOR (n:{n.label}) ON EACH [n.{prop}] "
                    "OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}",
                    (),
                    "schema",
                )
            )
    return out


def term_index_name(node: NodeType, prop: str) -> str:
    return f"{node.constraint_name.removesuffix(f'_{node.key}_unique')}_{prop}_terms"


def find_terms(node: NodeType, prop: str) -> CypherStatement:
    # The index finds every node holding any of the terms; counting the shared ones again
    # in Cypher gives the same order as the embedded store's inverted index (Lucene's
    # relevance score would not).
    return CypherStatement(
        f"find_terms.{node.label}.{prop}",
        f"CALL db.index.fulltext.queryNodes('{term_index_name(node, prop)}', $query) "
        "YIELD node\n"
        f"WITH node, size([t IN $terms WHERE t IN split(node.{prop}, ' ')]) AS shared\n"
        f"RETURN node.{node.key} AS key, properties(node) AS props, shared\n"
        "ORDER BY shared DESC, key\nLIMIT $limit",
        ("query", "terms", "limit"),
        "read",
    )


def merge_nodes(node: NodeType) -> CypherStatement:
    # $touch (e.g. loaded_at) lands only where the row created or changed something, so an
    # unchanged reload leaves the node as it was.
    text = (
        "UNWIND $rows AS row\n"
        f"MERGE (n:{node.label} {{{node.key}: row.key}})\n"
        "ON CREATE SET n += $touch\n"
        "WITH n, row, properties(n) AS before\n"
        "SET n += row.props\n"
        "WITH n, before\n"
        "WHERE properties(n) <> before\n"
        "SET n += $touch"
    )
    return CypherStatement(f"merge_nodes.{node.label}", text, ("rows", "touch"), "write")


def _rel_pattern(rel: RelType) -> str:
    if not rel.key:
        return f"[r:{rel.type}]"
    keyed = ", ".join(f"{k}: row.props.{k}" for k in rel.key)
    return f"[r:{rel.type} {{{keyed}}}]"


def merge_relationships(rel: RelType, src: NodeType, dst: NodeType) -> CypherStatement:
    # Rows whose endpoints do not exist are returned, not silently dropped, so loaders can
    # report or park them; MERGE never creates placeholder endpoint nodes.
    text = (
        "UNWIND $rows AS row\n"
        f"OPTIONAL MATCH (a:{src.label} {{{src.key}: row.src}})\n"
        f"OPTIONAL MATCH (b:{dst.label} {{{dst.key}: row.dst}})\n"
        "CALL (a, b, row) {\n"
        "  WITH * WHERE a IS NOT NULL AND b IS NOT NULL\n"
        f"  MERGE (a)-{_rel_pattern(rel)}->(b)\n"
        "  ON CREATE SET r += $touch\n"
        "  WITH r, row, properties(r) AS before\n"
        "  SET r += row.props\n"
        "  WITH r, before\n"
        "  WHERE properties(r) <> before\n"
        "  SET r += $touch\n"
        "}\n"
        "WITH row, a, b WHERE a IS NULL OR b IS NULL\n"
        "RETURN row.src AS src, row.dst AS dst, a IS NULL AS srcMissing, b IS NULL AS dstMissing"
    )
    return CypherStatement(
        f"merge_relationships.{rel.type}.{src.label}.{dst.label}", text, ("rows", "touch"), "write"
    )


def delete_nodes(node: NodeType) -> CypherStatement:
    return CypherStatement(
        f"delete_nodes.{node.label}",
        f"UNWIND $keys AS key\nMATCH {_key_match('n', node, 'key')}\n"
        "DETACH DELETE n\nRETURN count(*) AS deleted",
        ("keys",),
        "write",
    )


def delete_relationships(rel: RelType, src: NodeType, dst: NodeType) -> CypherStatement:
    where = ""
    if rel.key:
        where = "\nWHERE " + " AND ".join(f"r.{k} = row.props.{k}" for k in rel.key)
    text = (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{src.label} {{{src.key}: row.src}})-[r:{rel.type}]->"
        f"(b:{dst.label} {{{dst.key}: row.dst}}){where}\n"
        "DELETE r\nRETURN count(*) AS deleted"
    )
    return CypherStatement(
        f"delete_relationships.{rel.type}.{src.label}.{dst.label}", text, ("rows",), "write"
    )


def get_nodes(node: NodeType) -> CypherStatement:
    return CypherStatement(
        f"get_nodes.{node.label}",
        f"UNWIND $keys AS key\nMATCH {_key_match('n', node, 'key')}\n"
        f"RETURN n.{node.key} AS key, properties(n) AS props",
        ("keys",),
        "read",
    )


def _indexed_lookup(
    name: str, node: NodeType, prop: str, predicate: str, param: str
) -> CypherStatement:
    return CypherStatement(
        f"{name}.{node.label}.{prop}",
        f"MATCH (n:{node.label})\n"
        f"WHERE n.{prop} {predicate} ${param} AND ($after IS NULL OR n.{node.key} > $after)\n"
        f"RETURN n.{node.key} AS key, properties(n) AS props\nORDER BY key\nLIMIT $limit",
        (param, "after", "limit"),
        "read",
    )


def find_range(node: NodeType, prop: str, descending: bool) -> CypherStatement:
    order = "DESC" if descending else "ASC"
    return CypherStatement(
        f"find_range.{node.label}.{prop}.{order.lower()}",
        f"MATCH (n:{node.label})\n"
        f"WHERE ($low IS NULL OR n.{prop} >= $low) AND ($high IS NULL OR n.{prop} < $high)\n"
        f"  AND n.{prop} IS NOT NULL\n"
        f"RETURN n.{node.key} AS key, properties(n) AS props\n"
        f"ORDER BY n.{prop} {order}, key\nLIMIT $limit",
        ("low", "high", "limit"),
        "read",
    )


def find_prefix(node: NodeType, prop: str) -> CypherStatement:
    return _indexed_lookup("find_prefix", node, prop, "STARTS WITH", "prefix")


def keys_page(node: NodeType) -> CypherStatement:
    return CypherStatement(
        f"keys_page.{node.label}",
        f"MATCH (n:{node.label})\nWHERE $after IS NULL OR n.{node.key} > $after\n"
        f"RETURN n.{node.key} AS key\nORDER BY key\nLIMIT $limit",
        ("after", "limit"),
        "read",
    )


def find_nodes(node: NodeType, prop: str) -> CypherStatement:
    return _indexed_lookup("find_nodes", node, prop, "=", "value")


_ARROWS = {"out": ("-", "->"), "in": ("<-", "-"), "both": ("-", "-")}


def _any_key(model: GraphSchema, var: str) -> str:
    keys = sorted({n.key for n in model.nodes})
    return f"coalesce({', '.join(f'{var}.{k}' for k in keys)})"


def _any_rel_key(model: GraphSchema) -> str:
    keys = sorted({k for r in model.relationships for k in r.key})
    return f"coalesce({', '.join(f'r.{k}' for k in keys)}, '')"


def neighbours(model: GraphSchema, node: NodeType, direction: str) -> CypherStatement:
    left, right = _ARROWS[direction]
    # Same order as the embedded store: type, neighbour label, neighbour key, outgoing first.
    text = (
        f"MATCH {_key_match('n', node, '$key')}{left}[r]{right}(m)\n"
        "WHERE ($relType IS NULL OR type(r) = $relType)\n"
        "  AND ($otherLabel IS NULL OR $otherLabel IN labels(m))\n"
        "RETURN type(r) AS type, labels(m)[0] AS label, properties(m) AS props,\n"
        "       properties(r) AS relProps, startNode(r) = n AS outgoing\n"
        f"ORDER BY type, label, {_any_key(model, 'm')}, NOT outgoing, {_any_rel_key(model)}\n"
        "LIMIT $limit"
    )
    return CypherStatement(
        f"neighbours.{node.label}.{direction}",
        text,
        ("key", "relType", "otherLabel", "limit"),
        "read",
    )


def neighbours_many(model: GraphSchema, node: NodeType, direction: str) -> CypherStatement:
    left, right = _ARROWS[direction]
    text = (
        "UNWIND $keys AS k\n"
        f"MATCH {_key_match('n', node, 'k')}{left}[r]{right}(m)\n"
        "WHERE ($relType IS NULL OR type(r) = $relType)\n"
        "  AND ($otherLabel IS NULL OR $otherLabel IN labels(m))\n"
        "WITH k, n, r, m\n"
        f"ORDER BY k, type(r), labels(m)[0], {_any_key(model, 'm')}, startNode(r) <> n, "
        f"{_any_rel_key(model)}\n"
        "WITH k, collect({type: type(r), label: labels(m)[0], props: properties(m),\n"
        "                 relProps: properties(r), outgoing: startNode(r) = n}) AS items\n"
        "RETURN k AS key, items[..$limit] AS items"
    )
    return CypherStatement(
        f"neighbours_many.{node.label}.{direction}",
        text,
        ("keys", "relType", "otherLabel", "limit"),
        "read",
    )


def _key_of(model: GraphSchema, var: str) -> str:
    """The key value of node ``var``, whatever its label: exactly its label's key property
    (a coalesce over every key name could pick another label's key the node also has)."""
    usual = Counter(n.key for n in model.nodes).most_common(1)[0][0]
    cases = " ".join(f"WHEN '{n.label}' THEN {var}.{n.key}" for n in model.nodes if n.key != usual)
    return f"CASE labels({var})[0] {cases} ELSE {var}.{usual} END" if cases else f"{var}.{usual}"


def relationships_of(model: GraphSchema, node: NodeType) -> CypherStatement:
    # Same order as neighbours_many in both directions; the other end is named, not read.
    text = (
        "UNWIND $keys AS k\n"
        f"MATCH {_key_match('n', node, 'k')}-[r]-(m)\n"
        f"WITH k, n, r, labels(m)[0] AS label, {_key_of(model, 'm')} AS otherKey\n"
        f"ORDER BY k, type(r), label, otherKey, startNode(r) <> n, {_any_rel_key(model)}\n"
        "WITH k, collect({type: type(r), label: label, key: otherKey,\n"
        "                 relProps: properties(r), outgoing: startNode(r) = n}) AS items\n"
        "RETURN k AS key, items"
    )
    return CypherStatement(f"relationships_of.{node.label}", text, ("keys",), "read")


def degree(node: NodeType, direction: str) -> CypherStatement:
    left, right = _ARROWS[direction]
    text = (
        f"MATCH {_key_match('n', node, '$key')}\n"
        f"RETURN COUNT {{ (n){left}[r]{right}() WHERE $relType IS NULL OR type(r) = $relType }}"
        " AS degree"
    )
    return CypherStatement(f"degree.{node.label}.{direction}", text, ("key", "relType"), "read")


def counts(model: GraphSchema) -> CypherStatement:
    # One branch per label / type keeps every count on Neo4j's count store (no scans).
    parts = [
        f"MATCH (n:{n.label}) RETURN 'node' AS kind, '{n.label}' AS name, count(n) AS count"
        for n in model.nodes
    ]
    parts += [
        f"MATCH ()-[r:{r.type}]->() RETURN 'relationship' AS kind, '{r.type}' AS name,"
        " count(r) AS count"
        for r in model.relationships
    ]
    return CypherStatement("counts", "\nUNION ALL\n".join(parts), (), "read")


PING = CypherStatement("ping", "RETURN 1 AS ok", (), "read")
CLEAR = CypherStatement(
    "clear",
    "MATCH (n)\nCALL (n) {\n  DETACH DELETE n\n} IN TRANSACTIONS OF 10000 ROWS",
    (),
    "autocommit",
)


@cache
def adapter_statements(model: GraphSchema | None = None) -> dict[str, CypherStatement]:
    """Every statement the Neo4j adapter can send, by name."""
    model = model or schema()
    stmts: list[CypherStatement] = [*constraint_statements(model), *index_statements(model)]
    for n in model.nodes:
        stmts += [merge_nodes(n), delete_nodes(n), get_nodes(n), keys_page(n)]
        stmts += [find_nodes(n, prop) for prop in n.indexed]
        stmts += [find_prefix(n, prop) for prop in n.indexed]
        stmts += [find_range(n, prop, desc) for prop in n.indexed for desc in (False, True)]
        stmts += [find_terms(n, prop) for prop in n.terms]
        stmts.append(relationships_of(model, n))
        for direction in _ARROWS:
            stmts += [
                neighbours(model, n, direction),
                neighbours_many(model, n, direction),
                degree(n, direction),
            ]
    for rel, a, b in model.endpoint_pairs():
        src, dst = model.node(a), model.node(b)
        stmts += [merge_relationships(rel, src, dst), delete_relationships(rel, src, dst)]
    stmts += [counts(model), PING, CLEAR]
    return {s.name: s for s in stmts}
