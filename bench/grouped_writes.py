"""Writing into a big embedded store: touchpoints of existing customers, by transaction size.

    .venv/bin/python bench/grouped_writes.py STORE --group 1 --group 10 [--sync FULL]

Copies STORE (a loaded store, e.g. the 100k sample's) for each run, then upserts 100,000
touchpoint nodes (occurred_at, kind and channel: three property indexes) and a
HAD_TOUCHPOINT relationship from a random existing customer to each, through the store
port in batches of 5,000 — committing every ``group`` batches. Prints records/s of the
store calls alone (rows are generated before the clock starts).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.embedded import EmbeddedStore
from graph.store import RelRow

RECORDS, BATCH = 100_000, 5_000


def batches(customers: list[str], rnd: random.Random) -> list[tuple[list[Any], list[RelRow]]]:
    out = []
    for b in range(RECORDS // BATCH):
        nodes = [
            {
                "id": f"bench-{b}-{i}",
                "occurred_at": f"20{rnd.randint(10, 26)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"
                f"T10:{rnd.randint(10, 59)}:00Z",
                "kind": rnd.choice(["visit", "complaint", "inquiry", "email"]),
                "channel": "web",
                "source_system": "bench",
                "source_record_id": f"{b}-{i}",
            }
            for i in range(BATCH)
        ]
        out.append((nodes, [RelRow(rnd.choice(customers), n["id"]) for n in nodes]))
    return out


def run(source: Path, group: int, sync: str) -> float:
    with tempfile.TemporaryDirectory(prefix="ckb-grouped-") as work:
        path = Path(work) / "kb.sqlite"
        shutil.copy(source, path)
        store = EmbeddedStore(path, synchronous=sync)
        work_rows = batches(store.keys_page("Customer", limit=200_000), random.Random(1))
        started = time.perf_counter()
        for start in range(0, len(work_rows), group):
            with store.atomic():
                for nodes, rels in work_rows[start : start + group]:
                    store.upsert_nodes("Touchpoint", nodes, touch={"loaded_at": "bench"})
                    store.upsert_relationships("HAD_TOUCHPOINT", "Customer", "Touchpoint", rels)
        elapsed = time.perf_counter() - started
        store.close()
    return RECORDS / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--group", type=int, action="append", help="batches per transaction")
    parser.add_argument("--sync", default="FULL")
    args = parser.parse_args()
    for group in args.group or [1, 10]:
        rate = run(args.store, group, args.sync)
        print(f"{group:>3} batch(es) per transaction, synchronous={args.sync}: {rate:,.0f}/s")


if __name__ == "__main__":
    main()
