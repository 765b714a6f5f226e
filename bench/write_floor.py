"""What SQLite alone costs to write one touchpoint in ckb's layout, and in an alternative:
the floor under any writer built on these tables.

    .venv/bin/python bench/write_floor.py [--customers 100000] [--existing 1300000]

A throw-away file per layout holds ``--customers`` customers and ``--existing``
touchpoints already (built by SQL, untimed), so the new rows land in B-trees of a real
store's size; then 150,000 new web touchpoints go in as ckb's writer sends them: 5,000
rows a statement sorted by key, 50,000 a transaction, ``synchronous=FULL``, a 256 MB cache,
each to a random existing customer. No staging, no JSON patching, no Python beyond the
calls: CPU seconds of this process per touchpoint, best of ``--repeat``. A calibration
workload's CPU is printed beside, as the host's speed varies run to run.

Layouts, each a row per touchpoint plus:

- ``ckb``: graph/embedded/layout.py as it is: the node (``nodes`` + its (label, key) index),
  its four property indexes (JSON expression indexes from graph/schema.py), and two
  relationships (customer -HAD_TOUCHPOINT-> it, it -VIA-> its channel), each a ``rels`` row
  and a ``rels_in`` entry;
- ``ckb, indexes deferred``: the same without the property indexes, as a bulk load writes
  (it builds them by sorting at its end; the build is timed apart);
- ``ckb, no relationships``: the node and its key only;
- ``inline``: a table of its own for the label, with typed columns for the indexed
  properties and each many-to-one relationship as a column of the row (its reverse an
  index on that column), so a touchpoint is one row, its key, an index per relationship
  and its property indexes; and the same with its property indexes deferred.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calibration import calibration

from graph.embedded.layout import BASE_DDL, property_indexes
from graph.schema import schema

NEW, BATCH, GROUP = 150_000, 5_000, 50_000
CUSTOMER, TOUCHPOINT, CHANNEL = 1, 2, 3  # label codes
HAD_TOUCHPOINT, VIA = 1, 2  # type codes
CHANNELS = 7
KINDS = ("visit", "email", "complaint", "inquiry", "purchase", "campaign", "call")


def _props(key: str, kind: str, at: str) -> str:
    return (
        f'{{"id":"{key}","occurred_at":"{at}","channel":"web","kind":"{kind}",'
        f'"direction":"inbound","reason":"browse","source_system":"webshop",'
        f'"source_record_id":"{key}","loaded_at":"2026-12-02T12:00:00Z"}}'
    )


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode = WAL",
        "synchronous = FULL",
        "cache_size = -262144",
        "temp_store = MEMORY",
        "wal_autocheckpoint = 16384",
    ):
        conn.execute(f"PRAGMA {pragma}")
    return conn


# The existing rows: keys T0000000.., a kind, a time and a customer drawn from the row
# number, so each layout is filled alike.
_EXISTING = (
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :existing) "
    "SELECT i, printf('T%07d', i) AS key, (i * 7919) % :customers + 1 AS customer, "
    "i % 7 + 1 AS channel, "
    "CASE i % 7 WHEN 0 THEN 'visit' WHEN 1 THEN 'email' WHEN 2 THEN 'complaint' "
    "WHEN 3 THEN 'inquiry' WHEN 4 THEN 'purchase' WHEN 5 THEN 'campaign' ELSE 'call' END "
    "AS kind, printf('2025-%02d-%02dT10:00:00Z', i % 12 + 1, i % 28 + 1) AS at FROM n"
)


def _ckb_indexes() -> list[str]:
    return [ix.ddl(TOUCHPOINT) for ix in property_indexes(schema()) if ix.label == "Touchpoint"]


def build_ckb(conn: sqlite3.Connection, customers: int, existing: int) -> None:
    for ddl in BASE_DDL:
        conn.execute(ddl)
    conn.execute("BEGIN")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO nodes (id, label, key, props) "
        "SELECT i, ?, printf('C%08d', i), '{\"name\":\"x\"}' FROM n",
        (customers, CUSTOMER),
    )
    base = customers + 1
    conn.executemany(
        "INSERT INTO nodes (id, label, key, props) VALUES (?, ?, ?, '{}')",
        [(base + c, CHANNEL, f"channel{c}") for c in range(CHANNELS)],
    )
    first = base + CHANNELS
    args = {"existing": existing, "customers": customers}
    conn.execute(
        "INSERT INTO nodes (id, label, key, props) "
        f"SELECT {first} + i, {TOUCHPOINT}, key, json_object('id', key, 'kind', kind, "
        f"'occurred_at', at) FROM ({_EXISTING})",
        args,
    )
    conn.execute(
        "INSERT INTO rels (src, type, dst_label, dst, rkey, src_label, props) "
        f"SELECT customer, {HAD_TOUCHPOINT}, {TOUCHPOINT}, {first} + i, '', {CUSTOMER}, '{{}}' "
        f"FROM ({_EXISTING}) ORDER BY 1, 4",
        args,
    )
    conn.execute(
        "INSERT INTO rels (src, type, dst_label, dst, rkey, src_label, props) "
        f"SELECT {first} + i, {VIA}, {CHANNEL}, {base} + channel - 1, '', {TOUCHPOINT}, '{{}}' "
        f"FROM ({_EXISTING})",
        args,
    )
    for ddl in _ckb_indexes():
        conn.execute(ddl)
    conn.execute("COMMIT")


def _batches(
    conn: sqlite3.Connection, rows: list[tuple[str, str, str, int]], next_id: int
) -> Iterator[tuple[range, list[tuple[str, str, str, int]]]]:
    """The rows as the writer sends them: ``BATCH`` rows at a time with their new IDs,
    ``GROUP`` rows to a transaction."""
    for start in range(0, len(rows), GROUP):
        conn.execute("BEGIN IMMEDIATE")
        for at in range(start, start + GROUP, BATCH):
            batch = rows[at : at + BATCH]
            yield range(next_id, next_id + len(batch)), batch
            next_id += len(batch)
        conn.execute("COMMIT")


def write_ckb(
    conn: sqlite3.Connection,
    rows: list[tuple[str, str, str, int]],
    customers: int,
    relationships: bool = True,
) -> None:
    channel = customers + 1
    first = conn.execute("SELECT max(id) + 1 FROM nodes").fetchone()[0]
    for ids, batch in _batches(conn, rows, first):
        conn.executemany(
            f"INSERT INTO nodes (id, label, key, props) VALUES (?, {TOUCHPOINT}, ?, ?)",
            [
                (i, key, _props(key, kind, when))
                for i, (key, kind, when, _) in zip(ids, batch, strict=True)
            ],
        )
        if not relationships:
            continue
        rels = [
            (customer, HAD_TOUCHPOINT, TOUCHPOINT, i, CUSTOMER)
            for i, (_, _, _, customer) in zip(ids, batch, strict=True)
        ]
        rels += [(i, VIA, CHANNEL, channel, TOUCHPOINT) for i in ids]
        rels.sort()
        conn.executemany(
            "INSERT INTO rels (src, type, dst_label, dst, rkey, src_label, props) "
            "VALUES (?, ?, ?, ?, '', ?, '{}')",
            rels,
        )


def write_nodes_only(
    conn: sqlite3.Connection, rows: list[tuple[str, str, str, int]], customers: int
) -> None:
    write_ckb(conn, rows, customers, relationships=False)


INLINE_INDEXES = (
    "CREATE INDEX tp_kind ON touchpoint (kind, key)",
    "CREATE INDEX tp_kind_at ON touchpoint (kind, occurred_at, key)",
    "CREATE INDEX tp_at ON touchpoint (occurred_at, key)",
    "CREATE INDEX tp_status ON touchpoint (resolution_status, key) "
    "WHERE resolution_status IS NOT NULL",
)


def build_inline(conn: sqlite3.Connection, customers: int, existing: int) -> None:
    conn.execute(
        "CREATE TABLE customer (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, props TEXT)"
    )
    conn.execute(
        "CREATE TABLE touchpoint (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
        " customer INTEGER, channel INTEGER, kind TEXT, occurred_at TEXT,"
        " resolution_status TEXT, props TEXT NOT NULL)"
    )
    conn.execute("BEGIN")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO customer SELECT i, printf('C%08d', i), '{\"name\":\"x\"}' FROM n",
        (customers,),
    )
    conn.execute(
        "INSERT INTO touchpoint (id, key, customer, channel, kind, occurred_at, props) "
        "SELECT i + 1, key, customer, channel, kind, at, '{}' FROM (" + _EXISTING + ")",
        {"existing": existing, "customers": customers},
    )
    conn.execute("CREATE INDEX tp_customer ON touchpoint (customer, id)")
    conn.execute("CREATE INDEX tp_channel ON touchpoint (channel, id)")
    for ddl in INLINE_INDEXES:
        conn.execute(ddl)
    conn.execute("COMMIT")


def write_inline(conn: sqlite3.Connection, rows: list[tuple[str, str, str, int]], _: int) -> None:
    first = conn.execute("SELECT max(id) + 1 FROM touchpoint").fetchone()[0]
    for ids, batch in _batches(conn, rows, first):
        conn.executemany(
            "INSERT INTO touchpoint (id, key, customer, channel, kind, occurred_at, props) "
            "VALUES (?, ?, ?, 1, ?, ?, ?)",
            [
                (i, key, customer, kind, when, _props(key, kind, when))
                for i, (key, kind, when, customer) in zip(ids, batch, strict=True)
            ],
        )


Builder = Callable[[sqlite3.Connection, int, int], None]
Writer = Callable[[sqlite3.Connection, list[tuple[str, str, str, int]], int], None]


def _drop_ckb_indexes(conn: sqlite3.Connection) -> list[str]:
    names = [ix.name for ix in property_indexes(schema()) if ix.label == "Touchpoint"]
    for name in names:
        conn.execute(f'DROP INDEX "{name}"')
    return _ckb_indexes()


def _drop_rels(conn: sqlite3.Connection) -> list[str]:
    _drop_ckb_indexes(conn)
    return []


def _drop_inline_indexes(conn: sqlite3.Connection) -> list[str]:
    for ddl in INLINE_INDEXES:
        conn.execute(f"DROP INDEX {ddl.split()[2]}")
    return list(INLINE_INDEXES)


LAYOUTS: dict[str, tuple[Builder, Writer, Callable[[sqlite3.Connection], list[str]] | None]] = {
    "ckb": (build_ckb, write_ckb, None),
    "ckb, indexes deferred": (build_ckb, write_ckb, _drop_ckb_indexes),
    "ckb, no relationships": (build_ckb, write_nodes_only, _drop_rels),
    "inline": (build_inline, write_inline, None),
    "inline, indexes deferred": (build_inline, write_inline, _drop_inline_indexes),
}


def measure(
    name: str, work: Path, customers: int, existing: int, rows: list[tuple[str, str, str, int]]
) -> tuple[float, float]:
    """CPU µs per new touchpoint, and µs per touchpoint to build deferred indexes after."""
    build, write, defer = LAYOUTS[name]
    path = work / f"{name.replace(' ', '_').replace(',', '')}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = _connect(path)
    build(conn, customers, existing)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rebuild = defer(conn) if defer else []
    started = time.process_time()
    write(conn, rows, customers)
    written = time.process_time() - started
    started = time.process_time()
    for ddl in rebuild:
        conn.execute(ddl)
    built = time.process_time() - started
    conn.close()
    path.unlink()
    return written / len(rows) * 1e6, built / len(rows) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=1_300_000, help="touchpoints already there")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--layout", action="append", choices=sorted(LAYOUTS))
    args = parser.parse_args()
    rng = random.Random(1)
    rows = sorted(
        (f"T{args.existing + i:07d}", rng.choice(KINDS), f"2026-{i % 12 + 1:02d}-01T10:00:00Z",
         rng.randint(1, args.customers))
        for i in range(NEW)
    )  # fmt: skip
    names = args.layout or list(LAYOUTS)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    calibrations = [calibration()]
    with tempfile.TemporaryDirectory(prefix="ckb-write-floor-") as tmp:
        for _ in range(args.repeat):
            for name in names:
                results[name].append(measure(name, Path(tmp), args.customers, args.existing, rows))
            calibrations.append(calibration())
    print(
        f"{NEW:,} new touchpoints into {args.customers:,} customers and {args.existing:,} "
        f"touchpoints; calibration {min(calibrations):.2f}-{max(calibrations):.2f} s CPU"
    )
    for name, runs in results.items():
        write_us, build_us = min(runs)
        deferred = (
            f", +{build_us:.1f} µs building the deferred indexes"
            if name.endswith("deferred")
            else ""
        )
        print(f"{name:26s} {write_us:5.1f} µs CPU a touchpoint{deferred}")


if __name__ == "__main__":
    main()
