"""Does the load path stream? Memory while loading a 1 GB file.

    .venv/bin/python bench/stream_memory.py --size-mb 1024

Writes a JSON Lines file of touchpoints of the given size, then runs the real Loader over
it (read, validate, resolve references, map to graph rows, batch) into a store that counts
the rows it is handed and keeps none, so the figures isolate the load path from the
embedded store, whose in-memory mirror grows with the data by design. Prints RSS as the
load goes: flat means the file is streamed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.store import Neighbour, Node, Properties, RelRow, UpsertResult
from loaders.parallel import checked_batches
from loaders.pipeline import DEFAULT_BATCH, Loader, LoadSummary, get_kind
from loaders.rejects import RejectsList
from loaders.sources import read_records


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class CountingStore:
    """Takes writes and drops them; every customer and agent exists."""

    def __init__(self) -> None:
        self.rows = 0

    def atomic(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def upsert_nodes(
        self, label: str, rows: Iterable[Properties], touch: Any = None
    ) -> UpsertResult:
        n = len(list(rows))
        self.rows += n
        return UpsertResult(n, n, 0)

    def upsert_relationships(
        self, rel_type: str, src: str, dst: str, rows: Iterable[RelRow], touch: Any = None
    ) -> UpsertResult:
        n = len(list(rows))
        self.rows += n
        return UpsertResult(n, n, 0)

    def get_nodes(self, label: str, keys: Sequence[str]) -> dict[str, Node]:
        return {k: Node(label, k, {"id": k}) for k in keys}

    def neighbours_many(
        self, label: str, keys: Sequence[str], *args: Any, **kw: Any
    ) -> dict[str, list[Neighbour]]:
        from graph.store import Edge

        return {
            k: [
                Neighbour(
                    Edge("RESOLVED_TO", label, k, "Customer", "C" + k, {}),
                    Node("Customer", "C" + k, {}),
                )
            ]
            for k in keys
        }


def write_file(path: Path, size_mb: int) -> int:
    n = 0
    target = size_mb * 2**20
    with path.open("wb") as f:
        while f.tell() < target:
            lines = []
            for _ in range(10_000):
                n += 1
                lines.append(
                    orjson.dumps(
                        {
                            "touchpoint_id": f"T{n:010d}",
                            "customer_id": f"W{n % 200_000:09d}",
                            "occurred_at": "2025-06-01T10:15:00Z",
                            "channel": "web",
                            "kind": "visit",
                            "direction": "inbound",
                            "reason": "browse",
                            "outcome": "viewed product pages and the offers section",
                        }
                    )
                )
            f.write(b"\n".join(lines) + b"\n")
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument(
        "--parallel", action="store_true", help="read and validate in a second process"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ckb-stream-"))
    path = work / "web.touchpoints.jsonl"
    n = write_file(path, args.size_mb)
    print(f"wrote {n:,} records, {path.stat().st_size / 2**20:,.0f} MB", flush=True)
    store = CountingStore()
    loader = Loader(store, get_kind("touchpoints"), "webshop", RejectsList())  # type: ignore[arg-type]
    summary = LoadSummary("touchpoints", "webshop", str(path))
    start_rss = rss_mb()
    samples: list[float] = []
    seen = 0

    def on_batch(count: int) -> None:
        nonlocal seen
        seen += count
        if seen % 500_000 < count:
            samples.append(rss_mb())
            print(f"  {seen:>12,} records  RSS {samples[-1]:,.0f} MB", flush=True)

    t = time.perf_counter()
    if args.parallel:
        kind = get_kind("touchpoints")
        loader.run_checked(checked_batches(kind, "webshop", path, DEFAULT_BATCH), summary, on_batch)
    else:
        loader.run(read_records(path), summary, on_batch)
    elapsed = time.perf_counter() - t
    peak = max(samples, default=rss_mb())
    print(
        f"loaded {summary.loaded:,} records ({store.rows:,} graph rows) in {elapsed:.0f} s; "
        f"RSS at start {start_rss:,.0f} MB, max during load {peak:,.0f} MB, end {rss_mb():,.0f} MB"
    )
    if args.parallel:
        reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"reading process: peak RSS {reader:,.0f} MB")
    path.unlink()
    work.rmdir()


if __name__ == "__main__":
    main()
