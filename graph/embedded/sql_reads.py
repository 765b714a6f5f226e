"""The embedded store's SQL read path: compiled reads (queries/customer_sql.py) run as SQL.

A read compiled from a fixed vocabulary names labels and types by the file's codes, as
literals, and reads the customer rollups where the file keeps them.
"""

from __future__ import annotations

from typing import Any

from graph.embedded.connections import Connections
from graph.embedded.layout import Codes
from graph.errors import StoreError


class SqlReads(Connections):
    @property
    def codes(self) -> Codes:
        """The file's codes for labels and types: a compiled read names them as literals,
        so the planner can use the partial per-label property indexes."""
        return self._codes

    @property
    def has_rollups(self) -> bool:
        """Whether this file keeps the customer rollups (``graph/embedded/layout.ROLLUPS``):
        a read-only file made before them does not, and lists compute the values."""
        return self._rollups

    def read_sql(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Rows of one read-only statement (queries compiled from a fixed vocabulary, such
        as the customer list; values always as parameters)."""
        head = sql.lstrip()[:6].upper()
        if head not in ("SELECT", "WITH") and not head.startswith("WITH"):
            raise StoreError("read_sql runs SELECT statements only")
        with self._reading() as conn:
            return conn.execute(sql, params).fetchall()
