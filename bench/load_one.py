"""CPU of one file's load into a copy of an existing store: the writer (this process) and
the reading processes, apart.

    .venv/bin/python bench/load_one.py STORE FILE KIND SYSTEM [--now 2026-12-02T12:00:00Z]

The store is copied first (the load writes), so old and new code can load the same file
into the same store alternately (``PYTHONPATH=<a copy of the old tree>``): e.g. the 100k
sample's web touchpoints into a store holding every file loaded before them, as
``ckb load-dir`` orders them. ``--now`` fixes the load's clock, so records judged against
it (a time in the future) are rejected alike in every run.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from calibration import calibration

from graph.embedded import EmbeddedStore
from loaders.pipeline import load_file


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="an embedded store file to load into (copied)")
    parser.add_argument("file", type=Path)
    parser.add_argument("kind", help="customers, touchpoints, purchases ... (ckb load KIND)")
    parser.add_argument("system", help="the source system (ckb load --source)")
    parser.add_argument("--now", help="the load's clock, an ISO time (default: now)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ckb-load-one-") as work:
        copy = Path(work) / "store.sqlite"
        shutil.copyfile(args.store, copy)
        with EmbeddedStore(copy) as store:
            cpu, children, wall = time.process_time(), _children_cpu(), time.perf_counter()
            summary = load_file(
                store,
                args.kind,
                args.file,
                args.system,
                rejects_path=Path(work) / "rejects.jsonl",
                now=args.now,
            )
            cpu, children = time.process_time() - cpu, _children_cpu() - children
            wall = time.perf_counter() - wall
    read = max(summary.read, 1)
    print(
        f"{args.file.name}: {summary.read:,} records, {summary.rejected:,} rejected; writer "
        f"{cpu:.2f} s CPU ({cpu / read * 1e6:.1f} µs a record), reading processes "
        f"{children:.2f} s CPU, wall {wall:.2f} s ({summary.read / wall:,.0f} records/s); "
        f"calibration {calibration():.2f} s CPU"
    )


if __name__ == "__main__":
    main()
