"""``ckb resolve``: run identity matching over every source record and apply it to the graph.

Every source record is read and profiled (identity/profile.py), the model estimated from
them (identity/model.py) and stored (identity/model_store.py), and the records clustered
(identity/clustering.py). Customers whose records share a cluster merge
(identity/merge.py); possible matches become review items (identity/review.py).

Batch resolution only merges. Re-running on an unchanged graph finds the same clusters
and changes nothing. Splitting a customer is a person's decision (unmerge), not a batch's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from graph import clock
from graph.algorithms import linked_groups
from graph.memory import gc_paused
from graph.store import GraphStore, Node, TransactionGroups
from identity.clustering import Resolution, resolve
from identity.matching import Link
from identity.merge import merge_customers
from identity.model import Model, estimate_model
from identity.model_store import save_model, stored_version
from identity.profile import Profile, profile
from identity.review import rejected_pairs, store_review_items


@dataclass
class ResolveSummary:
    records: int = 0
    customers_before: int = 0
    customers_after: int = 0
    merges: int = 0  # merge events (one per group of customers merged)
    absorbed: int = 0  # customer IDs retired into a survivor
    review: int = 0  # open review items after the run
    new_review: int = 0  # of which created by this run
    refused: int = 0
    skipped_blocks: int = 0
    model_version: int = 0  # the stored match model this run weighed with
    new_model: bool = False  # whether it differs from the model stored before
    flags: dict[str, int] = field(default_factory=dict)
    resolution: Resolution | None = None


def source_records(store: GraphStore, batch: int = 5000) -> Iterator[tuple[Node, str | None]]:
    """Every source record with the customer it resolves to (its first RESOLVED_TO in the
    port's order), a page at a time."""
    after: str | None = None
    while keys := store.keys_page("SourceRecord", after, batch):
        after = keys[-1]
        nodes = store.get_nodes("SourceRecord", keys)
        # The customers' keys alone: neither the links nor the customers are read.
        owners = store.neighbour_keys_many(
            "SourceRecord", keys, "RESOLVED_TO", "out", "Customer", limit=1
        )
        for key in keys:
            if key in nodes:
                owner = owners.get(key)
                yield nodes[key], owner[0] if owner else None


# How a long run reports how far it got: (phase, done, total). Within a phase ``done`` only
# grows, and the phase's last call has done == total. Drawing it is the caller's business.
Progress = Callable[[str, int, int], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def _read_records(
    store: GraphStore, batch: int, today: date, progress: Progress
) -> tuple[list[Profile], dict[str, str]]:
    """Every source record's matching profile, and the customer each resolves to. The
    records themselves are not kept (the merge reads those it needs, a chunk at a time):
    their properties weigh more than their profiles."""
    expected = store.counts().nodes.get("SourceRecord", 0)
    profiles: list[Profile] = []
    owner: dict[str, str] = {}
    for node, customer in source_records(store, batch):
        profiles.append(profile(node.key, node.props, today))
        if customer is not None:
            owner[node.key] = customer
        if len(profiles) % batch == 0:
            progress("reading", len(profiles), max(expected, len(profiles)))
    progress("reading", len(profiles), len(profiles))
    return profiles, owner


def resolve_store(
    store: GraphStore,
    today: date | None = None,
    actor: str = "ckb resolve",
    batch: int = 5000,
    model: Model | None = None,
    progress: Progress = _no_progress,
) -> ResolveSummary:
    """Match every source record and merge the customers found to be one. ``progress``
    hears of the phases: reading (records), matching (records: estimating the model,
    blocking, comparing, clustering) and merging (groups of customers)."""
    with gc_paused():
        return _resolve_store(store, today or clock.today(), actor, batch, model, progress)


def _resolve_store(
    store: GraphStore,
    today: date,
    actor: str,
    batch: int,
    model: Model | None,
    progress: Progress,
) -> ResolveSummary:
    profiles, owner = _read_records(store, batch, today, progress)
    summary = ResolveSummary(records=len(profiles))
    for p in profiles:
        for flag in p.flags:
            summary.flags[flag] = summary.flags.get(flag, 0) + 1
    rejected = rejected_pairs(store)
    model = model or estimate_model(profiles)
    result = resolve(
        profiles,
        model,
        cannot_link=rejected,
        compared=lambda done, total: progress("comparing", done, total),
    )
    model.one_record = result.one_record  # found while clustering; kept for arrivals
    before = stored_version(store)
    summary.model_version = save_model(store, model)
    summary.new_model = summary.model_version != before
    summary.resolution = result
    summary.refused = len(result.refused)
    summary.skipped_blocks = result.skipped_blocks
    summary.customers_before = len(set(owner.values()))

    # Groups of customers to merge: customers whose records share a cluster, i.e. the
    # connected components of the links a cluster makes between its records' customers.
    # Records that already share a customer stay together (batch resolution never splits).
    links: list[tuple[str, str]] = []
    for cluster in result.clusters:
        customers = sorted({owner[r] for r in cluster if r in owner})
        if len(customers) > 1:
            links.extend((customers[0], other) for other in customers[1:])
    merging = linked_groups(links)
    link_of = _best_links(result)
    records_of: dict[str, list[str]] = defaultdict(list)
    for record, customer in owner.items():
        records_of[customer].append(record)
    _merge_groups(store, merging, records_of, link_of, actor, summary, progress, model.version)
    summary.customers_after = summary.customers_before - summary.absorbed
    reviewed = store.get_nodes(
        "SourceRecord", sorted({k for lk in result.review for k in (lk.a, lk.b)})
    )
    summary.new_review = store_review_items(store, result.review, reviewed, model)
    summary.review = len(store.find_nodes("ReviewItem", "status", "open", limit=10**9))
    return summary


def _merge_groups(
    store: GraphStore,
    merging: list[list[str]],
    records_of: Mapping[str, list[str]],
    link_of: Mapping[str, Link],
    actor: str,
    summary: ResolveSummary,
    progress: Progress,
    model_version: int | None = None,
) -> None:
    """Merge each group of customers, ``MERGE_CHUNK`` groups a call, reading the chunk's
    source records as it goes."""
    progress("merging", 0, len(merging))
    chunks = [merging[start : start + MERGE_CHUNK] for start in range(0, len(merging), MERGE_CHUNK)]
    with TransactionGroups(store, MERGE_GROUP_SECONDS) as transactions:
        for first in range(0, len(chunks), MERGE_CHUNKS_PER_UNIT):
            with transactions.unit():
                for chunk in chunks[first : first + MERGE_CHUNKS_PER_UNIT]:
                    by_record = store.get_nodes(
                        "SourceRecord",
                        sorted(r for g in chunk for c in g for r in records_of.get(c, ())),
                    )
                    merge_customers(
                        store, chunk, records_of, by_record, link_of, actor, model_version
                    )
                    summary.merges += len(chunk)
                    summary.absorbed += sum(len(g) - 1 for g in chunk)
                    progress("merging", summary.merges, len(merging))


# Groups of customers per merge call. Which groups share a call is part of the result
# (a RELATED_TO between two groups' customers is re-drawn in one step or in two, and the
# merge events' snapshots say which): changing it changes the merge history written, not
# the graph. 2,000 rather than 500: each call reads and re-points its customers' rows in
# a few statements, and fewer, bigger calls cost ~10% less (100k sample: merging 68.1 /
# 63.4 -> 56.7 / 58.5 s CPU, peak RSS 1,308 / 1,249 -> 1,262 MB).
MERGE_CHUNK = 2000
# Merge chunks share a write transaction for up to this long (store permitting): a commit
# writes every page its transaction touched, and merges touch pages all over the file
# (30k sample: 53 commits took 8.2 s of 40; in one transaction 0.8 s). A push waiting
# on the write lock meanwhile waits at most about this long (and one unit more).
MERGE_GROUP_SECONDS = 5.0
# Chunks per unit of TransactionGroups: its cap on units per transaction is sized for
# loader batches; ten units of 500 groups (~3 s at 100k customers) each commit rewrote a
# third of the file (100k sample: 18 commits, 1.06M WAL frames, a RESOLVED_TO page up to
# 18 times), so a unit is 2,000 groups and the time limit is what bounds a transaction.
MERGE_CHUNKS_PER_UNIT = 1


def _best_links(result: Resolution) -> dict[str, Link]:
    """For each record, the strongest link that put it in its cluster (of equal weights,
    the first scored)."""
    cluster_of = {k: i for i, c in enumerate(result.clusters) for k in c}
    best: dict[str, tuple[float, str, str]] = {}
    for a, b, weight in result.links.weighed():
        if cluster_of.get(a) != cluster_of.get(b):
            continue
        for key in (a, b):
            if key not in best or weight > best[key][0]:
                best[key] = (weight, a, b)
    # One Link per pair (a pair comes in one order): a merge writes the evidence of a
    # link shared by its ends once.
    links = {pair: result.links[pair] for pair in {(a, b) for _, a, b in best.values()}}
    return {key: links[(a, b)] for key, (_, a, b) in best.items()}
