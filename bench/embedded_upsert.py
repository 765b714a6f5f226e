"""Embedded store write throughput, memory and reopen time.

    .venv/bin/python bench/embedded_upsert.py                 # 1M nodes + 2M relationships
    .venv/bin/python bench/embedded_upsert.py --scale 0.1     # a tenth of that

Writes customers, households and holdings, then HOLDS / MEMBER_OF / RELATED_TO
relationships in batches, as loaders will; then repeats the whole load (idempotent: no
row changes, so nothing is written); then closes and reopens the store. Prints rows/s of
the store calls (row generation is not counted), how much the process grew while
loading (SQLite's page cache, no graph copy), peak RSS and the reopen time.
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


class Workload:
    """Rows generated batch by batch from a seed, so the input never sits in memory whole
    (peak RSS then measures the store) and a second pass yields the very same rows."""

    def __init__(self, scale: float, seed: int, batch: int) -> None:
        self.n_customers = int(500_000 * scale)
        self.n_holdings = int(400_000 * scale)
        self.n_households = int(100_000 * scale)
        self.n_related = int(2_000_000 * scale) - 2 * self.n_holdings - self.n_customers
        self.seed = seed
        self.batch = batch

    def node_batches(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        rnd = random.Random(self.seed)
        cities = ["Oslo", "Bergen", "上海", "London", "Lyon", "München", "Austin"]
        for start in range(0, self.n_customers, self.batch):
            yield (
                "Customer",
                [
                    {
                        "id": f"C{i:08d}",
                        "name": f"Customer {i}",
                        "email": f"c{i}@example.com",
                        "phone": f"+4790{i:06d}",
                        "city": rnd.choice(cities),
                        "status": "active",
                        "lifetime_value": round(rnd.lognormvariate(6, 1.5), 2),
                    }
                    for i in range(start, min(start + self.batch, self.n_customers))
                ],
            )
        for start in range(0, self.n_households, self.batch):
            yield (
                "Household",
                [
                    {"id": f"H{i:08d}", "size": rnd.randint(1, 6)}
                    for i in range(start, min(start + self.batch, self.n_households))
                ],
            )
        for start in range(0, self.n_holdings, self.batch):
            yield (
                "Holding",
                [
                    {
                        "id": f"A{i:08d}",
                        "status": rnd.choice(["active", "active", "closed"]),
                        "opened_on": f"20{rnd.randint(10, 25)}-0{rnd.randint(1, 9)}-15",
                        "balance": round(rnd.uniform(0, 50_000), 2),
                    }
                    for i in range(start, min(start + self.batch, self.n_holdings))
                ],
            )

    def rel_batches(self) -> Iterator[tuple[str, str, str, list[RelRow]]]:
        rnd = random.Random(self.seed + 1)
        n_c, n_h = self.n_customers, self.n_households
        half = self.batch // 2
        for start in range(0, self.n_holdings, half):
            yield (
                "HOLDS",
                "Customer",
                "Holding",
                [
                    RelRow(f"C{rnd.randrange(n_c):08d}", f"A{i:08d}", {"role": role})
                    for i in range(start, min(start + half, self.n_holdings))
                    for role in ("primary", "joint")
                ],
            )
        for start in range(0, n_c, self.batch):
            yield (
                "MEMBER_OF",
                "Customer",
                "Household",
                [
                    RelRow(f"C{i:08d}", f"H{rnd.randrange(n_h):08d}", {"role": "other"})
                    for i in range(start, min(start + self.batch, n_c))
                ],
            )
        kinds = ["family", "referral", "employer", "co_signer"]
        for start in range(0, self.n_related, self.batch):
            yield (
                "RELATED_TO",
                "Customer",
                "Customer",
                [
                    RelRow(
                        f"C{rnd.randrange(n_c):08d}",
                        f"C{rnd.randrange(n_c):08d}",
                        {"kind": kinds[i % 4]},
                    )
                    for i in range(start, min(start + self.batch, self.n_related))
                ],
            )


def load(store: EmbeddedStore, work: Workload) -> dict[str, float]:
    """Returns rows/s of the store calls alone; generating rows is timed apart."""
    n_nodes = n_rels = 0
    node_s = rel_s = 0.0
    for label, rows in work.node_batches():
        t = time.perf_counter()
        store.upsert_nodes(label, rows)
        node_s += time.perf_counter() - t
        n_nodes += len(rows)
    for rel_type, src, dst, rels in work.rel_batches():
        t = time.perf_counter()
        store.upsert_relationships(rel_type, src, dst, rels)
        rel_s += time.perf_counter() - t
        n_rels += len(rels)
    return {
        "nodes": n_nodes,
        "relationships": n_rels,
        "node_seconds": node_s,
        "relationship_seconds": rel_s,
        "node_rows_per_s": n_nodes / node_s,
        "relationship_rows_per_s": n_rels / rel_s,
        "rows_per_s": (n_nodes + n_rels) / (node_s + rel_s),
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

    work = Workload(args.scale, args.seed, args.batch)
    gc.collect()
    base_rss = rss_mb()
    workdir = Path(tempfile.mkdtemp(prefix="ckb-bench-", dir=args.dir))
    path = workdir / "bench.sqlite"

    store = EmbeddedStore(path, synchronous=args.sync)
    first = load(store, work)
    loaded_rss = rss_mb()
    counts = store.counts()
    second = load(store, work)
    idempotent_s = second["node_seconds"] + second["relationship_seconds"]
    assert store.counts() == counts, "a repeated load changed the graph"
    store.close()
    del store
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
        "reopen_ms": round(reopen_s * 1000, 2),
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
