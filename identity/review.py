"""The review queue: possible matches a person decides.

``ckb resolve`` and arrivals open one ReviewItem per possible match not seen before, with
CANDIDATE links to its two source records; decided items stay decided. Accepting one
merges the two records' customers (identity/merge.py); rejecting one keeps them apart in
every later run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from graph import clock
from graph.errors import CkbError
from graph.store import GraphStore, Node, RelRow, atomically
from identity.matching import Link, review_reason
from identity.merge import merge_customers
from identity.model import Model


def review_id(a: str, b: str) -> str:
    x, y = sorted((a, b))
    return "R" + hashlib.blake2b(f"{x}|{y}".encode(), digest_size=8).hexdigest().upper()


def rejected_pairs(store: GraphStore) -> list[tuple[str, str]]:
    rejected = store.find_nodes("ReviewItem", "status", "rejected", limit=10**9)
    found = store.neighbours_many(
        "ReviewItem", [r.key for r in rejected], "CANDIDATE", "out", "SourceRecord", limit=2
    )
    return [(n[0].node.key, n[1].node.key) for n in found.values() if len(n) == 2]


def store_review_items(
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
    now = clock.now_iso_precise()
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
                "model_version": model.version,
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
            version = node.props.get("model_version")
            merge_customers(
                store,
                [customers],
                records_of,
                by_record,
                dict.fromkeys(item.records, reviewed),
                actor,
                version if isinstance(version, int) else None,
            )
    decided = {
        "id": item_id,
        "status": "accepted" if accept else "rejected",
        "decided_at": clock.now_iso_precise(),
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
