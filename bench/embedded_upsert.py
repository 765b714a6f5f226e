"""Embedded store write throughput, memory and reopen time.

    .venv/bin/python bench/embedded_upsert.py                 # 1M nodes + 2M relationships
    .venv/bin/python bench/embedded_upsert.py --scale 0.1     # a tenth of that

Writes customers, households and holdings, then HOLDS / MEMBER_OF / RELATED_TO
relationships in batches, as loaders will; then repeats the whole load (idempotent: no
row changes, so nothing is written); then closes and reopens the store (rebuilding the
in-memory graph from SQLite). Prints rows/s, peak RSS and timings.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.embedded import EmbeddedStore
from graph.store import RelRow


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def batches(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def make_data(scale: float, seed: int) -> dict[str, Any]:
    rnd = random.Random(seed)
    n_customers = int(500_000 * scale)
    n_holdings = int(400_000 * scale)
    n_households = int(100_000 * scale)
    cities = ["Oslo", "Bergen", "上海", "London", "Lyon", "München", "Austin"]
    customers = [
        {
            "id": f"C{i:08d}",
            "name": f"Customer {i}",
            "email": f"c{i}@example.com",
            "phone": f"+4790{i:06d}",
            "city": rnd.choice(cities),
            "status": "active",
            "lifetime_value": round(rnd.lognormvariate(6, 1.5), 2),
        }
        for i in range(n_customers)
    ]
    households = [{"id": f"H{i:08d}", "size": rnd.randint(1, 6)} for i in range(n_households)]
    holdings = [
        {
            "id": f"A{i:08d}",
            "status": rnd.choice(["active", "active", "closed"]),
            "opened_on": f"20{rnd.randint(10, 25)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
            "balance": round(rnd.uniform(0, 50_000), 2),
        }
        for i in range(n_holdings)
    ]
    holds = [
        RelRow(f"C{rnd.randrange(n_customers):08d}", f"A{i:08d}", {"role": role})
        for i in range(n_holdings)
        for role in ("primary", "joint")
    ]
    member_of = [
        RelRow(f"C{i:08d}", f"H{rnd.randrange(n_households):08d}", {"role": "other"})
        for i in range(n_customers)
    ]
    kinds = ["family", "referral", "employer", "co_signer"]
    n_related = int(2_000_000 * scale) - len(holds) - len(member_of)
    related = [
        RelRow(
            f"C{rnd.randrange(n_customers):08d}",
            f"C{rnd.randrange(n_customers):08d}",
            {"kind": kinds[i % 4]},
        )
        for i in range(n_related)
    ]
    return {
        "nodes": [("Customer", customers), ("Household", households), ("Holding", holdings)],
        "rels": [
            ("HOLDS", "Customer", "Holding", holds),
            ("MEMBER_OF", "Customer", "Household", member_of),
            ("RELATED_TO", "Customer", "Customer", related),
        ],
    }


def load(store: EmbeddedStore, data: dict[str, Any], batch: int) -> dict[str, float]:
    t0 = time.perf_counter()
    n_nodes = 0
    for label, rows in data["nodes"]:
        for chunk in batches(rows, batch):
            store.upsert_nodes(label, chunk)
        n_nodes += len(rows)
    t1 = time.perf_counter()
    n_rels = 0
    for rel_type, src, dst, rows in data["rels"]:
        for chunk in batches(rows, batch):
            store.upsert_relationships(rel_type, src, dst, chunk)
        n_rels += len(rows)
    t2 = time.perf_counter()
    return {
        "nodes": n_nodes,
        "relationships": n_rels,
        "node_seconds": t1 - t0,
        "relationship_seconds": t2 - t1,
        "node_rows_per_s": n_nodes / (t1 - t0),
        "relationship_rows_per_s": n_rels / (t2 - t1),
        "rows_per_s": (n_nodes + n_rels) / (t2 - t0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M nodes + 2M rels")
    parser.add_argument("--batch", type=int, default=5000, help="rows per upsert call")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sync", default="FULL", help="SQLite synchronous mode")
    parser.add_argument("--dir", type=Path, help="where to put the store (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()

    data = make_data(args.scale, args.seed)
    gc.collect()
    base_rss = rss_mb()
    workdir = Path(tempfile.mkdtemp(prefix="ckb-bench-", dir=args.dir))
    path = workdir / "bench.sqlite"

    store = EmbeddedStore(path, synchronous=args.sync)
    first = load(store, data, args.batch)
    loaded_rss = rss_mb()
    counts = store.counts()
    t = time.perf_counter()
    second = load(store, data, args.batch)
    idempotent_s = time.perf_counter() - t
    assert store.counts() == counts, "a repeated load changed the graph"
    store.close()
    del data
    gc.collect()

    t = time.perf_counter()
    store = EmbeddedStore(path, synchronous=args.sync)
    reopen_s = time.perf_counter() - t
    assert store.counts() == counts, "reopen did not rebuild the same graph"
    store.close()

    size_mb = sum(p.stat().st_size for p in workdir.iterdir()) / 2**20
    figures = {
        "scale": args.scale,
        "batch": args.batch,
        "sync": args.sync,
        **{k: round(v, 1) for k, v in first.items()},
        "repeat_load_seconds": round(idempotent_s, 1),
        "repeat_rows_per_s": round((second["nodes"] + second["relationships"]) / idempotent_s, 1),
        "reopen_seconds": round(reopen_s, 1),
        "graph_rss_mb": round(loaded_rss - base_rss),
        "peak_rss_mb": round(peak_rss_mb()),
        "sqlite_mb": round(size_mb),
        "python": sys.version.split()[0],
    }
    for key, value in figures.items():
        print(f"{key:>26}: {value:,}" if isinstance(value, int | float) else f"{key:>26}: {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    for p in workdir.iterdir():
        p.unlink()
    workdir.rmdir()


if __name__ == "__main__":
    main()
