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

from collections.abc import Mapping, Sequence
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


# Indexes an earlier layout had, dropped when a writer opens the file. ``terms_node``
# found a deleted node's terms; a node's terms are its term-indexed values split
# (split_terms), so deleting them by key needs no index, and every term written cost a
# second B-tree insert (100k customers: ~3M terms).
RETIRED_INDEXES = ("terms_node",)


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
    # No key: its rows come folded, one per relationship (fold_staged, prepare_rels), and
    # every statement reads the table whole; a key cost a B-tree insert a row (100k
    # sample, 197,534 call-centre touchpoints: writer 7.2-7.4 s without, 7.9-8.1 s with).
    "CREATE TEMP TABLE IF NOT EXISTS stage_rels ("
    " src TEXT NOT NULL, dst TEXT NOT NULL, rkey TEXT NOT NULL, patch TEXT NOT NULL,"
    " fresh TEXT NOT NULL, sid INTEGER, did INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS stage_ids (id INTEGER PRIMARY KEY)",
    # Customers whose rollups a write changed, refreshed before the write returns.
    "CREATE TEMP TABLE IF NOT EXISTS stage_touched (id INTEGER PRIMARY KEY)",
)

# Per customer, what customer lists sort by and sum, kept by every write that changes it
# (in its transaction). ``rollups``: total monthly value of active holdings, holdings and
# touchpoints, one row per customer, an index per column, so a sort reads an index
# instead of computing every customer's value; and lifetime value (a customer property),
# so a total over many customers never reads their rows. ``customer_lines``: each active
# holding of a product in a line, per holder, so value per line is one range read per
# customer. A file made before these tables gets them filled once when a writing ckb
# opens it.
ROLLUPS = "rollups"
ROLLUP_COLUMNS = {
    "total_value": "total_value",
    "holdings_count": "holdings",
    "touchpoint_count": "touchpoints",
}
ROLLUPS_DDL = (
    "CREATE TABLE IF NOT EXISTS rollups ("
    " node INTEGER PRIMARY KEY, total_value REAL NOT NULL, holdings INTEGER NOT NULL,"
    " touchpoints INTEGER NOT NULL, lifetime_value REAL)",
    *(
        f"CREATE INDEX IF NOT EXISTS rollups_{column} ON rollups ({column})"
        for column in ROLLUP_COLUMNS.values()
    ),
    "CREATE TABLE IF NOT EXISTS customer_lines ("
    " node INTEGER NOT NULL, holding INTEGER NOT NULL, line TEXT NOT NULL,"
    " value REAL NOT NULL, PRIMARY KEY (node, holding)) WITHOUT ROWID",
)
ROLLUP_TABLES = (ROLLUPS, "customer_lines")
# The columns this ckb keeps: a file whose tables differ gets them rebuilt on opening.
ROLLUP_SHAPE = {
    ROLLUPS: ("node", "total_value", "holdings", "touchpoints", "lifetime_value"),
    "customer_lines": ("node", "holding", "line", "value"),
}
# Labels and relationship types whose writes change some customer's rollups.
ROLLUP_LABELS = ("Customer", "Holding", "Touchpoint", "Product", "ProductLine")
ROLLUP_TYPES = ("HOLDS", "HAD_TOUCHPOINT", "OF_PRODUCT", "IN_LINE")
# json_type() names of what Python counts as a number (a bool is an int there).
JSON_NUMBER = "('integer', 'real', 'true', 'false')"


def total_value_expr(codes: Codes, customer: str) -> str:
    """Monthly value of the customer's active holdings (numbers only), to the cent: the
    customer list's ``total_value``."""
    return (
        "round(coalesce((SELECT sum(json_extract(h.props, '$.monthly_value')) "
        f"FROM rels AS r JOIN nodes AS h ON h.id = r.dst WHERE r.src = {customer} "
        f"AND r.type = {codes.types['HOLDS']} AND r.dst_label = {codes.labels['Holding']} "
        "AND json_extract(h.props, '$.status') = 'active' "
        f"AND json_type(h.props, '$.monthly_value') IN {JSON_NUMBER}), 0.0), 2)"
    )


def holders_sql(codes: Codes, label: str, ids: str) -> str | None:
    """The customers whose rollups depend on the ``label`` nodes ``ids`` selects (node
    IDs), walking in from the catalogue; None for a label no rollup reads."""

    def into(rel_type: str, src_label: str, inner: str) -> str:
        return (
            f"SELECT r.src FROM rels AS r WHERE r.type = {codes.types[rel_type]} "
            f"AND r.src_label = {codes.labels[src_label]} AND r.dst IN ({inner})"
        )

    holdings = {
        "Holding": ids,
        "Product": into("OF_PRODUCT", "Holding", ids),
        "ProductLine": into("OF_PRODUCT", "Holding", into("IN_LINE", "Product", ids)),
    }
    if label == "Customer":
        return ids
    if label == "Touchpoint":
        return into("HAD_TOUCHPOINT", "Customer", ids)
    if label in holdings:
        return into("HOLDS", "Customer", holdings[label])
    return None


# What each write changes, so a refresh recomputes only that: "counts" (holdings and
# touchpoints), "value" (total value), "lines" (customer_lines), "lifetime".
PARTS_BY_TYPE = {
    "HOLDS": ("counts", "value", "lines"),
    "HAD_TOUCHPOINT": ("counts",),
    "OF_PRODUCT": ("lines",),
    "IN_LINE": ("lines",),
}
PARTS_BY_LABEL = {  # an upsert of existing nodes, or a delete
    "Customer": ("lifetime",),
    "Holding": ("counts", "value", "lines"),
    "Touchpoint": ("counts",),
    "Product": ("lines",),
    "ProductLine": ("lines",),
}


def refresh_rollups_sql(codes: Codes, touched: str, parts: Sequence[str]) -> tuple[str, ...]:
    """Recompute ``parts`` of the rollups of the customers whose node IDs the table
    ``touched`` holds (column ``id``; every customer has its ``rollups`` row from its
    creation on): set-based, each statement driven by ``touched``."""
    labels, types = codes.labels, codes.types
    sets = []
    if "counts" in parts:
        sets += [
            f"{column} = (SELECT count(*) FROM rels WHERE src = rollups.node AND type = {types[t]})"
            for column, t in (("holdings", "HOLDS"), ("touchpoints", "HAD_TOUCHPOINT"))
        ]
    if "value" in parts:
        sets.append(f"total_value = {total_value_expr(codes, 'rollups.node')}")
    if "lifetime" in parts:
        sets.append(
            "lifetime_value = (SELECT CASE WHEN json_type(n.props, '$.lifetime_value') IN "
            f"{JSON_NUMBER} THEN json_extract(n.props, '$.lifetime_value') END "
            "FROM nodes AS n WHERE n.id = rollups.node)"
        )
    statements = []
    if sets:
        statements.append(
            f"UPDATE rollups SET {', '.join(sets)} WHERE node IN (SELECT id FROM {touched})"
        )
    if "lines" in parts:
        statements += [
            f"DELETE FROM customer_lines WHERE node IN (SELECT id FROM {touched})",
            # A holding's product and that product's line, as the scan reads them.
            # CROSS JOIN: in this order, from the touched customers out, never from rels.
            "INSERT OR IGNORE INTO customer_lines (node, holding, line, value) "
            "SELECT rh.src, h.id, l.key, CASE WHEN json_type(h.props, '$.monthly_value') IN "
            f"{JSON_NUMBER} THEN json_extract(h.props, '$.monthly_value') ELSE 0.0 END "
            f"FROM {touched} AS t CROSS JOIN nodes AS n ON n.id = t.id "
            f"AND n.label = {labels['Customer']} "
            f"CROSS JOIN rels AS rh ON rh.src = n.id AND rh.type = {types['HOLDS']} "
            f"AND rh.dst_label = {labels['Holding']} CROSS JOIN nodes AS h ON h.id = rh.dst "
            f"CROSS JOIN rels AS rp ON rp.src = h.id AND rp.type = {types['OF_PRODUCT']} "
            f"AND rp.dst_label = {labels['Product']} "
            f"CROSS JOIN rels AS rl ON rl.src = rp.dst AND rl.type = {types['IN_LINE']} "
            f"AND rl.dst_label = {labels['ProductLine']} CROSS JOIN nodes AS l ON l.id = rl.dst "
            "WHERE json_extract(h.props, '$.status') = 'active'",
        ]
    return tuple(statements)


def new_rollups_sql(codes: Codes, touched: str) -> str:
    """Rows for the customers ``touched`` holds that have none yet (new ones: nothing
    related yet, so zeros)."""
    return (
        "INSERT OR IGNORE INTO rollups (node, total_value, holdings, touchpoints) "
        f"SELECT n.id, 0.0, 0, 0 FROM {touched} AS t CROSS JOIN nodes AS n ON n.id = t.id "
        f"AND n.label = {codes.labels['Customer']}"
    )


def fill_rollups_sql(codes: Codes) -> tuple[str, ...]:
    """Fill the rollup tables of a file made before them: every customer, once."""
    return (
        "DELETE FROM temp.stage_touched",
        "INSERT INTO temp.stage_touched (id) "
        f"SELECT id FROM nodes WHERE label = {codes.labels['Customer']}",
        new_rollups_sql(codes, "temp.stage_touched"),
        *refresh_rollups_sql(codes, "temp.stage_touched", ("counts", "value", "lines", "lifetime")),
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
    then: tuple[str, ...] = ()  # a composite index's further properties

    @property
    def name(self) -> str:
        return f"{INDEX_PREFIX}{self.label}_{'_'.join((self.prop, *self.then))}"

    def ddl(self, label_code: int) -> str:
        # Partial per label: the planner uses it only for queries naming the label as a
        # literal, which is how the store spells every lookup.
        columns = ", ".join(value_expr(p) for p in (self.prop, *self.then))
        return (
            f'CREATE INDEX IF NOT EXISTS "{self.name}" ON nodes '
            f"({columns}, key) WHERE label = {label_code}"
        )

    def stored_ddl(self, label_code: int) -> str:
        """The index's ``sqlite_master.sql`` (SQLite keeps it without IF NOT EXISTS)."""
        return self.ddl(label_code).replace(" IF NOT EXISTS", "", 1)

    def stand_in_ddl(self, label_code: int) -> str:
        """The index that stands in while a bulk load defers this one (see
        ``DEFERRED_PREFIX``): same name and label, no values, so a query naming it still
        runs (reading every node of the label) and a new row enters it at its end."""
        return f'CREATE INDEX "{self.name}" ON nodes (label) WHERE label = {label_code}'

    def columns(self) -> tuple[str, ...]:
        return (self.prop, *self.then)


# A bulk load that adds many nodes of a label relative to the store defers the label's
# property indexes its rows would enter at random places: each is replaced by a stand-in
# (same name, cheap to keep) and built again by sorting once the load ends, far cheaper
# than millions of random B-tree inserts into an index larger than the cache. The meta
# row ``deferred:<label>`` names the loading process that owns the stand-ins; a process
# opening the store builds the real indexes back when that process is gone (a crash).
DEFERRED_PREFIX = "deferred:"


def indexed_by(label: str, prop: str, *then: str) -> str:
    """Names the property's index in a query: without statistics the planner would rather
    take (label, key) and filter every node of the label."""
    return f'INDEXED BY "{PropertyIndex(label, prop, then).name}"'


def property_indexes(model: GraphSchema) -> tuple[PropertyIndex, ...]:
    return (
        *(PropertyIndex(n.label, p) for n in model.nodes for p in n.indexed),
        *(PropertyIndex(n.label, c[0], c[1:]) for n in model.nodes for c in n.composite),
    )


def check_identifiers(model: GraphSchema) -> None:
    """Labels, types and property names are spliced into SQL text (partial indexes need
    literals): allow only identifiers."""
    names = [*model.labels, *model.relationship_types, *model.property_keys()]
    for name in names:
        if not name.replace("_", "a").isalnum() or not name.isascii():
            raise SchemaDefinitionError(f"{name!r} is not a plain identifier")
