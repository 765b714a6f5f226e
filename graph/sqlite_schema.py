"""The embedded store's SQLite layout, derived from ``graph/schema.py``.

Nodes and relationships are rows; a node's properties are one JSON object. Every
lookup the store port offers is an index: nodes by (label, key); relationships by their
source (the primary key) and by their target; each property ``graph/schema.py`` declares
indexed is a partial expression index over the JSON, one per label; term-indexed
properties fill an inverted ``terms`` table. Counts per label and type live in a table
that every write transaction updates, so ``counts()`` never scans.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.errors import SchemaDefinitionError
from graph.schema import GraphSchema

FORMAT = "ckb-embedded/2"
# The first design (a networkx mirror rebuilt on every open): converted by `ckb store upgrade`.
FIRST_FORMAT = "ckb-embedded/1"

# Joins a relationship's key-property values into its ``rkey`` column.
RKEY_SEP = "\x1f"

BASE_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS nodes ("
    " id INTEGER PRIMARY KEY, label TEXT NOT NULL, key TEXT NOT NULL, props TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS nodes_key ON nodes (label, key)",
    # The primary key is the outgoing adjacency list; rels_in the incoming one.
    "CREATE TABLE IF NOT EXISTS rels ("
    " src INTEGER NOT NULL, type TEXT NOT NULL, dst INTEGER NOT NULL, rkey TEXT NOT NULL,"
    " props TEXT NOT NULL, PRIMARY KEY (src, type, dst, rkey)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS rels_in ON rels (dst, type, src)",
    "CREATE TABLE IF NOT EXISTS terms ("
    " field TEXT NOT NULL, term TEXT NOT NULL, node INTEGER NOT NULL,"
    " PRIMARY KEY (field, term, node)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS terms_node ON terms (node)",
    "CREATE TABLE IF NOT EXISTS counts ("
    " kind TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY (kind, name)) WITHOUT ROWID",
)

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

    @property
    def ddl(self) -> str:
        # Partial per label: the planner uses it only for queries naming the label as a
        # literal, which is how the store spells every lookup.
        return (
            f'CREATE INDEX IF NOT EXISTS "{self.name}" ON nodes '
            f"({value_expr(self.prop)}, key) WHERE label = '{self.label}'"
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
