"""``ckb resolve``: run identity matching over every source record and apply it to the graph.

Link, never destroy. Source records stay as they were; what changes is which golden
customer they resolve to. When records of several customers turn out to be one person,
the customers merge:

- the oldest customer ID survives (first loaded; ties: the smallest ID); each absorbed ID
  becomes a CustomerAlias -[:ALIAS_OF]-> survivor, so old references still resolve;
- everything that hung on an absorbed customer (holdings, touchpoints, purchases,
  households, consents, relationships ...) moves to the survivor;
- every source record gets RESOLVED_TO the survivor with rule, score and per-field
  evidence (level and weight of each field);
- a MergeEvent keeps the history and a snapshot of the absorbed customers (properties and
  relationships) and of what the merge changes on the survivor (its properties, the
  relationships moved ones land on, its records' RESOLVED_TO), which is what an unmerge
  restores from; an AuditEntry records who did it;
- the survivor's attributes are chosen by survivorship rules (:func:`survivor_attributes`).

Batch resolution only merges. Re-running on an unchanged graph finds the same clusters
and changes nothing. Splitting a customer is a person's decision (unmerge), not a batch's.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson

from graph.algorithms import linked_groups
from graph.errors import CkbError
from graph.memory import gc_paused
from graph.schema import schema
from graph.store import (
    Edge,
    GraphStore,
    Node,
    PropertyValue,
    RelRow,
    TransactionGroups,
    atomically,
    transactional,
)
from identity.matching import (
    AUTO_MERGE_WEIGHT,
    M_PROBABILITIES,
    REVIEW_WEIGHT,
    ClusterScores,
    Link,
    Model,
    PairwiseScores,
    Profile,
    Resolution,
    cluster_scores,
    estimate_model,
    is_link,
    pairwise_scores,
    profile,
    resolve,
    review_reason,
    score,
)
from identity.names import name_keys, normalize_name

# Survivorship: a golden attribute comes from the most trusted source that has it, then
# the most recently loaded record, then the record ID (so the choice is deterministic).
SOURCE_TRUST = ("billing", "crm", "webshop", "stores", "callcenter")
GOLDEN_FIELDS = (
    "name", "given_name", "family_name", "birth_date", "gender", "email", "phone",
    "address", "postal_code", "city", "region", "country", "national_id",
)  # fmt: skip
# Fields that come from the record chosen for another, never on their own: a second
# address line belongs to its first.
COMPANION_FIELDS = {"address_line2": "address"}


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
    flags: dict[str, int] = field(default_factory=dict)
    resolution: Resolution | None = None


def _trust(system: str | None) -> int:
    return SOURCE_TRUST.index(system) if system in SOURCE_TRUST else len(SOURCE_TRUST)


def survivor_attributes(records: Sequence[Node]) -> dict[str, PropertyValue | None]:
    """Golden attributes from a customer's source records: per field, the value of the
    most trusted source system, then the most recently loaded record, then the smallest
    record ID. A field no record has is removed (None)."""
    # Stable sorts, last criterion first.
    ordered = sorted(records, key=lambda r: r.key)
    ordered.sort(key=lambda r: str(r.props.get("loaded_at") or ""), reverse=True)
    ordered.sort(key=lambda r: _trust(str(r.props.get("source_system"))))
    golden: dict[str, PropertyValue | None] = {}
    chosen: dict[str, Node] = {}
    for name in GOLDEN_FIELDS:
        found = next((r for r in ordered if r.props.get(name) not in (None, "")), None)
        golden[name] = found.props[name] if found is not None else None
        if found is not None:
            chosen[name] = found
    for name, leader in COMPANION_FIELDS.items():
        source = chosen.get(leader)
        golden[name] = (source.props.get(name) or None) if source is not None else None
    display = golden.get("name") or " ".join(
        str(p) for p in (golden.get("given_name"), golden.get("family_name")) if p
    )
    golden["name"] = display or None
    if display:
        golden["name_normalized"] = normalize_name(str(display))
        golden["name_keys"] = " ".join(name_keys(str(display))) or None
    return golden


def _merge_id(survivor: str, absorbed: Sequence[str]) -> str:
    digest = hashlib.blake2b("|".join([survivor, *absorbed]).encode(), digest_size=8)
    return "M" + digest.hexdigest().upper()


def _evidence(link: Link | None) -> dict[str, PropertyValue | None]:
    if link is None:
        return {"rule": "singleton", "score": 1.0, "evidence": None}
    return {
        "rule": link.rule,
        "score": link.probability,
        "evidence": json.dumps(
            {
                "weight": link.weight,
                "fields": {
                    f: {"level": lvl, "weight": w} for f, (lvl, w) in link.evidence.items() if lvl
                },
            },
            sort_keys=True,
        ),
    }


def source_records(store: GraphStore, batch: int = 5000) -> Iterator[tuple[Node, str | None]]:
    """Every source record with the customer it resolves to, a page at a time."""
    after: str | None = None
    while keys := store.keys_page("SourceRecord", after, batch):
        after = keys[-1]
        nodes = store.get_nodes("SourceRecord", keys)
        owners = store.neighbours_many(
            "SourceRecord", keys, "RESOLVED_TO", "out", "Customer", limit=1
        )
        for key in keys:
            if key in nodes:
                yield nodes[key], owners[key][0].node.key if key in owners else None


# How a long run reports how far it got: (phase, done, total). Within a phase ``done`` only
# grows, and the phase's last call has done == total. Drawing it is the caller's business.
Progress = Callable[[str, int, int], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def _read_records(
    store: GraphStore, batch: int, today: date, progress: Progress
) -> tuple[list[Node], list[Profile], dict[str, str]]:
    """Every source record, its matching profile and the customer it resolves to."""
    expected = store.counts().nodes.get("SourceRecord", 0)
    records: list[Node] = []
    profiles: list[Profile] = []
    owner: dict[str, str] = {}
    for node, customer in source_records(store, batch):
        records.append(node)
        profiles.append(profile(node.key, node.props, today))
        if customer is not None:
            owner[node.key] = customer
        if len(records) % batch == 0:
            progress("reading", len(records), max(expected, len(records)))
    progress("reading", len(records), len(records))
    return records, profiles, owner


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
        return _resolve_store(
            store, today or datetime.now(UTC).date(), actor, batch, model, progress
        )


def _resolve_store(
    store: GraphStore,
    today: date,
    actor: str,
    batch: int,
    model: Model | None,
    progress: Progress,
) -> ResolveSummary:
    records, profiles, owner = _read_records(store, batch, today, progress)
    summary = ResolveSummary(records=len(records))
    for p in profiles:
        for flag in p.flags:
            summary.flags[flag] = summary.flags.get(flag, 0) + 1
    rejected = _rejected_pairs(store)
    model = model or estimate_model(profiles)
    result = resolve(
        profiles,
        model,
        cannot_link=rejected,
        compared=lambda done, total: progress("comparing", done, total),
    )
    model.one_record = result.one_record  # found while clustering; kept for arrivals
    save_model(store, model)
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
    by_record = {r.key: r for r in records}
    link_of = _best_links(result)
    records_of: dict[str, list[str]] = defaultdict(list)
    for record, customer in owner.items():
        records_of[customer].append(record)
    progress("merging", 0, len(merging))
    with TransactionGroups(store, MERGE_GROUP_SECONDS) as transactions:
        for start in range(0, len(merging), 500):
            chunk = merging[start : start + 500]
            with transactions.unit():
                _merge(store, chunk, records_of, by_record, link_of, actor)
            summary.merges += len(chunk)
            summary.absorbed += sum(len(g) - 1 for g in chunk)
            progress("merging", summary.merges, len(merging))
    summary.customers_after = summary.customers_before - summary.absorbed
    summary.new_review = _store_review_items(store, result.review, by_record, model)
    summary.review = len(store.find_nodes("ReviewItem", "status", "open", limit=10**9))
    return summary


# Merge chunks share a write transaction for up to this long (store permitting): a commit
# writes every page its transaction touched, and merges touch pages all over the file
# (30k sample: 53 commits took 8.2 s of 40; in one transaction 0.8 s). A push waiting
# on the write lock meanwhile waits at most about this long.
MERGE_GROUP_SECONDS = 5.0

MODEL_ID = "default"
# Before any batch run: u for a population of about a million records (exact agreement
# by chance is rare; "different" nearly certain).
DEFAULT_U: dict[str, dict[str, float]] = {
    f: {lvl: (0.98 if lvl == "different" else 1e-4) for lvl in levels}
    for f, levels in M_PROBABILITIES.items()
}


def save_model(store: GraphStore, model: Model) -> None:
    # estimated_at only moves when the model does: re-running on the same data writes nothing.
    store.upsert_nodes(
        "MatchModel",
        [
            {
                "id": MODEL_ID,
                "u": orjson.dumps(model.u, option=orjson.OPT_SORT_KEYS).decode(),
                "u_home": orjson.dumps(model.u_home, option=orjson.OPT_SORT_KEYS).decode(),
                "one_record": orjson.dumps(sorted(model.one_record)).decode(),
                "records": model.records,
            }
        ],
        touch={"estimated_at": _now()},
    )


def load_model(store: GraphStore) -> Model:
    """The model the last ``ckb resolve`` estimated, or the documented defaults."""
    node = store.get_node("MatchModel", MODEL_ID)
    if node is None:
        return Model({f: dict(u) for f, u in DEFAULT_U.items()}, {}, {}, 1_000_000)
    records = node.props.get("records")
    home = node.props.get("u_home")  # absent from models stored before households had one
    single = node.props.get("one_record")  # and before systems were told apart
    return Model(
        orjson.loads(str(node.props["u"])),
        {},
        {},
        int(records) if isinstance(records, int) else 1_000_000,
        orjson.loads(home) if isinstance(home, str) else {},
        frozenset(orjson.loads(single)) if isinstance(single, str) else frozenset(),
    )


def review_id(a: str, b: str) -> str:
    x, y = sorted((a, b))
    return "R" + hashlib.blake2b(f"{x}|{y}".encode(), digest_size=8).hexdigest().upper()


def _rejected_pairs(store: GraphStore) -> list[tuple[str, str]]:
    rejected = store.find_nodes("ReviewItem", "status", "rejected", limit=10**9)
    found = store.neighbours_many(
        "ReviewItem", [r.key for r in rejected], "CANDIDATE", "out", "SourceRecord", limit=2
    )
    return [(n[0].node.key, n[1].node.key) for n in found.values() if len(n) == 2]


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _store_review_items(
    store: GraphStore, review: Sequence[Link], by_record: Mapping[str, Node], model: Model
) -> int:
    """One ReviewItem per possible match not seen before; decided items stay decided.
    Items and their CANDIDATE links land in one transaction: a re-run after a crash
    between them would find the items and never link them."""
    return atomically(store, lambda: _write_review_items(store, review, by_record, model))


def _write_review_items(
    store: GraphStore, review: Sequence[Link], by_record: Mapping[str, Node], model: Model
) -> int:
    wanted = {review_id(lk.a, lk.b): lk for lk in review}
    existing = store.get_nodes("ReviewItem", sorted(wanted))
    new = [(rid, lk) for rid, lk in sorted(wanted.items()) if rid not in existing]
    now = _now()
    store.upsert_nodes(
        "ReviewItem",
        [
            {
                "id": rid,
                "score": lk.probability,
                "evidence": orjson.dumps(
                    {
                        "weight": lk.weight,
                        "rule": lk.rule,
                        "reason": review_reason(lk, model),
                        "records": [lk.a, lk.b],
                        "names": [
                            by_record[k].props.get("name") for k in (lk.a, lk.b) if k in by_record
                        ],
                        "fields": {
                            f: {"level": lvl, "weight": w}
                            for f, (lvl, w) in lk.evidence.items()
                            if lvl
                        },
                    },
                    option=orjson.OPT_SORT_KEYS,
                ).decode(),
                "status": "open",
                "created_at": now,
            }
            for rid, lk in new
        ],
    )
    store.upsert_relationships(
        "CANDIDATE",
        "ReviewItem",
        "SourceRecord",
        [RelRow(rid, k) for rid, lk in new for k in (lk.a, lk.b)],
    )
    return len(new)


MAX_REVIEW_PAGE = 500


class ReviewError(CkbError):
    """A review decision that cannot be made (unknown item, already decided)."""


class ResolveError(CkbError):
    """A resolution request that names something that is not there."""


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: str
    status: str
    score: float | None
    records: tuple[str, ...]
    evidence: dict[str, Any]


def list_review(store: GraphStore, status: str = "open", limit: int = 50) -> list[ReviewItem]:
    """Review items, most likely matches first."""
    if not 1 <= limit <= MAX_REVIEW_PAGE:
        raise ReviewError(f"a review page holds 1 to {MAX_REVIEW_PAGE} items, asked for {limit}")
    items = store.find_nodes("ReviewItem", "status", status, limit=10**9)
    items.sort(key=lambda n: (-float(n.props.get("score") or 0), n.key))  # type: ignore[arg-type]
    return [_review_item(n) for n in items[:limit]]


def _review_item(node: Node) -> ReviewItem:
    evidence = orjson.loads(str(node.props.get("evidence") or "{}"))
    score = node.props.get("score")
    return ReviewItem(
        node.key,
        str(node.props.get("status")),
        float(score) if isinstance(score, int | float) else None,
        tuple(evidence.get("records", ())),
        evidence,
    )


def decide_review(store: GraphStore, item_id: str, accept: bool, actor: str) -> ReviewItem:
    """Accept (merge the two records' customers) or reject (never merge them) an item."""
    node = store.get_node("ReviewItem", item_id)
    if node is None:
        raise ReviewError(f"no review item {item_id!r}")
    if node.props.get("status") != "open":
        raise ReviewError(f"review item {item_id} is already {node.props.get('status')}")
    item = _review_item(node)
    if accept:
        owners = store.neighbours_many(
            "SourceRecord", list(item.records), "RESOLVED_TO", "out", "Customer", limit=1
        )
        customers = sorted({found[0].node.key for found in owners.values()})
        if len(customers) > 1:
            linked = store.neighbours_many(
                "Customer", customers, "RESOLVED_TO", "in", "SourceRecord", limit=10**6
            )
            records_of = {c: [n.node.key for n in linked.get(c, [])] for c in customers}
            by_record = {n.node.key: n.node for found in linked.values() for n in found}
            reviewed = Link(
                item.records[0], item.records[1], float(item.evidence.get("weight", 0.0)),
                "review", {},
            )  # fmt: skip
            _merge(
                store,
                [customers],
                records_of,
                by_record,
                dict.fromkeys(item.records, reviewed),
                actor,
            )
    decided = {
        "id": item_id,
        "status": "accepted" if accept else "rejected",
        "decided_at": _now(),
        "decided_by": actor,
    }
    store.upsert_nodes("ReviewItem", [decided])
    store.upsert_nodes(
        "AuditEntry",
        [
            {
                "id": f"AU-{item_id}",
                "at": decided["decided_at"],
                "actor": actor,
                "action": f"review {decided['status']}",
                "target": item_id,
                "detail": orjson.dumps({"records": list(item.records)}).decode(),
            }
        ],
    )
    updated = store.get_node("ReviewItem", item_id)
    assert updated is not None
    return _review_item(updated)


def _best_links(result: Resolution) -> dict[str, Link]:
    """For each record, the strongest link that put it in its cluster."""
    cluster_of = {k: i for i, c in enumerate(result.clusters) for k in c}
    best: dict[str, Link] = {}
    for link in result.links.values():
        if cluster_of.get(link.a) != cluster_of.get(link.b):
            continue
        for key in (link.a, link.b):
            if key not in best or link.weight > best[key].weight:
                best[key] = link
    return best


def _age(customers: Mapping[str, Node], key: str) -> tuple[str, str]:
    """Older customers first: first loaded, then the smallest ID."""
    node = customers.get(key)
    loaded = node.props.get("created_at") or node.props.get("loaded_at") if node else None
    return (str(loaded or "~"), key)


def _other_end(customer: str, edge: Edge) -> tuple[str, str, bool]:
    """The label and key at the other end of one of a customer's relationships, and
    whether the relationship leaves the customer."""
    if edge.src_label == "Customer" and edge.src_key == customer:
        return edge.dst_label, edge.dst_key, True
    return edge.src_label, edge.src_key, False


def _snapshot(
    keys: Sequence[str],
    customers: Mapping[str, Node],
    found: Mapping[str, list[Edge]],
    keep: Callable[[str, Edge, tuple[Any, ...]], bool] | None = None,
) -> dict[str, dict[str, Any]]:
    """What each customer was — properties and the relationships ``keep`` chooses (all by
    default) — for history and for an unmerge that restores it exactly."""
    snapshot: dict[str, dict[str, Any]] = {}
    for c in keys:
        rels = []
        for edge in found.get(c, ()):
            label, key, outgoing = _other_end(c, edge)
            if keep and not keep(
                c,
                edge,
                (
                    c,
                    edge.type,
                    outgoing,
                    label,
                    key,
                    schema().relationship(edge.type).key_values(edge.props),
                ),
            ):
                continue
            rels.append(
                {"type": edge.type, "direction": "out" if outgoing else "in",
                 "label": label, "key": key, "props": edge.props}
            )  # fmt: skip
        snapshot[c] = {"props": dict(customers[c].props) if c in customers else {}, "rels": rels}
    return snapshot


def _landing(
    moves: Mapping[tuple[str, str, str], list[RelRow]], survivors: set[str]
) -> set[tuple[Any, ...]]:
    """Where moved relationships land: (customer, type, outgoing, other label, other key,
    relationship key) for each survivor end — the same identity ``_snapshot`` gives."""
    landing: set[tuple[Any, ...]] = set()
    for (rel_type, src_label, dst_label), rows in moves.items():
        for row in rows:
            rkey = schema().relationship(rel_type).key_values(row.props)
            if src_label == "Customer" and row.src in survivors:
                landing.add((row.src, rel_type, True, dst_label, row.dst, rkey))
            if dst_label == "Customer" and row.dst in survivors:
                landing.add((row.dst, rel_type, False, src_label, row.src, rkey))
    return landing


def _moves(
    found: Mapping[str, list[Edge]], survivor_of: Mapping[str, str]
) -> dict[tuple[str, str, str], list[RelRow]]:
    """The absorbed customers' relationships re-drawn on their survivors, by (type, source
    label, target label)."""
    moves: dict[tuple[str, str, str], list[RelRow]] = defaultdict(list)
    for customer, edges in found.items():
        survivor = survivor_of.get(customer)
        if survivor is None:
            continue
        for edge in edges:
            if edge.type in ("RESOLVED_TO", "MERGED", "ALIAS_OF"):
                continue  # rewritten by the merge; history stays with its event
            other_label, other, outgoing = _other_end(customer, edge)
            if other_label == "Customer":
                other = survivor_of.get(other, other)
                if other == survivor:
                    continue  # a relationship between two parts of one person
            if outgoing:
                moves[(edge.type, "Customer", other_label)].append(
                    RelRow(survivor, other, edge.props)
                )
            else:
                moves[(edge.type, other_label, "Customer")].append(
                    RelRow(other, survivor, edge.props)
                )
    return moves


# One transaction: a failure or crash never leaves half a merge. The block reads what it
# moves, so after losing a conflict with a concurrent writer it can run again.
@transactional
def _merge(
    store: GraphStore,
    groups: Sequence[list[str]],
    records_of: Mapping[str, list[str]],
    by_record: Mapping[str, Node],
    link_of: Mapping[str, Link],
    actor: str,
) -> None:
    customers = store.get_nodes("Customer", [c for g in groups for c in g])
    survivor_of_group = [min(group, key=lambda c: _age(customers, c)) for group in groups]
    survivor_of = {
        c: survivor
        for group, survivor in zip(groups, survivor_of_group, strict=True)
        for c in group
        if c != survivor
    }
    absorbed = sorted(survivor_of)
    survivors = sorted(set(survivor_of.values()))
    now = _now()

    # One read for every relationship of every customer involved.
    found = store.relationships_of("Customer", [*absorbed, *survivors])
    moves = _moves(found, survivor_of)
    snapshot = _snapshot(absorbed, customers, found)
    # Of a survivor's relationships the merge changes only those a moved one lands on
    # (their properties merge) and its records' RESOLVED_TO (new evidence); the rest —
    # most of a customer's touchpoints and purchases — an unmerge leaves alone anyway.
    landing = _landing(moves, set(survivors))
    snapshot.update(
        _snapshot(
            survivors,
            customers,
            found,
            lambda c, edge, identity: edge.type == "RESOLVED_TO" or identity in landing,
        )
    )
    for (rel_type, src, dst), rows in sorted(moves.items()):
        store.upsert_relationships(rel_type, src, dst, rows)

    # Golden attributes and every record's link to its survivor.
    golden_rows = []
    resolved_rows = []
    evidence: dict[int, dict[str, PropertyValue | None]] = {}  # by link: shared by its ends
    for group, survivor in zip(groups, survivor_of_group, strict=True):
        keys = sorted(r for c in group for r in records_of.get(c, []))
        golden = survivor_attributes([by_record[k] for k in keys if k in by_record])
        since = [
            str(customers[c].props["customer_since"])
            for c in group
            if c in customers and customers[c].props.get("customer_since")
        ]
        golden_rows.append(
            {"id": survivor, **golden, "customer_since": min(since) if since else None,
             "updated_at": now}
        )  # fmt: skip
        for c in group:
            for k in sorted(records_of.get(c, [])):
                if k in link_of:
                    link = link_of[k]
                    if id(link) not in evidence:
                        evidence[id(link)] = _evidence(link)
                    props = evidence[id(link)]
                elif c != survivor:  # moved with its customer, not matched on its own
                    props = {"rule": "merged", "score": None, "evidence": None}
                else:
                    continue  # the survivor's own record, not part of this decision
                resolved_rows.append(RelRow(k, survivor, {**props, "resolved_at": now}))
    store.upsert_nodes("Customer", golden_rows)
    store.upsert_relationships("RESOLVED_TO", "SourceRecord", "Customer", resolved_rows)

    # History: one merge event per group; aliases for the retired IDs.
    events: list[dict[str, PropertyValue | None]] = []
    merged_rows = []
    audits = []
    for group, survivor in zip(groups, survivor_of_group, strict=True):
        gone = [c for c in group if c != survivor]
        event_id = _merge_id(survivor, gone)
        moved = sorted(r for c in gone for r in records_of.get(c, []))
        events.append(
            {
                "id": event_id,
                "kind": "merge",
                "at": now,
                "actor": actor,
                "reason": "identity resolution",
                "survivor": survivor,
                "absorbed": gone,
                "source_records": moved,
                "snapshot": orjson.dumps(
                    {"absorbed": {c: snapshot[c] for c in gone}, "survivor": snapshot[survivor]},
                    option=orjson.OPT_SORT_KEYS,
                ).decode(),
            }
        )
        merged_rows.append(RelRow(event_id, survivor, {"role": "survivor"}))
        audits.append(
            {
                "id": f"AU-{event_id}",
                "at": now,
                "actor": actor,
                "action": "merge",
                "target": survivor,
                "detail": json.dumps({"merge_event": event_id, "absorbed": gone}),
            }
        )
    store.upsert_nodes("MergeEvent", events)
    store.upsert_nodes("AuditEntry", audits)
    store.upsert_nodes(
        "CustomerAlias", [{"id": c, "retired_at": now, "reason": "merged"} for c in absorbed]
    )
    old_aliases = [
        (edge.src_key, survivor_of[c])
        for c, edges in found.items()
        if c in survivor_of
        for edge in edges
        if edge.type == "ALIAS_OF"
    ]
    store.delete_nodes("Customer", absorbed)
    store.upsert_relationships(
        "ALIAS_OF",
        "CustomerAlias",
        "Customer",
        [RelRow(c, survivor_of[c]) for c in absorbed]
        + [RelRow(alias, survivor) for alias, survivor in old_aliases],
    )
    store.upsert_relationships("MERGED", "MergeEvent", "Customer", merged_rows)


def truth_clusters(
    rows: Iterable[Mapping[str, str]], known: set[str] | None = None
) -> list[list[str]]:
    """Ground-truth clusters of source record keys (``system:record_id``) from rows with
    source_system, source_record_id and person_id: every record of the truth, or, given
    ``known``, only those in it (a score over the loaded records alone: what the
    loader rejected would not count)."""
    people: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        key = f"{row['source_system']}:{row['source_record_id']}"
        if known is None or key in known:
            people[row["person_id"]].append(key)
    return sorted(sorted(v) for v in people.values())


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Resolved clusters scored against every record of a truth file."""

    pairs: PairwiseScores
    people: ClusterScores
    truth_records: int
    absent: int  # truth records not among the resolved: rejected at load, or never loaded
    absent_pairs: int  # true pairs with an absent record: each a missed pair


def evaluate(found: Sequence[Sequence[str]], truth: Sequence[Sequence[str]]) -> Evaluation:
    """Pairwise and per-person scores of ``found`` clusters against ``truth`` clusters
    (truth_clusters): a truth record not found is a record whose pairs were all missed."""
    known = {key for cluster in found for key in cluster}
    absent = sum(key not in known for group in truth for key in group)
    absent_pairs = sum(
        len(group) * (len(group) - 1) // 2 - (n := sum(k in known for k in group)) * (n - 1) // 2
        for group in truth
    )
    return Evaluation(
        pairwise_scores(found, truth),
        cluster_scores(found, truth),
        sum(len(group) for group in truth),
        absent,
        absent_pairs,
    )


__all__ = [
    "Evaluation",
    "Profile",
    "Progress",
    "ResolveSummary",
    "evaluate",
    "resolve_store",
    "survivor_attributes",
    "truth_clusters",
]


@dataclass(frozen=True, slots=True)
class PairExplanation:
    """Why two source records would (not) be merged: each field's level and weight under
    the stored model, the total, the rule and the verdict."""

    link: Link
    verdict: str
    review: str | None  # why a person should look, when it is worth a look


def explain_pair(store: GraphStore, first: str, second: str, today: date) -> PairExplanation:
    """Score two source records (``system:id``) as ``ckb resolve`` would, with the model
    the last run estimated. Says nothing of the clustering guards, which look at whole
    clusters, not at one pair."""
    found = store.get_nodes("SourceRecord", [first, second])
    missing = [k for k in (first, second) if k not in found]
    if missing:
        raise ResolveError(
            f"no source record {missing[0]!r}: name records as system:id, e.g. billing:B123"
        )
    model = load_model(store)
    link = score(
        profile(first, found[first].props, today),
        profile(second, found[second].props, today),
        model,
    )
    if is_link(link):
        why = (
            "a deterministic rule"
            if link.rule != "probabilistic"
            else (f"weight at least {AUTO_MERGE_WEIGHT:g}")
        )
        verdict = f"merged ({why})"
    elif link.weight >= REVIEW_WEIGHT:
        verdict = f"not merged; weight {REVIEW_WEIGHT:g} or more: a possible match"
    else:
        verdict = "not merged: too little evidence"
    worth_a_look = not is_link(link) and link.weight >= REVIEW_WEIGHT
    return PairExplanation(link, verdict, review_reason(link, model) if worth_a_look else None)
