"""The embedded store's SQLite layout, derived from ``graph/schema.py``.

Nodes and relationships are rows; a node's properties are one JSON object. Every
lookup the store port offers is an index: nodes by (label, key); relationships by their
source (the primary key) and by their target, each with the label of the other end, so
"this customer's touchpoints" or "the purchases at this store" is one index range however
many other relationships the node has; each property ``graph/schema.py`` declares
indexed is a partial expression index over the JSON, one per label; term-indexed
properties fill an inverted ``terms`` table. Labels, relationship types and term fields
are small integer codes (``vocab``), not strings repeated in every key: the keys, and so
the B-trees a bulk load inserts into at random, are a third smaller. Counts per label and
type live in a table that every write transaction updates, so ``counts()`` never scans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graph.errors import SchemaDefinitionError
from graph.schema import GraphSchema

FORMAT = "ckb-embedded/3"
# The first design (a networkx mirror rebuilt on every open): converted by `ckb store upgrade`.
FIRST_FORMAT = "ckb-embedded/1"

# Joins a relationship's key-property values into its ``rkey`` column.
RKEY_SEP = "\x1f"

BASE_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID",
    # kind: label, type or field; codes are never reused or renumbered.
    "CREATE TABLE IF NOT EXISTS vocab ("
    " code INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (kind, name))",
    "CREATE TABLE IF NOT EXISTS nodes ("
    " id INTEGER PRIMARY KEY, label INTEGER NOT NULL, key TEXT NOT NULL, props TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS nodes_key ON nodes (label, key)",
    # The primary key is the outgoing adjacency list; rels_in the incoming one. An end's
    # label never changes, so keeping it beside the other end's ID is safe.
    "CREATE TABLE IF NOT EXISTS rels ("
    " src INTEGER NOT NULL, type INTEGER NOT NULL, dst_label INTEGER NOT NULL,"
    " dst INTEGER NOT NULL, rkey TEXT NOT NULL, src_label INTEGER NOT NULL,"
    " props TEXT NOT NULL, PRIMARY KEY (src, type, dst_label, dst, rkey)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS rels_in ON rels (dst, type, src_label, src)",
    "CREATE TABLE IF NOT EXISTS terms ("
    " field INTEGER NOT NULL, term TEXT NOT NULL, node INTEGER NOT NULL,"
    " PRIMARY KEY (field, term, node)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS terms_node ON terms (node)",
    "CREATE TABLE IF NOT EXISTS counts ("
    " kind TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY (kind, name)) WITHOUT ROWID",
    # The graph by name, for a person (or a test) reading the file with any SQLite tool.
    "CREATE VIEW IF NOT EXISTS node_rows (id, label, key, props) AS"
    " SELECT n.id, v.name, n.key, n.props FROM nodes AS n JOIN vocab AS v ON v.code = n.label",
    "CREATE VIEW IF NOT EXISTS relationship_rows"
    " (src_label, src_key, type, dst_label, dst_key, rkey, props) AS"
    " SELECT sl.name, s.key, t.name, dl.name, d.key, r.rkey, r.props FROM rels AS r"
    " JOIN vocab AS t ON t.code = r.type JOIN nodes AS s ON s.id = r.src"
    " JOIN nodes AS d ON d.id = r.dst JOIN vocab AS sl ON sl.code = r.src_label"
    " JOIN vocab AS dl ON dl.code = r.dst_label",
)


def vocabulary(model: GraphSchema) -> list[tuple[str, str]]:
    """(kind, name) of every label, relationship type and term field the model names."""
    return [
        *(("label", label) for label in model.labels),
        *(("type", rel_type) for rel_type in model.relationship_types),
        *(("field", term_field(n.label, p)) for n in model.nodes for p in n.terms),
    ]


@dataclass(frozen=True, slots=True)
class Codes:
    """The store's codes for names, and the SQL that orders codes as their names sort."""

    labels: Mapping[str, int]
    types: Mapping[str, int]
    fields: Mapping[str, int]

    @classmethod
    def of(cls, rows: list[tuple[int, str, str]]) -> Codes:
        by_kind: dict[str, dict[str, int]] = {"label": {}, "type": {}, "field": {}}
        for code, kind, name in rows:
            by_kind[kind][name] = code
        return cls(by_kind["label"], by_kind["type"], by_kind["field"])

    def names(self, kind: str) -> dict[int, str]:
        found = {"label": self.labels, "type": self.types, "field": self.fields}[kind]
        return {code: name for name, code in found.items()}

    def rank(self, kind: str, column: str) -> str:
        """A SQL expression ranking ``column``'s codes in their names' order."""
        ordered = sorted(self.names(kind).items(), key=lambda item: item[1])
        whens = " ".join(f"WHEN {code} THEN {i}" for i, (code, _) in enumerate(ordered))
        return f"(CASE {column} {whens} END)"


# Per connection, in memory: where a batch is staged before one set-based statement.
STAGE_DDL = (
    # patch: the row as given (null removes a property), merged into an existing row;
    # fresh: the row a missing one is created as (no nulls, touch properties set).
    "CREATE TEMP TABLE IF NOT EXISTS stage_nodes ("
    " key TEXT PRIMARY KEY, patch TEXT NOT NULL, fresh TEXT NOT NULL)",
    "CREATE TEMP TABLE IF NOT EXISTS stage_rels ("
    " src TEXT NOT NULL, dst TEXT NOT NULL, rkey TEXT NOT NULL, patch TEXT NOT NULL,"
    " fresh TEXT NOT NULL, sid INTEGER, did INTEGER, PRIMARY KEY (src, dst, rkey))",
    "CREATE TEMP TABLE IF NOT EXISTS stage_ids (id INTEGER PRIMARY KEY)",
)

INDEX_PREFIX = "ix_"


def value_expr(prop: str) -> str:
    """The SQL expression of a node property; index and query must spell it alike."""
    return f"json_extract(props, '$.{prop}')"


def type_expr(prop: str) -> str:
    return f"json_type(props, '$.{prop}')"


def term_field(label: str, prop: str) -> str:
    return f"{label}.{prop}"


def split_terms(value: str | None) -> set[str]:
    """The terms a term-indexed value holds: its space-separated words."""
    return set(value.split()) if value else set()


@dataclass(frozen=True, slots=True)
class PropertyIndex:
    label: str
    prop: str

    @property
    def name(self) -> str:
        return f"{INDEX_PREFIX}{self.label}_{self.prop}"

    def ddl(self, label_code: int) -> str:
        # Partial per label: the planner uses it only for queries naming the label as a
        # literal, which is how the store spells every lookup.
        return (
            f'CREATE INDEX IF NOT EXISTS "{self.name}" ON nodes '
            f"({value_expr(self.prop)}, key) WHERE label = {label_code}"
        )


def indexed_by(label: str, prop: str) -> str:
    """Names the property's index in a query: without statistics the planner would rather
    take (label, key) and filter every node of the label."""
    return f'INDEXED BY "{PropertyIndex(label, prop).name}"'


def property_indexes(model: GraphSchema) -> tuple[PropertyIndex, ...]:
    return tuple(PropertyIndex(n.label, p) for n in model.nodes for p in n.indexed)


def check_identifiers(model: GraphSchema) -> None:
    """Labels, types and property names are spliced into SQL text (partial indexes need
    literals): allow only identifiers."""
    names = [*model.labels, *model.relationship_types, *model.property_keys()]
    for name in names:
        if not name.replace("_", "a").isalnum() or not name.isascii():
            raise SchemaDefinitionError(f"{name!r} is not a plain identifier")
