"""Load rate per record kind on the embedded store, against the parse+validate floor.

    .venv/bin/python bench/load.py --customers 100000            # generates the sample first
    .venv/bin/python bench/load.py --sample data/sample          # reuse a generated sample

For every file of the sample: (1) read and validate only (the floor: what no store can
beat), then (2) the full load into a fresh embedded store (validate, resolve references,
upsert). Prints records/s of both and their ratio per file, then totals and peak RSS.
Set CKB_BENCH_NEO4J_URI (with NEO4J_USER / NEO4J_PASSWORD) to also load into Neo4j.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from calibration import calibration
from common import bench_neo4j
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.embedded import EmbeddedStore
from graph.store import GraphStore
from loaders.directory import plan_directory
from loaders.parallel import reader_count, worth_parallel
from loaders.pipeline import get_kind, load_file
from loaders.sources import read_records
from sample.generator import generate_sample


def parse_validate(kind: str, path: Path) -> tuple[int, float]:
    model = get_kind(kind).model
    started = time.perf_counter()
    n = 0
    for raw in read_records(path):
        n += 1
        if raw.data is not None:
            with contextlib.suppress(ValidationError):
                model.model_validate(raw.data)
    return n, time.perf_counter() - started


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(store: GraphStore, sample: Path, rejects: Path) -> list[dict[str, object]]:
    """Per file: the floor, the load, and the CPU seconds of the loading process and of
    its reading processes (on a shared machine a steadier measure than the wall clock)."""
    rows = []
    for item in plan_directory(sample, None).loads:
        n, floor_s = parse_validate(item.kind, item.path)
        processes = 1 + reader_count(get_kind(item.kind)) if worth_parallel(item.path) else 1
        cpu, children = time.process_time(), _children_cpu()
        summary = load_file(
            store,
            item.kind,
            item.path,
            item.system,
            rejects_path=rejects / f"{item.path.name}.jsonl",
        )
        writer_us = (time.process_time() - cpu) / max(n, 1) * 1e6
        readers_us = (_children_cpu() - children) / max(n, 1) * 1e6
        rows.append(
            {
                "file": item.path.name,
                "kind": item.kind,
                "records": n,
                "parse_validate_per_s": round(n / floor_s),
                "load_per_s": round(summary.read / summary.seconds),
                "load_vs_floor": round(floor_s / summary.seconds, 2),
                "load_seconds": round(summary.seconds, 2),
                "processes": processes,
                "writer_cpu_us_per_record": round(writer_us, 1),
                "readers_cpu_us_per_record": round(readers_us, 1),
                "rejected": summary.rejected,
            }
        )
        print(
            f"{item.path.name:<32} {n:>10,} rec  floor {n / floor_s:>9,.0f}/s  "
            f"load {summary.read / summary.seconds:>9,.0f}/s  "
            f"({floor_s / summary.seconds:.0%} of floor, {processes} process(es); CPU µs a "
            f"record: writer {writer_us:.1f}, readers {readers_us:.1f})",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sample", type=Path, help="an existing sample directory")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ckb-load-"))
    sample = args.sample
    if sample is None:
        sample = work / "sample"
        t = time.perf_counter()
        generate_sample(args.customers, args.seed, sample)
        print(
            f"generated {args.customers:,} customers in {time.perf_counter() - t:.0f} s", flush=True
        )

    before = calibration()
    print(f"calibration {before:.2f} s CPU (this host's speed: bench/calibration.py)", flush=True)
    store = EmbeddedStore(work / "kb.sqlite")
    rows = run(store, sample, work / "rejects")
    store.close()
    after = calibration()
    total = sum(int(r["records"]) for r in rows)  # type: ignore[call-overload]
    load_s = sum(float(r["load_seconds"]) for r in rows)  # type: ignore[arg-type]
    figures: dict[str, object] = {
        "files": rows,
        "records": total,
        "load_seconds": round(load_s, 1),
        "load_per_s": round(total / load_s),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "calibration_s": [round(before, 2), round(after, 2)],
    }
    print(
        f"total {total:,} records in {load_s:.1f} s: {total / load_s:,.0f}/s; "
        f"peak RSS {figures['peak_rss_mb']} MB; calibration {before:.2f} / {after:.2f} s CPU"
    )

    neo = bench_neo4j()
    if neo is not None:
        figures["neo4j"] = run(neo, sample, work / "rejects-neo4j")
        neo.close()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
