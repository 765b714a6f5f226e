"""The embedded store's reads by key and by property: every one an index search.

Keys are one index (label, key); a property the schema declares indexed is a partial
expression index over the JSON, one per label; term-indexed properties are looked up in
the inverted ``terms`` table (graph/embedded/layout.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.adapter import Bound
from graph.embedded.connections import Connections
from graph.embedded.layout import indexed_by, term_field, type_expr, value_expr
from graph.embedded.texts import json_list, loads
from graph.store import GraphCounts, Node, PropertyValue
from graph.values import check_prefix_lookup, value_kind

# json_type() names of the values one kind of lookup value may match: 1, 1.0 and True
# are one value to SQL, not to the store port.
_JSON_TYPES = {
    "str": "('text')",
    "number": "('integer', 'real')",
    "bool": "('true', 'false')",
}
_MAX_CODE_POINT = "\U0010ffff"


class Reads(Connections):
    def keys_page(self, label: str, after: str | None = None, limit: int = 1000) -> list[str]:
        self._schema.node(label)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT key FROM nodes WHERE label = ? AND key > ? ORDER BY key LIMIT ?",
                (self._codes.labels[label], after or "", max(limit, 0)),
            ).fetchall()
        return [key for (key,) in rows]

    def keys(self, label: str) -> list[str]:
        """Every key of a label, in key order: for benchmarks and batch jobs, not requests."""
        self._schema.node(label)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT key FROM nodes WHERE label = ? ORDER BY key", (self._codes.labels[label],)
            ).fetchall()
        return [key for (key,) in rows]

    def get_node(self, label: str, key: str) -> Node | None:
        self._schema.node(label)
        with self._reading() as conn:
            row = conn.execute(
                "SELECT props FROM nodes WHERE label = ? AND key = ?",
                (self._codes.labels[label], key),
            ).fetchone()
        return None if row is None else Node(label, key, loads(row[0]))

    def get_nodes(self, label: str, keys: Sequence[str]) -> dict[str, Node]:
        self._schema.node(label)
        if not keys:
            return {}
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT key, props FROM nodes "
                "WHERE label = ? AND key IN (SELECT value FROM json_each(?))",
                (self._codes.labels[label], json_list(keys)),
            ).fetchall()
        found = {key: Node(label, key, loads(props)) for key, props in rows}
        # The caller's order, as a dict of the keys it asked for.
        return {key: found[key] for key in keys if key in found}

    def _find_equal(
        self, label: str, prop: str, value: PropertyValue, limit: int, after: str | None
    ) -> list[Node]:
        types = _JSON_TYPES[value_kind(value)]
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT key, props FROM nodes {indexed_by(label, prop)} "
                f"WHERE label = {self._codes.labels[label]} "
                f"AND {value_expr(prop)} = ? AND {type_expr(prop)} IN {types} "
                "AND key > ? ORDER BY key LIMIT ?",
                (value, after or "", max(limit, 0)),
            ).fetchall()
        return [Node(label, key, loads(props)) for key, props in rows]

    def _find_range(
        self, label: str, prop: str, low: Bound, high: Bound, limit: int, descending: bool
    ) -> list[Node]:
        kind = value_kind(low if low is not None else high)  # type: ignore[arg-type]
        expr = value_expr(prop)
        # SQL orders numbers before text: bound both ends so the index range holds only
        # values of the wanted kind (the type test then only tells 1 from true).
        lower = low if low is not None else ("" if kind == "str" else None)
        upper = high if high is not None else (None if kind == "str" else "")
        where = [
            f"label = {self._codes.labels[label]}",
            f"{type_expr(prop)} IN {_JSON_TYPES[kind]}",
        ]
        params: list[PropertyValue] = []
        if lower is not None:
            where.append(f"{expr} >= ?")
            params.append(lower)
        if upper is not None:
            where.append(f"{expr} < ?")
            params.append(upper)
        direction = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {expr}, key, props FROM nodes {indexed_by(label, prop)} "
            f"WHERE {' AND '.join(where)} "
            f"ORDER BY {expr} {direction}, key {direction}"
        )
        limit = max(limit, 0)
        with self._reading() as conn:
            if not descending:
                rows = conn.execute(f"{sql} LIMIT ?", (*params, limit)).fetchall()
                return [Node(label, key, loads(props)) for _, key, props in rows]
            # Highest value first, keys ascending within one value: walk the index
            # backwards and turn each run of equal values around.
            picked: list[Node] = []
            run: list[Node] = []
            run_value: object = None
            for value, key, props in conn.execute(sql, params):
                if run and value != run_value:
                    picked.extend(reversed(run))
                    run = []
                    if len(picked) >= limit:
                        break
                run_value = value
                run.append(Node(label, key, loads(props)))
            else:
                picked.extend(reversed(run))
            return picked[:limit]

    def find_prefix(self, label: str, prop: str, prefix: str, limit: int = 100) -> list[Node]:
        """Nodes whose indexed string ``prop`` starts with ``prefix``, in key order."""
        node_type = self._schema.node(label)
        check_prefix_lookup(node_type, prop, prefix)
        expr = value_expr(prop)
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {expr}, key, props FROM nodes {indexed_by(label, prop)} "
                f"WHERE label = {self._codes.labels[label]} AND {expr} >= ? AND {expr} <= ? "
                f"AND {type_expr(prop)} = 'text'",
                (prefix, prefix + _MAX_CODE_POINT),
            ).fetchall()
        hits = sorted((key, props) for value, key, props in rows if value.startswith(prefix))
        return [Node(label, key, loads(props)) for key, props in hits[: max(limit, 0)]]

    def _find_terms(
        self, label: str, prop: str, wanted: list[str], limit: int
    ) -> list[tuple[Node, int]]:
        with self._reading() as conn:
            rows = conn.execute(
                "WITH shared AS (SELECT node, count(*) AS n FROM terms "
                " WHERE field = ? AND term IN (SELECT value FROM json_each(?)) GROUP BY node),"
                " page AS (SELECT nodes.id, nodes.key, shared.n FROM shared"
                " JOIN nodes ON nodes.id = shared.node ORDER BY shared.n DESC, nodes.key LIMIT ?)"
                " SELECT page.key, nodes.props, page.n FROM page JOIN nodes ON nodes.id = page.id"
                " ORDER BY page.n DESC, page.key",
                (self._codes.fields[term_field(label, prop)], json_list(wanted), max(limit, 0)),
            ).fetchall()
        return [(Node(label, key, loads(props)), n) for key, props, n in rows]

    def counts(self) -> GraphCounts:
        with self._reading() as conn:
            rows = conn.execute("SELECT kind, name, n FROM counts").fetchall()
        stored = {(kind, name): n for kind, name, n in rows}
        return GraphCounts(
            {label: stored.get(("node", label), 0) for label in self._schema.labels},
            {t: stored.get(("rel", t), 0) for t in self._schema.relationship_types},
        )
