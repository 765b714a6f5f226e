"""This host's speed, for reading a benchmark's figures beside another's.

The development machine's two cores are shared: the same work takes up to twice as long
from one hour to the next. Benchmarks print the CPU seconds of one fixed workload (an
integer loop, JSON, SQLite inserts in memory) beside their figures: two figures are
comparable when their calibrations are (1.3-2.3 s seen here). Imports nothing of ckb, so
a benchmark run against another tree (``PYTHONPATH=<tree>``) still loads that tree.
"""

from __future__ import annotations

import sqlite3
import time

import orjson


def calibration() -> float:
    """CPU seconds of the fixed workload."""
    started = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i * i % 7
    doc = {"a": "x" * 50, "b": 12345, "c": [1, 2, 3], "d": "2026-01-01T00:00:00Z"}
    for _ in range(300_000):
        orjson.loads(orjson.dumps(doc))
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    conn.executemany(
        "INSERT INTO t VALUES (?, ?)",
        ((f"k{i * 7919 % 200000}", "v" * 100) for i in range(200_000)),
    )
    conn.close()
    return time.process_time() - started
