"""Convert a store file of the embedded store's first design to the current one, in place.

The first design kept nodes and relationships as rows too, but found them through a
networkx mirror rebuilt on every open, so its file has no indexes. Converting adds them
(and the counts and term tables), in one transaction: a failure leaves the file as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from pathlib import Path

from graph.embedded.layout import (
    BASE_DDL,
    FIRST_FORMAT,
    FORMAT,
    Codes,
    property_indexes,
    split_terms,
    term_field,
    type_expr,
    value_expr,
    vocabulary,
)
from graph.errors import StoreCorruptError, StoreError, StoreLockedError
from graph.schema import GraphSchema, schema


def _first_design_lock(path: Path) -> int | None:
    """Take the first design's lock file, so no process of that ckb writes meanwhile."""
    lock_path = path.with_name(path.name + ".lock")
    if not lock_path.exists():
        return None
    fd = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreLockedError(
            f"{path} is open in a ckb of the first design; stop it, then upgrade"
        ) from None
    return fd


def upgrade_first_design(path: str | os.PathLike[str], model: GraphSchema | None = None) -> str:
    """Convert ``path`` in place; returns a one-line summary."""
    path = Path(os.path.realpath(path))
    model = model or schema()
    if not path.is_file():
        raise StoreError(f"{path} does not exist")
    lock_fd = _first_design_lock(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            return _convert(conn, path, model)
        except sqlite3.IntegrityError as exc:
            raise StoreCorruptError(f"{path} holds a key twice ({exc}); not converted") from None
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"{path} is not a readable ckb store: {exc}") from None
        finally:
            conn.close()
    finally:
        if lock_fd is not None:
            os.close(lock_fd)
            with contextlib.suppress(OSError):
                path.with_name(path.name + ".lock").unlink()


def _convert(conn: sqlite3.Connection, path: Path, model: GraphSchema) -> str:
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA cache_size = -262144")
    conn.execute("BEGIN IMMEDIATE")
    try:
        fmt = conn.execute("SELECT v FROM meta WHERE k = 'format'").fetchone()
        if fmt is not None and fmt[0] == FORMAT:
            conn.execute("ROLLBACK")
            return f"{path} is already in the current format ({FORMAT})"
        if fmt is None or fmt[0] != FIRST_FORMAT:
            raise StoreCorruptError(f"{path} is not a ckb store of the first design")
        conn.execute("ALTER TABLE rels RENAME TO rels_first")
        conn.execute("ALTER TABLE nodes RENAME TO nodes_first")
        for ddl in BASE_DDL:
            conn.execute(ddl)
        # Every name the file holds gets a code, the model's and any it no longer has.
        conn.executemany(
            "INSERT OR IGNORE INTO vocab (kind, name) VALUES (?, ?)", vocabulary(model)
        )
        conn.execute(
            "INSERT OR IGNORE INTO vocab (kind, name) SELECT DISTINCT 'label', label "
            "FROM nodes_first UNION SELECT DISTINCT 'type', type FROM rels_first"
        )
        # One JSON rendering for every stored map: the merge compares texts to see change.
        conn.execute(
            "INSERT INTO nodes (id, label, key, props) "
            "SELECT n.id, v.code, n.key, json(n.props) FROM nodes_first AS n "
            "JOIN vocab AS v ON v.kind = 'label' AND v.name = n.label"
        )
        conn.execute(
            "INSERT INTO rels (src, type, dst_label, dst, rkey, src_label, props) "
            "SELECT r.src, v.code, d.label, r.dst, r.rkey, s.label, json(r.props) "
            "FROM rels_first AS r JOIN vocab AS v ON v.kind = 'type' AND v.name = r.type "
            "JOIN nodes AS s ON s.id = r.src JOIN nodes AS d ON d.id = r.dst "
            "ORDER BY 1, 2, 3, 4, 5"
        )
        conn.execute("DROP TABLE rels_first")
        conn.execute("DROP TABLE nodes_first")
        codes = Codes.of(conn.execute("SELECT code, kind, name FROM vocab").fetchall())
        conn.execute(
            "INSERT INTO counts (kind, name, n) "
            "SELECT 'node', v.name, count(*) FROM nodes JOIN vocab AS v ON v.code = nodes.label "
            "GROUP BY v.name UNION ALL SELECT 'rel', v.name, count(*) FROM rels "
            "JOIN vocab AS v ON v.code = rels.type GROUP BY v.name"
        )
        for node_type in model.nodes:
            for prop in node_type.terms:
                rows = conn.execute(
                    f"SELECT id, {value_expr(prop)} FROM nodes "
                    f"WHERE label = ? AND {type_expr(prop)} = 'text'",
                    (codes.labels[node_type.label],),
                ).fetchall()
                field = codes.fields[term_field(node_type.label, prop)]
                conn.executemany(
                    "INSERT OR IGNORE INTO terms (field, term, node) VALUES (?, ?, ?)",
                    ((field, term, nid) for nid, value in rows for term in split_terms(value)),
                )
        for index in property_indexes(model):
            conn.execute(index.ddl(codes.labels[index.label]))
        conn.execute("UPDATE meta SET v = ? WHERE k = 'format'", (FORMAT,))
        nodes, rels = conn.execute(
            "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM rels)"
        ).fetchone()
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return f"converted {path} to {FORMAT}: {nodes:,} nodes, {rels:,} relationships"
