"""The embedded store's re-pointing of relationships from retired nodes onto survivors.

An identity merge (identity/merge.py) re-draws every relationship of an absorbed customer
on its survivor. Through the port that is a read of every relationship with its
properties, then an upsert of each one again (validated, serialised, staged, its ends
looked up by key): about 10 µs a relationship. Here it is a few statements inside
SQLite, driven by a map of node IDs, with the upsert's own rules: rows landing on one
relationship fold in the order the port would list them (an absorbed node's key, then
type, other label, other key, outgoing first, relationship key), a later one merging over
an earlier one, and the fold merges into an existing relationship as ``json_patch``;
counts and customer rollups are kept as the upsert keeps them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping

from graph.embedded.layout import PARTS_BY_TYPE
from graph.embedded.texts import json_list, loads
from graph.embedded.writes import Writes
from graph.store import Edge

# Per connection, in memory: the map of a re-pointing and the rows it moves, folded.
REPOINT_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS repoint_map ("
    " absorbed INTEGER PRIMARY KEY, survivor INTEGER NOT NULL, akey TEXT NOT NULL)",
    "CREATE TEMP TABLE IF NOT EXISTS repoint_rels ("
    " src INTEGER NOT NULL, type INTEGER NOT NULL, dst_label INTEGER NOT NULL,"
    " dst INTEGER NOT NULL, rkey TEXT NOT NULL, src_label INTEGER NOT NULL,"
    " props TEXT NOT NULL, PRIMARY KEY (src, type, dst_label, dst, rkey)) WITHOUT ROWID",
)


class Repointing(Writes):
    def _repoint_rows_sql(self, kept: str) -> str:
        """The absorbed nodes' relationships re-drawn on their survivors, folded into
        ``temp.repoint_rels`` in the port's order. An end that is itself absorbed follows
        its survivor; a relationship that would join a survivor to itself is dropped; a
        self-loop is read once, as outgoing."""
        ranks = {
            "type": self._codes.rank("type", "r.type"),
            "out": self._codes.rank("label", "r.dst_label"),
            "in": self._codes.rank("label", "r.src_label"),
        }
        outgoing = (
            "SELECT m.akey AS owner, m.survivor AS src, r.type AS type, r.dst_label AS dst_label,"
            " coalesce(o.survivor, r.dst) AS dst, r.rkey AS rkey, r.src_label AS src_label,"
            f" r.props AS props, {ranks['type']} AS trank, {ranks['out']} AS lrank,"
            " n.key AS okey, 0 AS inward"
            " FROM temp.repoint_map AS m CROSS JOIN rels AS r ON r.src = m.absorbed"
            " LEFT JOIN temp.repoint_map AS o ON o.absorbed = r.dst"
            " CROSS JOIN nodes AS n ON n.id = r.dst"
            f" WHERE r.type NOT IN ({kept}) AND coalesce(o.survivor, r.dst) <> m.survivor"
        )
        incoming = (
            "SELECT m.akey, coalesce(o.survivor, r.src), r.type, r.dst_label, m.survivor,"
            f" r.rkey, r.src_label, r.props, {ranks['type']}, {ranks['in']}, n.key, 1"
            " FROM temp.repoint_map AS m CROSS JOIN rels AS r ON r.dst = m.absorbed"
            " LEFT JOIN temp.repoint_map AS o ON o.absorbed = r.src"
            " CROSS JOIN nodes AS n ON n.id = r.src"
            f" WHERE r.src <> m.absorbed AND r.type NOT IN ({kept})"
            " AND coalesce(o.survivor, r.src) <> m.survivor"
        )
        return (
            "INSERT INTO temp.repoint_rels (src, type, dst_label, dst, rkey, src_label, props)"
            " SELECT src, type, dst_label, dst, rkey, src_label, props"
            f" FROM ({outgoing} UNION ALL {incoming}) WHERE true"
            " ORDER BY owner, trank, lrank, okey, inward, rkey"
            " ON CONFLICT DO UPDATE SET props = json_patch(props, excluded.props)"
        )

    def repoint_relationships(
        self,
        label: str,
        survivor_of: Mapping[str, str],
        kept: Collection[str],
        also: Collection[str] = (),
    ) -> dict[str, list[Edge]]:
        """Re-draw every relationship of each absorbed ``label`` node (a key of
        ``survivor_of``) on its survivor, except those of the types ``kept``: what
        ``upsert_relationships`` of those rows would do, in one pass. The absorbed nodes
        and their own relationships stay (deleting them is the caller's next step).

        Returns, per survivor, its relationships as they were before: those a re-drawn
        one lands on (its properties merge) and every one of the types ``also``, each
        survivor's in the order ``relationships_of`` lists them."""
        self._schema.node(label)
        for rel_type in (*kept, *also):
            self._schema.relationship(rel_type)
        if not set(also) <= set(kept):
            raise ValueError("repoint_relationships: types read whole (also) must be kept")
        code = self._codes.labels[label]
        with self._writing() as conn:
            for ddl in REPOINT_DDL:
                conn.execute(ddl)
            conn.execute("DELETE FROM temp.repoint_map")
            conn.execute("DELETE FROM temp.repoint_rels")
            ids = dict(
                conn.execute(
                    "SELECT key, id FROM nodes "
                    "WHERE label = ? AND key IN (SELECT value FROM json_each(?))",
                    (code, json_list({*survivor_of, *survivor_of.values()})),
                ).fetchall()
            )
            conn.executemany(
                "INSERT INTO temp.repoint_map (absorbed, survivor, akey) VALUES (?, ?, ?)",
                [
                    (ids[a], ids[s], a)
                    for a, s in survivor_of.items()
                    if a in ids and s in ids and a != s
                ],
            )
            # -1 names no type (codes are positive): NOT IN (NULL) would keep nothing.
            kept_codes = ", ".join(str(self._codes.types[t]) for t in kept) or "-1"
            conn.execute(self._repoint_rows_sql(kept_codes))
            before = self._landed(conn, code, also)
            self._write_repointed(conn)
        return before

    def _landed(
        self, conn: sqlite3.Connection, code: int, also: Collection[str]
    ) -> dict[str, list[Edge]]:
        """The survivors' relationships that re-drawn ones land on, and those of the
        types ``also``, as they are now: per survivor, in the port's order."""
        also_codes = ", ".join(str(self._codes.types[t]) for t in also) or "-1"
        rows = conn.execute(
            "WITH found AS ("
            " SELECT r.src, r.type, r.dst_label, r.dst, r.rkey, r.src_label, r.props"
            " FROM temp.repoint_rels AS t CROSS JOIN rels AS r ON r.src = t.src"
            " AND r.type = t.type AND r.dst_label = t.dst_label AND r.dst = t.dst"
            " AND r.rkey = t.rkey"
            # Types ``also`` are never re-drawn (they are kept), so no row comes twice; a
            # self-loop is read once, as outgoing.
            " UNION ALL SELECT r.src, r.type, r.dst_label, r.dst, r.rkey, r.src_label, r.props"
            " FROM (SELECT DISTINCT survivor FROM temp.repoint_map) AS s"
            f" CROSS JOIN rels AS r ON r.src = s.survivor AND r.type IN ({also_codes})"
            " UNION ALL SELECT r.src, r.type, r.dst_label, r.dst, r.rkey, r.src_label, r.props"
            " FROM (SELECT DISTINCT survivor FROM temp.repoint_map) AS s"
            f" CROSS JOIN rels AS r ON r.dst = s.survivor AND r.type IN ({also_codes})"
            " AND r.src <> s.survivor)"
            " SELECT f.src, f.dst, f.type, f.src_label, f.dst_label, f.rkey, f.props,"
            " a.key, b.key FROM found AS f CROSS JOIN nodes AS a ON a.id = f.src"
            " CROSS JOIN nodes AS b ON b.id = f.dst"
        ).fetchall()
        survivors = {s for (s,) in conn.execute("SELECT DISTINCT survivor FROM temp.repoint_map")}
        types, labels = self._type_names, self._label_names
        landed: dict[str, list[tuple[tuple[str, str, str, bool, str], Edge]]] = {}
        for src, dst, type_code, src_code, dst_code, rkey, props, src_key, dst_key in rows:
            edge = Edge(
                types[type_code], labels[src_code], src_key, labels[dst_code], dst_key, loads(props)
            )
            if src_code == code and src in survivors:
                order = (edge.type, edge.dst_label, dst_key, False, rkey)
                landed.setdefault(src_key, []).append((order, edge))
            if dst_code == code and dst in survivors and dst != src:
                order = (edge.type, edge.src_label, src_key, True, rkey)
                landed.setdefault(dst_key, []).append((order, edge))
        return {
            key: [edge for _, edge in sorted(found, key=lambda item: item[0])]
            for key, found in landed.items()
        }

    def _write_repointed(self, conn: sqlite3.Connection) -> None:
        """Upsert the folded rows of ``temp.repoint_rels``: new ones inserted, the rest
        merged into the relationship they land on; counts and rollups follow."""
        created = {
            (type_code, src_code, dst_code): n
            for type_code, src_code, dst_code, n in conn.execute(
                "SELECT t.type, t.src_label, t.dst_label, count(*) FROM temp.repoint_rels AS t "
                "WHERE NOT EXISTS (SELECT 1 FROM rels AS r WHERE r.src = t.src "
                "AND r.type = t.type AND r.dst_label = t.dst_label AND r.dst = t.dst "
                "AND r.rkey = t.rkey) GROUP BY t.type, t.src_label, t.dst_label"
            )
        }
        conn.execute(
            "INSERT INTO rels (src, type, dst_label, dst, rkey, src_label, props) "
            "SELECT src, type, dst_label, dst, rkey, src_label, props FROM temp.repoint_rels "
            "WHERE true ORDER BY src, dst ON CONFLICT DO UPDATE SET "
            "props = json_patch(rels.props, excluded.props) "
            "WHERE json_patch(rels.props, excluded.props) <> rels.props"
        )
        totals: dict[int, int] = {}
        for (type_code, _, _), n in created.items():
            totals[type_code] = totals.get(type_code, 0) + n
        for type_code, n in sorted(totals.items()):
            self._add_count(conn, "rel", self._type_names[type_code], n)
        for type_code, src_code, dst_code in sorted(created):
            rel_type = self._type_names[type_code]
            if not self._rollups or rel_type not in PARTS_BY_TYPE:
                continue
            ids = (
                f"SELECT src FROM temp.repoint_rels WHERE type = {type_code} "
                f"AND src_label = {src_code} AND dst_label = {dst_code}"
            )
            self._refresh_rollups(conn, self._label_names[src_code], ids, PARTS_BY_TYPE[rel_type])
