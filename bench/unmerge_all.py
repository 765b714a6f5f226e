"""Does unmerge restore the graph exactly, at scale? Resolve the sample, undo every merge.

    .venv/bin/python bench/unmerge_all.py --customers 10000

Loads the seed-42 sample, hashes every node and relationship (the merge history aside:
merge events, audit entries, review items, the match model, aliases), runs ``ckb
resolve``, unmerges every merge it made, newest first, and hashes again. The two hashes
must be equal. Prints the snapshots' size and the time per unmerge.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import time
from datetime import date

import orjson
from common import sample_store

from graph.schema import schema
from graph.store import GraphStore
from identity.resolve import resolve_store
from identity.unmerge import unmerge

HISTORY_LABELS = {"MergeEvent", "AuditEntry", "ReviewItem", "MatchModel", "CustomerAlias"}
HISTORY_RELS = {"MERGED", "ALIAS_OF"}


def graph_hash(store: GraphStore) -> tuple[str, int]:
    """A hash of every node and relationship outside the history, and how many there are."""
    digest = hashlib.sha256()
    count = 0
    for label in sorted(schema().labels):
        if label in HISTORY_LABELS:
            continue
        keys = store.keys(label)
        for key, node in sorted(store.get_nodes(label, keys).items()):
            digest.update(orjson.dumps([label, key, node.props], option=orjson.OPT_SORT_KEYS))
            count += 1
        rels = sorted(
            orjson.dumps(
                [e.type, label, key, e.dst_label, e.dst_key, e.props], option=orjson.OPT_SORT_KEYS
            )
            for key, edges in store.relationships_of(label, keys).items()
            for e in edges
            if e.type not in HISTORY_RELS and (e.src_label, e.src_key) == (label, key)
        )
        for rel in rels:
            digest.update(rel)
        count += len(rels)
    return digest.hexdigest(), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()
    store, work = sample_store(args.customers, "ckb-unmerge-")
    before = graph_hash(store)
    summary = resolve_store(store, date(2026, 11, 23))
    events = store.get_nodes("MergeEvent", store.keys("MergeEvent"))
    merges = sorted(
        (n for n in events.values() if n.props.get("kind") == "merge"),
        key=lambda n: (str(n.props.get("at")), n.key),
        reverse=True,
    )
    size = sum(len(str(n.props.get("snapshot") or "")) for n in merges)
    started = time.perf_counter()
    for event in merges:
        unmerge(store, event.key, actor="bench")
    seconds = time.perf_counter() - started
    after = graph_hash(store)
    print(
        f"{args.customers:,} people: {summary.merges:,} merges, snapshots {size / 1e6:.0f} MB; "
        f"unmerged all in {seconds:.1f} s ({seconds / max(len(merges), 1) * 1000:.1f} ms each)"
    )
    print(f"graph before resolve: {before[1]:,} nodes and relationships, {before[0][:16]}")
    print(f"after unmerging all:  {after[1]:,} nodes and relationships, {after[0][:16]}")
    print("EXACT" if before == after else "DIFFERENT")
    store.close()
    shutil.rmtree(work)
    if before != after:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
