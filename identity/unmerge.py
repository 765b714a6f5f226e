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
from typing import Any

import orjson

from graph import clock
from graph.errors import CkbError
from graph.schema import schema
from graph.store import GraphStore, Node, RelRow, transactional

HISTORY = ("MERGED",)


class UnmergeError(CkbError):
    """An unmerge that cannot be done (unknown or already undone event, missing customer)."""


@dataclass(frozen=True, slots=True)
class UnmergeResult:
    merge_event: str
    split_event: str
    survivor: str
    restored: tuple[str, ...]  # customer IDs back


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


# Relationship rows by (type, source label, target label), as the store writes them.
_Rows = dict[tuple[str, str, str], list[RelRow]]


@dataclass(frozen=True, slots=True)
class _Undo:
    """A merge that can be undone: its event, and what its snapshot says was there."""

    event: Node
    survivor: str
    absorbed: dict[str, dict[str, Any]]  # customer ID -> its props and rels before
    before: dict[str, Any]  # the survivor's props and rels the merge changed
    current: Node  # the survivor now


@transactional  # all of it or nothing, whatever fails on the way
def unmerge(store: GraphStore, event_id: str, actor: str) -> UnmergeResult:
    undo = _undoable(store, event_id)
    survivor, absorbed = undo.survivor, undo.absorbed
    deletes: _Rows = defaultdict(list)
    writes: _Rows = defaultdict(list)
    # 1. The survivor: relationships moved onto it come off; those it had get their
    #    properties back exactly (a merge may have overwritten them).
    _take_back(store, undo, deletes, writes)
    # 2. The absorbed customers, as they were, with every relationship.
    store.upsert_nodes("Customer", [{**a["props"], "id": c} for c, a in absorbed.items()])
    alias_edges = _give_back(undo, deletes, writes)
    for (rel_type, src, dst), rows in sorted(deletes.items()):
        store.delete_relationships(rel_type, src, dst, rows)
    store.delete_nodes("CustomerAlias", list(absorbed))
    for (rel_type, src, dst), rows in sorted(writes.items()):
        store.upsert_relationships(rel_type, src, dst, rows)
    store.upsert_relationships("ALIAS_OF", "CustomerAlias", "Customer", alias_edges)
    # 3. The survivor's own properties, exactly.
    store.upsert_nodes(
        "Customer", [{**_exact(undo.before["props"], undo.current.props), "id": survivor}]
    )
    # 4. History.
    split_id = _record_split(store, undo, actor)
    return UnmergeResult(event_id, split_id, survivor, tuple(sorted(absorbed)))


def _undoable(store: GraphStore, event_id: str) -> _Undo:
    """The merge event and its snapshot, or why it cannot be undone."""
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
    return _Undo(event, survivor, absorbed, before, current)


def _survivor_rels(store: GraphStore, survivor: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The survivor's relationships now, by identity, in the snapshot's shape."""
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
    return now_by_id


def _take_back(store: GraphStore, undo: _Undo, deletes: _Rows, writes: _Rows) -> None:
    """What the merge changed on the survivor: moved relationships to delete, its own to
    write back with the properties they had."""
    survivor = undo.survivor
    had = {_identity(r, survivor): r for r in undo.before["rels"]}
    for rel_id, rel in _survivor_rels(store, survivor).items():
        if rel["type"] in HISTORY:
            continue
        if rel_id in had:
            if had[rel_id]["props"] != rel["props"]:
                where, row = _row(rel, survivor, _exact(had[rel_id]["props"], rel["props"]))
                writes[where].append(row)
            continue
        if _moved_here(rel, survivor, undo.absorbed):
            where, row = _row(rel, survivor, {})
            deletes[where].append(RelRow(row.src, row.dst, {
                k: rel["props"].get(k) for k in schema().relationship(rel["type"]).key
            }))  # fmt: skip


def _give_back(undo: _Undo, deletes: _Rows, writes: _Rows) -> list[RelRow]:
    """Every relationship of the absorbed customers back on them (their records and
    aliases leave the survivor); their aliases' ALIAS_OF rows are returned."""
    alias_edges: list[RelRow] = []
    for c, a in undo.absorbed.items():
        for rel in a["rels"]:
            if rel["type"] in HISTORY:
                continue
            if rel["type"] == "RESOLVED_TO":  # the record leaves the survivor
                deletes[("RESOLVED_TO", "SourceRecord", "Customer")].append(
                    RelRow(rel["key"], undo.survivor)
                )
            if rel["type"] == "ALIAS_OF":
                deletes[("ALIAS_OF", "CustomerAlias", "Customer")].append(
                    RelRow(rel["key"], undo.survivor)
                )
                alias_edges.append(RelRow(rel["key"], c))
                continue
            where, row = _row(rel, c, rel["props"])
            writes[where].append(row)
    return alias_edges


def _record_split(store: GraphStore, undo: _Undo, actor: str) -> str:
    """The merge marked undone, a split event and its audit entry; the split's ID."""
    event_id, survivor = undo.event.key, undo.survivor
    now = clock.now_iso_precise()
    split_id = (
        "S" + hashlib.blake2b(f"{event_id}|{now}".encode(), digest_size=8).hexdigest().upper()
    )
    restored = tuple(sorted(undo.absorbed))
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
                "source_records": undo.event.props.get("source_records"),
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
    return split_id


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
