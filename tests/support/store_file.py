"""Read an embedded store's file directly, as another process would."""

from __future__ import annotations

import sqlite3
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
