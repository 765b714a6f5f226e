"""Identity resolution against the sample's ground truth: quality and speed.

    .venv/bin/python bench/resolve.py --customers 10000

Generates the seed-42 sample, loads it (every source record its own customer), runs
``ckb resolve`` (matching and merging the graph) and scores the clusters against
truth/identity.csv: pairwise precision, recall and F1, and the share of people resolved
exactly. Times the matching alone (profiles, model, blocking, scoring, clustering) and
the whole command with its graph writes.
"""

from __future__ import annotations

import argparse
import csv
import resource
import statistics
import time
from datetime import date

from common import sample_store
from splink_compare import run_splink

from graph.memory import gc_paused
from identity.arrival import resolve_arrivals
from identity.clustering import resolve
from identity.evaluate import cluster_scores, pairwise_scores, truth_clusters
from identity.model import estimate_model
from identity.profile import profile
from identity.resolve import resolve_store
from loaders.pipeline import load_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()
    started = time.perf_counter()
    store, work = sample_store(args.customers, "ckb-resolve-")
    loaded = time.perf_counter()
    keys = store.keys("SourceRecord")
    nodes = store.get_nodes("SourceRecord", keys)
    today = date(2026, 11, 23)

    # As ckb resolve runs it: with the cyclic GC paused (see graph/memory.py).
    with gc_paused():
        t = time.perf_counter()
        profiles = [profile(k, n.props, today) for k, n in sorted(nodes.items())]
        t_profile = time.perf_counter() - t
        t = time.perf_counter()
        model = estimate_model(profiles)
        t_model = time.perf_counter() - t
        t = time.perf_counter()
        matched = resolve(profiles, model)
        t_match = time.perf_counter() - t
    matching_rate = len(profiles) / (t_profile + t_model + t_match)

    t = time.perf_counter()
    summary = resolve_store(store, today, model=model)
    t_store = time.perf_counter() - t

    with (work / "sample" / "truth" / "identity.csv").open(newline="") as f:
        truth = truth_clusters(csv.DictReader(f), set(nodes))
    scores = pairwise_scores(matched.clusters, truth)
    people = cluster_scores(matched.clusters, truth)
    print(
        f"{args.customers:,} people, {len(profiles):,} source records; load "
        f"{loaded - started:.1f} s"
    )
    print(
        f"matching: profiles {t_profile:.2f} s, model (u from random pairs) {t_model:.2f} s, "
        f"blocking+scoring+clustering {t_match:.2f} s ({len(matched.links):,} pairs scored): "
        f"{matching_rate:,.0f} records/s"
    )
    print(
        f"ckb resolve (matching + graph merge): {t_store:.1f} s, "
        f"{len(profiles) / t_store:,.0f} records/s; {summary.customers_before:,} -> "
        f"{summary.customers_after:,} customers, review {summary.review:,}, refused "
        f"{summary.refused:,}, skipped blocks {summary.skipped_blocks:,}"
    )
    print(
        f"pairwise precision {scores.precision:.4f}, recall {scores.recall:.4f}, "
        f"F1 {scores.f1:.4f}; people resolved exactly {people.exact:,} of {people.people:,} "
        f"({people.exact / people.people:.2%}), split {people.split:,}, customers mixing "
        f"people {people.mixed:,}"
    )
    person = {key: i for i, cluster in enumerate(truth) for key in cluster}
    real = sum(person.get(lk.a, -1) == person.get(lk.b, -2) for lk in matched.review)
    print(
        f"review queue: {len(matched.review):,} possible matches, {real:,} of them one "
        f"person ({real / max(len(matched.review), 1):.0%})"
    )
    print(f"flags: {summary.flags}")

    compared = run_splink(profiles)
    if compared is None:
        print("Splink: not installed (pip install -e '.[compare]' to compare)")
    else:
        splink_clusters, seconds = compared
        theirs = pairwise_scores(splink_clusters, truth)
        same = cluster_scores(splink_clusters, truth).exact
        print(
            f"Splink on the same normalised records: precision {theirs.precision:.4f}, "
            f"recall {theirs.recall:.4f}, F1 {theirs.f1:.4f}; people resolved exactly "
            f"{same:,} ({same / len(truth):.2%}); {seconds:.1f} s "
            f"({len(profiles) / seconds:,.0f} records/s, training included)"
        )

    # Resolution on arrival: copies of 200 known people's billing records, pushed by a new
    # system, each resolved against everything loaded.
    billing = [n for k, n in sorted(nodes.items()) if k.startswith("billing:")][:200]
    pushed = work / "push.customers.csv"
    fields = ["name", "birth_date", "email", "phone", "address", "postal_code", "country"]
    with pushed.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["source_record_id", *fields])
        for i, n in enumerate(billing):
            writer.writerow([f"P{i}", *(n.props.get(x) or "" for x in fields)])
    load_file(store, "customers", pushed, "push", rejects_path=work / "push.rejects")
    times = []
    merged = 0
    for i in range(len(billing)):
        t = time.perf_counter()
        [arrival] = resolve_arrivals(store, [f"push:P{i}"], actor="bench", today=today)
        times.append((time.perf_counter() - t) * 1000)
        merged += arrival.merged
    p99 = sorted(times)[int(0.99 * len(times))]
    print(
        f"resolution on arrival: {len(times)} pushed records, {merged} joined their person; "
        f"median {statistics.median(times):.2f} ms, p99 {p99:.2f} ms"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    store.close()


if __name__ == "__main__":
    main()
