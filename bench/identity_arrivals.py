"""Identity on arrival against the batch, on public data: FEBRL sets split in two.

    .venv/bin/python bench/identity_arrivals.py                    # FEBRL 2, 3 and 4
    .venv/bin/python bench/identity_arrivals.py --sets febrl4 --late 0.2

Each file of a FEBRL set (bench/identity_public.py writes them) is shuffled (seed 7) and
split: the first 90% is loaded and resolved with ``ckb resolve``, the rest loaded after it
and resolved one record at a time on arrival (``resolve_arrivals``, as a push does).
Printed: pairwise precision, recall and F1 of the final graph (each record's customer)
against the truth, the recall of the true pairs holding a late record, and the time an
arrival takes.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from identity_public import write_febrl

from graph.embedded import EmbeddedStore
from identity.arrival import resolve_arrivals
from identity.evaluate import pairwise_scores
from identity.resolve import resolve_store
from loaders.pipeline import load_file

TODAY = date(2026, 12, 2)


def _split(path: Path, late: float, work: Path) -> tuple[Path, Path, list[str]]:
    """The file's rows shuffled and cut: (early file, late file, the late records' IDs)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    random.Random(7).shuffle(rows)
    cut = round(len(rows) * (1 - late))
    parts = []
    for name, chunk in (("early", rows[:cut]), ("late", rows[cut:])):
        out = work / f"{path.stem}.{name}.csv"
        with out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, list(rows[0]))
            writer.writeheader()
            writer.writerows(chunk)
        parts.append(out)
    return parts[0], parts[1], [r["source_record_id"] for r in rows[cut:]]


def run_set(name: str, late: float, work: Path) -> str:
    data = write_febrl(name, work / "data")
    truth: dict[str, str] = {}
    with (data / "truth" / "identity.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth[f"{row['source_system']}:{row['source_record_id']}"] = row["person_id"]
    store = EmbeddedStore(work / f"{name}.sqlite", synchronous="NORMAL")
    later: list[tuple[str, Path, list[str]]] = []
    for path in sorted(data.glob("*.customers.csv")):
        system = path.name.removesuffix(".customers.csv")
        early, late_file, late_ids = _split(path, late, work)
        load_file(store, "customers", early, system, rejects_path=work / f"{system}.early.rej")
        later.append((system, late_file, [f"{system}:{i}" for i in late_ids]))
    resolve_store(store, TODAY)
    pushed: list[str] = []
    started = time.perf_counter()
    for system, path, keys in later:
        load_file(store, "customers", path, system, rejects_path=work / f"{system}.late.rej")
        for key in keys:
            if store.get_node("SourceRecord", key) is not None:
                resolve_arrivals(store, [key], actor="bench", today=TODAY)
                pushed.append(key)
    per_arrival = (time.perf_counter() - started) / max(len(pushed), 1)
    owners = store.neighbour_keys_many(
        "SourceRecord", sorted(truth), "RESOLVED_TO", "out", "Customer", limit=1
    )
    store.close()
    ours: dict[str, list[str]] = defaultdict(list)
    people: dict[str, list[str]] = defaultdict(list)
    for key, person in truth.items():
        ours[owners[key][0] if key in owners else f"unloaded:{key}"].append(key)
        people[person].append(key)
    scores = pairwise_scores(list(ours.values()), list(people.values()))
    late_keys = set(pushed)
    late_pairs = [
        (a, b)
        for group in people.values()
        for a, b in combinations(group, 2)
        if a in late_keys or b in late_keys
    ]
    found = sum(1 for a, b in late_pairs if a in owners and owners.get(b) == owners[a])
    return (
        f"{name}: P {scores.precision:.4f} R {scores.recall:.4f} F1 {scores.f1:.4f}; "
        f"pairs with a late record found {found}/{len(late_pairs)} "
        f"({found / max(len(late_pairs), 1):.4f}); {per_arrival * 1000:.1f} ms an arrival"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="*", default=["febrl2", "febrl3", "febrl4"])
    parser.add_argument("--late", type=float, default=0.1, help="share of each file pushed late")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ckb-arrivals-") as tmp:
        for name in args.sets:
            work = Path(tmp) / name
            work.mkdir()
            print(run_set(name, args.late, work), flush=True)


if __name__ == "__main__":
    main()
