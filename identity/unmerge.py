"""Unmerge: undo a merge from its MergeEvent snapshot, in one call, audited.

A merge keeps a snapshot of every customer it touched — properties and relationships,
the survivor's included. Unmerging puts back exactly that: the absorbed customers with
their properties, their relationships and their source records' RESOLVED_TO links; the
survivor's own properties and the relationships it had; relationships the merge moved
onto the survivor are taken off it again. The retired IDs' aliases go away. What was
added to the survivor *after* the merge (a new touchpoint, say) stays with the survivor:
nothing says whose it was. History is kept: the merge event stays and a split event with
an audit entry records the unmerge.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from graph.errors import CkbError
from graph.schema import schema
from graph.store import GraphStore, RelRow, transactional

HISTORY = ("MERGED",)


class UnmergeError(CkbError):
    """An unmerge that cannot be done (unknown or already undone event, missing customer)."""


@dataclass(frozen=True, slots=True)
class UnmergeResult:
    merge_event: str
    split_event: str
    survivor: str
    restored: tuple[str, ...]  # customer IDs back


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _identity(rel: dict[str, Any], owner: str) -> tuple[Any, ...]:
    """What identifies a relationship of ``owner``: type, direction, other end, key props."""
    return (
        rel["type"],
        rel["direction"],
        rel["label"],
        rel["key"],
        owner,
        schema().relationship(rel["type"]).key_values(rel["props"]),
    )


def _row(
    rel: dict[str, Any], owner: str, props: dict[str, Any]
) -> tuple[tuple[str, str, str], RelRow]:
    if rel["direction"] == "out":
        return (rel["type"], "Customer", rel["label"]), RelRow(owner, rel["key"], props)
    return (rel["type"], rel["label"], "Customer"), RelRow(rel["key"], owner, props)


def _exact(props: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Props that make ``current`` equal ``props`` under merge semantics (None removes)."""
    return {**dict.fromkeys(current), **props}


def find_merge_event(store: GraphStore, record: str) -> str:
    """The merge that brought a source record to its current customer."""
    linked = store.neighbours("SourceRecord", record, "RESOLVED_TO", "out", "Customer", limit=1)
    if not linked:
        raise UnmergeError(f"no source record {record!r} linked to a customer")
    customer = linked[0].node.key
    events = store.neighbours("Customer", customer, "MERGED", "in", "MergeEvent", limit=100_000)
    for event in sorted(events, key=lambda e: str(e.node.props.get("at")), reverse=True):
        props = event.node.props
        moved = props.get("source_records")
        if (
            props.get("kind") == "merge"
            and isinstance(moved, list)
            and record in moved
            and not props.get("undone")
        ):
            return event.node.key
    raise UnmergeError(f"{record} was not brought to {customer} by a merge that can be undone")


@transactional  # all of it or nothing, whatever fails on the way
def unmerge(store: GraphStore, event_id: str, actor: str) -> UnmergeResult:
    event = store.get_node("MergeEvent", event_id)
    if event is None or event.props.get("kind") != "merge":
        raise UnmergeError(f"no merge event {event_id!r}")
    if event.props.get("undone"):
        raise UnmergeError(f"merge {event_id} was already undone")
    snap = orjson.loads(str(event.props.get("snapshot") or "{}"))
    survivor = str(event.props.get("survivor"))
    absorbed: dict[str, dict[str, Any]] = snap.get("absorbed", {})
    before: dict[str, Any] = snap.get("survivor", {"props": {}, "rels": []})
    if not absorbed or "survivor" not in snap:
        raise UnmergeError(f"merge {event_id} has no snapshot an unmerge can restore from")
    current = store.get_node("Customer", survivor)
    if current is None:
        raise UnmergeError(f"survivor {survivor} of {event_id} no longer exists")
    taken = [c for c in absorbed if store.get_node("Customer", c) is not None]
    if taken:
        raise UnmergeError(f"customer IDs {', '.join(taken)} are in use again")

    now_rels = store.neighbours("Customer", survivor, None, "both", None, limit=10**7)
    now_by_id = {}
    for n in now_rels:
        outgoing = n.edge.src_label == "Customer" and n.edge.src_key == survivor
        rel: dict[str, Any] = {
            "type": n.edge.type,
            "direction": "out" if outgoing else "in",
            "label": n.node.label,
            "key": n.node.key,
            "props": n.edge.props,
        }
        now_by_id[_identity(rel, survivor)] = rel
    had = {_identity(r, survivor): r for r in before["rels"]}

    deletes: dict[tuple[str, str, str], list[RelRow]] = defaultdict(list)
    writes: dict[tuple[str, str, str], list[RelRow]] = defaultdict(list)
    # 1. The survivor: relationships moved onto it come off; those it had get their
    #    properties back exactly (a merge may have overwritten them).
    for rel_id, rel in now_by_id.items():
        if rel["type"] in HISTORY:
            continue
        if rel_id in had:
            if had[rel_id]["props"] != rel["props"]:
                where, row = _row(rel, survivor, _exact(had[rel_id]["props"], rel["props"]))
                writes[where].append(row)
            continue
        if _moved_here(rel, survivor, absorbed):
            where, row = _row(rel, survivor, {})
            deletes[where].append(RelRow(row.src, row.dst, {
                k: rel["props"].get(k) for k in schema().relationship(rel["type"]).key
            }))  # fmt: skip
    # 2. The absorbed customers, as they were, with every relationship.
    store.upsert_nodes("Customer", [{**a["props"], "id": c} for c, a in absorbed.items()])
    alias_edges: list[RelRow] = []
    for c, a in absorbed.items():
        for rel in a["rels"]:
            if rel["type"] in HISTORY:
                continue
            if rel["type"] == "RESOLVED_TO":  # the record leaves the survivor
                deletes[("RESOLVED_TO", "SourceRecord", "Customer")].append(
                    RelRow(rel["key"], survivor)
                )
            if rel["type"] == "ALIAS_OF":
                deletes[("ALIAS_OF", "CustomerAlias", "Customer")].append(
                    RelRow(rel["key"], survivor)
                )
                alias_edges.append(RelRow(rel["key"], c))
                continue
            where, row = _row(rel, c, rel["props"])
            writes[where].append(row)
    for (rel_type, src, dst), rows in sorted(deletes.items()):
        store.delete_relationships(rel_type, src, dst, rows)
    store.delete_nodes("CustomerAlias", list(absorbed))
    for (rel_type, src, dst), rows in sorted(writes.items()):
        store.upsert_relationships(rel_type, src, dst, rows)
    store.upsert_relationships("ALIAS_OF", "CustomerAlias", "Customer", alias_edges)
    # 3. The survivor's own properties, exactly.
    store.upsert_nodes("Customer", [{**_exact(before["props"], current.props), "id": survivor}])
    # 4. History.
    now = _now()
    split_id = (
        "S" + hashlib.blake2b(f"{event_id}|{now}".encode(), digest_size=8).hexdigest().upper()
    )
    restored = tuple(sorted(absorbed))
    store.upsert_nodes(
        "MergeEvent",
        [
            {"id": event_id, "undone": True},
            {
                "id": split_id,
                "kind": "split",
                "at": now,
                "actor": actor,
                "reason": f"unmerge of {event_id}",
                "survivor": survivor,
                "absorbed": list(restored),
                "source_records": event.props.get("source_records"),
            },
        ],
    )
    store.upsert_relationships(
        "MERGED",
        "MergeEvent",
        "Customer",
        [RelRow(split_id, survivor, {"role": "survivor"})]
        + [RelRow(split_id, c, {"role": "split_off"}) for c in restored],
    )
    store.upsert_nodes(
        "AuditEntry",
        [
            {
                "id": f"AU-{split_id}",
                "at": now,
                "actor": actor,
                "action": "unmerge",
                "target": survivor,
                "detail": orjson.dumps({"merge_event": event_id, "restored": restored}).decode(),
            }
        ],
    )
    return UnmergeResult(event_id, split_id, survivor, restored)


def _moved_here(rel: dict[str, Any], survivor: str, absorbed: dict[str, dict[str, Any]]) -> bool:
    """Did the merge move this relationship of the survivor from an absorbed customer?"""
    for a in absorbed.values():
        for old in a["rels"]:
            other = (
                survivor if old["label"] == "Customer" and old["key"] in absorbed else old["key"]
            )
            if (old["type"], old["direction"], old["label"]) == (
                rel["type"], rel["direction"], rel["label"]
            ) and other == rel["key"] and old["props"] == rel["props"]:  # fmt: skip
                return True
            if (
                old["type"] == "RESOLVED_TO"
                and rel["type"] == "RESOLVED_TO"
                and old["key"] == rel["key"]
            ):
                return True
    return False
