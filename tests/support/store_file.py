"""Read an embedded store's file directly, as another process would."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def dump(path: Path) -> list[tuple[object, ...]]:
    """Every node and relationship in the file, named by labels and keys (not row IDs),
    in a stable order: two stores hold the same graph when their dumps are equal."""
    with sqlite3.connect(path) as conn:
        nodes = conn.execute(
            "SELECT label, key, props FROM node_rows ORDER BY label, key"
        ).fetchall()
        rels = conn.execute("SELECT * FROM relationship_rows ORDER BY 1, 2, 3, 4, 5, 6").fetchall()
    return nodes + rels


def row_counts(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Rows in the file per node label and per relationship type."""
    with closing(sqlite3.connect(path)) as conn:
        nodes = dict(
            conn.execute("SELECT label, count(*) FROM node_rows GROUP BY label").fetchall()
        )
        rels = dict(
            conn.execute("SELECT type, count(*) FROM relationship_rows GROUP BY type").fetchall()
        )
    return nodes, rels
