"""Keeping the customer rollups (``graph/embedded/layout.ROLLUPS``) in step with writes.

A write that touches what a customer's rollups read (their holdings, touchpoints, the
products and lines those are of) recomputes those customers' rows in its transaction, so
a customer list reads each value from one row instead of walking the graph.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from graph.embedded.connections import Connections, rollback
from graph.embedded.layout import (
    PARTS_BY_LABEL,
    PARTS_BY_TYPE,
    ROLLUP_LABELS,
    ROLLUP_SHAPE,
    ROLLUP_TABLES,
    ROLLUP_TYPES,
    ROLLUPS_DDL,
    STAGE_DDL,
    fill_rollups_sql,
    holders_sql,
    new_rollups_sql,
    refresh_rollups_sql,
)


class Rollups(Connections):
    def _rollup_model(self) -> bool:
        return set(ROLLUP_LABELS) <= set(self._schema.labels) and set(ROLLUP_TYPES) <= set(
            self._schema.relationship_types
        )

    def _sync_rollups(self, conn: sqlite3.Connection) -> bool:
        """Create and fill the rollup tables once, when a writable file lacks them."""
        if not self._rollup_model():
            return False
        shape = {
            table: tuple(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
            for table in ROLLUP_TABLES
        }
        if shape == ROLLUP_SHAPE:
            return True
        if self._file.read_only is not None:
            return False
        for ddl in STAGE_DDL:  # the fill stages its customers as a write does
            conn.execute(ddl)
        self._begin(conn)
        try:
            for table in ROLLUP_TABLES:  # missing, or of another ckb's shape
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            for ddl in ROLLUPS_DDL:
                conn.execute(ddl)
            customers = conn.execute(
                "SELECT n FROM counts WHERE kind = 'node' AND name = 'Customer'"
            ).fetchone()
            if customers and customers[0]:  # a file from before the rollups: fill them
                for statement in fill_rollups_sql(self._codes):
                    conn.execute(statement)
            self._commit(conn)
        except BaseException:
            rollback(conn)
            raise
        return True

    def _refresh_rollups(
        self, conn: sqlite3.Connection, label: str, ids: str | None, parts: Sequence[str]
    ) -> None:
        """Recompute ``parts`` of the rollups of the customers that depend on the
        ``label`` nodes ``ids`` selects (node IDs) — or, with None, of those already in
        ``temp.stage_touched``."""
        if ids is not None:
            holders = holders_sql(self._codes, label, ids)
            if holders is None:
                return
            conn.execute("DELETE FROM temp.stage_touched")
            conn.execute(f"INSERT OR IGNORE INTO temp.stage_touched (id) {holders}")
        for statement in refresh_rollups_sql(self._codes, "temp.stage_touched", parts):
            conn.execute(statement)

    def _roll_rels(self, conn: sqlite3.Connection, rel_type: str, src_label: str) -> None:
        """After relationships in ``temp.stage_rels`` were written or deleted."""
        if self._rollups and rel_type in PARTS_BY_TYPE:
            ids = "SELECT sid FROM temp.stage_rels"
            self._refresh_rollups(conn, src_label, ids, PARTS_BY_TYPE[rel_type])

    def _roll_nodes(self, conn: sqlite3.Connection, label: str, created: int, staged: int) -> None:
        """After an upsert: new customers get their rows, existing ones their lifetime
        value; a holding that existed may have changed status or value (a new one has no
        holders yet)."""
        if not self._rollups or label not in ("Customer", "Holding"):
            return
        if label == "Holding" and created == staged:
            return
        ids: str | None = (
            "SELECT n.id FROM temp.stage_nodes AS s CROSS JOIN nodes AS n "
            f"WHERE n.label = {self._codes.labels[label]} AND n.key = s.key"
        )
        parts = ("value", "lines") if label == "Holding" else ("lifetime",)
        if label == "Customer":
            conn.execute("DELETE FROM temp.stage_touched")
            conn.execute(f"INSERT INTO temp.stage_touched (id) {ids}")
            if created:
                conn.execute(new_rollups_sql(self._codes, "temp.stage_touched"))
            ids = None
        self._refresh_rollups(conn, label, ids, parts)

    def _roll_deleted(self, conn: sqlite3.Connection, label: str) -> tuple[str, ...]:
        """Before a delete (``temp.stage_ids`` holds the doomed): note the customers whose
        rollups read the doomed nodes, and what to recompute; deleted customers' rows go."""
        if not self._rollups or label not in PARTS_BY_LABEL:
            return ()
        if label == "Customer":
            for table in ROLLUP_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE node IN (SELECT id FROM temp.stage_ids)")
            return ()
        conn.execute("DELETE FROM temp.stage_touched")
        holders = holders_sql(self._codes, label, "SELECT id FROM temp.stage_ids")
        conn.execute(f"INSERT OR IGNORE INTO temp.stage_touched (id) {holders}")
        return PARTS_BY_LABEL[label]
