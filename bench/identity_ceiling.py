"""How far any decision on ckb's comparison levels could go: the pairwise F1 of an oracle.

    .venv/bin/python bench/identity_ceiling.py --grid                # the grid, 3 seeds
    .venv/bin/python bench/identity_ceiling.py --febrl --dir /tmp/pp/set1 --dir /tmp/pp/set2

Each set is loaded into a fresh embedded store (``ckb load customers``); its candidate
pairs are those of both of ckb's blocking key sets (with and without the household keys),
each compared as ``ckb resolve`` compares it (``Comparer.codes``: one level per field).
The oracle is told the truth and links every pair whose level pattern is more often one
person than two among the candidate pairs: no matcher deciding on these levels (ckb's
weights, Splink's, any threshold) can beat its pairwise precision and recall on them,
short of what clustering adds through third records. Pairs no key makes candidates are
misses for it too. ckb's own clustered scores (``identity.clustering.resolve``) are printed
beside it, from the same records.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from identity_gen import LEVELS, Settings, generate
from identity_public import FEBRL, write_febrl

from graph.embedded import EmbeddedStore
from identity.blocking import candidate_codes
from identity.clustering import resolve
from identity.comparison import Comparer
from identity.evaluate import pairwise_scores
from identity.model import estimate_model
from identity.profile import Profile, profile
from loaders.pipeline import load_file

TODAY = date(2026, 12, 2)


class Candidates(NamedTuple):
    """A set's records as ckb profiles them, its truth, and the pairs (``firsts[k]``,
    ``seconds[k]``: indexes into ``profiles``) either of ckb's blocking key sets makes."""

    truth: dict[str, str]
    profiles: list[Profile]
    firsts: list[int]
    seconds: list[int]


def candidates(data: Path, work: Path) -> Candidates:
    """Load a set's customer files into a fresh store in ``work`` and block its records."""
    truth: dict[str, str] = {}
    with (data / "truth" / "identity.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth[f"{row['source_system']}:{row['source_record_id']}"] = row["person_id"]
    store = EmbeddedStore(work / f"{data.name}.sqlite", synchronous="NORMAL")
    for path in sorted(data.glob("*.customers.*")):
        system = path.name.split(".")[0]
        load_file(store, "customers", path, system, rejects_path=work / f"{path.name}.rej")
    keys = sorted(store.keys("SourceRecord"))
    nodes = store.get_nodes("SourceRecord", keys)
    store.close()
    profiles = [profile(k, nodes[k].props, TODAY) for k in keys]
    n = len(profiles)
    model = estimate_model(profiles)
    codes = set(candidate_codes(profiles, model.generic)[0])
    codes.update(candidate_codes(profiles, model.generic, households=False)[0])
    pairs = sorted(codes)
    return Candidates(truth, profiles, [c // n for c in pairs], [c % n for c in pairs])


def ceiling(data: Path, work: Path) -> dict[str, float]:
    """The oracle's pairwise precision, recall and F1, pair completeness, and ckb's."""
    truth, profiles, firsts, seconds = candidates(data, work)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # pattern -> [one, two]
    for i, j, level in zip(firsts, seconds, Comparer(profiles).codes(firsts, seconds), strict=True):
        one = truth.get(profiles[i].key) == truth.get(profiles[j].key)
        counts[level][0 if one else 1] += 1
    found = sum(one for one, two in counts.values() if one > two)
    wrong = sum(two for one, two in counts.values() if one > two)
    people = Counter(truth.values())
    true_pairs = sum(c * (c - 1) // 2 for c in people.values())
    precision = found / max(found + wrong, 1)
    recall = found / max(true_pairs, 1)
    groups: dict[str, list[str]] = defaultdict(list)
    for key, person in truth.items():
        groups[person].append(key)
    ours = pairwise_scores(resolve(profiles).clusters, list(groups.values()))
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / max(precision + recall, 1e-12),
        "completeness": sum(one for one, _ in counts.values()) / max(true_pairs, 1),
        "ckb_precision": ours.precision,
        "ckb_recall": ours.recall,
        "ckb_f1": ours.f1,
    }


def grid_sets(work: Path, seeds: list[int]) -> Iterator[tuple[str, Path]]:
    for mode in ("dedup", "link"):
        for level in LEVELS:
            for seed in seeds:
                out = work / f"{mode}-{level}-{seed}"
                generate(out, Settings(mode=mode, level=level, records=5000, seed=seed))
                yield f"{mode}/{level}", out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", action="store_true", help="bench/identity_gen.py's grid")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--febrl", action="store_true", help="FEBRL 1-4 (identity_public.py)")
    parser.add_argument("--dir", type=Path, action="append", default=[], help="a set")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ckb-ceiling-") as tmp:
        work = Path(tmp)
        sets: list[tuple[str, Path]] = [(d.name, d) for d in args.dir]
        if args.febrl:
            sets += [(name, write_febrl(name, work / name)) for name in FEBRL]
        if args.grid:
            sets += grid_sets(work, args.seeds)
        by_cell: dict[str, list[dict[str, float]]] = defaultdict(list)
        for cell, data in sets:
            by_cell[cell].append(ceiling(data, work))
        print(
            "| set | oracle P | oracle R | oracle F1 | pair completeness | ckb P | ckb R | ckb F1 |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for cell, runs in by_cell.items():
            mean = {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}
            print(
                f"| {cell} | {mean['precision']:.4f} | {mean['recall']:.4f} | "
                f"**{mean['f1']:.4f}** | {mean['completeness']:.4f} | "
                f"{mean['ckb_precision']:.4f} | {mean['ckb_recall']:.4f} | {mean['ckb_f1']:.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
