"""What erasing a person changes in the store, worked out before anything changes.

**What goes** (deleted, from every index of both stores): every golden customer all of
whose source records are hers, with its aliases, source records, touchpoints, purchases,
consents, credit and third-party (enrichment) profiles and the review items naming it or
her records; holdings and households nobody else has. A record of hers that resolved to
someone else's customer goes alone, and that customer's attributes are chosen again from
the records left. (Her lines in files: governance/erase_files.py.)

**What is scrubbed** (kept without her): a household others share loses its address and
postal code, or its name, when she was its only source of them; merge and split events
that involved her keep their kind, time, actor and undone flag, her IDs hashed and their
snapshot reduced to counts (such a merge can no longer be undone); audit entries that
named her or held her values keep their action, time and actor, her IDs hashed and her
values replaced by ``[erased]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from governance.person import MANY, PERSONAL, Identity, Person, erased_id, scrub, strings_in
from graph.store import Direction, GraphStore, Node
from identity.merge import survivor_attributes

# (relationship, direction from the customer, label): what belongs to the person alone.
_OWNED: tuple[tuple[str, Direction, str], ...] = (
    ("RESOLVED_TO", "in", "SourceRecord"),
    ("ALIAS_OF", "in", "CustomerAlias"),
    ("HAD_TOUCHPOINT", "out", "Touchpoint"),
    ("MADE", "out", "Purchase"),
    ("HAS_CONSENT", "out", "Consent"),
    ("HAS_CREDIT_PROFILE", "out", "CreditProfile"),
    ("HAS_THIRD_PARTY_PROFILE", "out", "ThirdPartyProfile"),
    ("CANDIDATE", "in", "ReviewItem"),
)
# Shared things: erased only when nobody else holds them.
_SHARED = (("HOLDS", "Holding"), ("MEMBER_OF", "Household"))


@dataclass
class Plan:
    doomed: dict[str, set[str]]
    ids: dict[str, str]  # every ID of hers -> its hashed stand-in
    households: list[dict[str, Any]]
    events: list[dict[str, Any]]
    audits: list[dict[str, Any]]
    recomputed: list[dict[str, Any]]


def _doomed(store: GraphStore, person: Person) -> dict[str, set[str]]:
    customers = sorted(person.customers)
    doomed: dict[str, set[str]] = {"Customer": set(customers), "SourceRecord": set(person.records)}
    for rel_type, direction, label in _OWNED:
        found = store.neighbours_many("Customer", customers, rel_type, direction, label, MANY)
        doomed.setdefault(label, set()).update(n.node.key for f in found.values() for n in f)
    reviews = store.neighbours_many(
        "SourceRecord", sorted(person.records), "CANDIDATE", "in", "ReviewItem", limit=MANY
    )
    doomed["ReviewItem"].update(n.node.key for found in reviews.values() for n in found)
    for rel_type, label in _SHARED:
        held = store.neighbours_many("Customer", customers, rel_type, "out", label, MANY)
        keys = sorted({n.node.key for found in held.values() for n in found})
        others = store.neighbours_many(label, keys, rel_type, "in", "Customer", limit=MANY)
        doomed[label] = {
            k for k in keys if all(n.node.key in person.customers for n in others.get(k, []))
        }
    return doomed


def _households(store: GraphStore, person: Person, doomed: set[str]) -> list[dict[str, Any]]:
    """Households others share: their name or address go when she was its only source."""
    held = store.neighbours_many(
        "Customer", sorted(person.customers), "MEMBER_OF", "out", "Household", limit=MANY
    )
    kept = {n.node.key: n.node for f in held.values() for n in f if n.node.key not in doomed}
    members = store.neighbours_many("Household", sorted(kept), "MEMBER_OF", "in", "Customer", MANY)
    changes = []
    for key, household in sorted(kept.items()):
        others = [n.node for n in members.get(key, []) if n.node.key not in person.customers]
        theirs = _their_values(store, others)
        change: dict[str, Any] = {}
        for name in ("name", "address"):
            value = household.props.get(name)
            if (
                isinstance(value, str)
                and person.identity.holds(value)
                and not any(value.casefold() in v for v in theirs)
            ):
                change[name] = None
        if "address" in change:
            change["postal_code"] = None
        if change:
            changes.append({"id": key, **change})
    return changes


def _their_values(store: GraphStore, customers: Sequence[Node]) -> set[str]:
    records = store.neighbours_many(
        "Customer", [c.key for c in customers], "RESOLVED_TO", "in", "SourceRecord", MANY
    )
    nodes = [*customers, *(n.node for found in records.values() for n in found)]
    return {
        str(v).casefold() for node in nodes for k, v in node.props.items() if k in PERSONAL and v
    }


def _history(store: GraphStore, person: Person) -> list[Node]:
    """Merge and split events that involved her: those of her customers (and of others'
    holding records of hers) and, transitively, those a merge's snapshot shows an absorbed
    customer had (its MERGED links went when it did, and an unmerge does not bring them
    back) and the merges a split undid."""
    customers = sorted(person.customers | set(person.shared))
    found = store.neighbours_many("Customer", customers, "MERGED", "in", "MergeEvent", MANY)
    todo = {n.node.key: n.node for f in found.values() for n in f}
    events: dict[str, Node] = {}
    while todo:
        events.update(todo)
        linked = {k for event in todo.values() for k in _linked_events(store, event)}
        todo = store.get_nodes("MergeEvent", sorted(linked - events.keys()))
    return [events[k] for k in sorted(events)]


def _linked_events(store: GraphStore, event: Node) -> set[str]:
    snapshot = orjson.loads(str(event.props.get("snapshot") or "{}"))
    parts = [*(snapshot.get("absorbed") or {}).values(), snapshot.get("survivor") or {}]
    linked = {r["key"] for p in parts for r in p.get("rels", ()) if r.get("type") == "MERGED"}
    if event.props.get("kind") == "split":
        audit = store.get_node("AuditEntry", f"AU-{event.key}")
        detail = orjson.loads(str(audit.props.get("detail") or "{}")) if audit else {}
        if isinstance(detail, dict) and detail.get("merge_event"):
            linked.add(str(detail["merge_event"]))
    return linked


def _event_tombstone(event: Node, ids: Mapping[str, str], identity: Identity) -> dict[str, Any]:
    """A merge or split event without her: her IDs hashed, the snapshot reduced to counts."""
    snapshot = orjson.loads(str(event.props.get("snapshot") or "{}"))
    absorbed = snapshot.get("absorbed") or {}
    counts = {
        "customers": len(absorbed) + ("survivor" in snapshot),
        "relationships": sum(len(c.get("rels", ())) for c in absorbed.values())
        + len((snapshot.get("survivor") or {}).get("rels", ())),
    }
    props = {
        k: scrub(event.props.get(k), ids, identity)
        for k in ("survivor", "absorbed", "source_records", "reason", "actor")
    }
    if "erased" in snapshot:  # an earlier erasure's counts (another person's) stand
        counts = snapshot["erased"]
    snap = orjson.dumps({"erased": counts}).decode() if snapshot else None
    return {"id": event.key, **props, "snapshot": snap}


def _names_her(value: Any, ids: Mapping[str, str], identity: Identity) -> bool:
    return any(s in ids or identity.holds(s) for s in strings_in(value))


def _audit_changes(
    store: GraphStore, ids: Mapping[str, str], identity: Identity, page: int = 1000
) -> list[dict[str, Any]]:
    """Every audit entry that names her or holds her values, scrubbed. Audit entries are
    not indexed by what they name: this reads them all, a page at a time."""
    changes = []
    after: str | None = None
    while keys := store.keys_page("AuditEntry", after, page):
        after = keys[-1]
        for key, node in sorted(store.get_nodes("AuditEntry", keys).items()):
            raw = node.props.get("detail")
            try:
                detail = orjson.loads(str(raw)) if raw is not None else None
            except orjson.JSONDecodeError:
                detail = raw
            fields = {"target": node.props.get("target"), "actor": node.props.get("actor")}
            if not _names_her([detail, *fields.values()], ids, identity):
                continue
            clean = scrub(detail, ids, identity)
            changes.append(
                {
                    "id": key,
                    **{k: scrub(v, ids, identity) for k, v in fields.items()},
                    "detail": orjson.dumps(clean).decode() if detail is not None else None,
                }
            )
    return changes


def _recomputed(store: GraphStore, person: Person) -> list[dict[str, Any]]:
    """Someone else's customers that held records of hers: attributes from the rest."""
    found = store.neighbours_many(
        "Customer", sorted(person.shared), "RESOLVED_TO", "in", "SourceRecord", limit=MANY
    )
    rows = []
    for customer in sorted(person.shared):
        left = [n.node for n in found.get(customer, []) if n.node.key not in person.records]
        rows.append({"id": customer, **survivor_attributes(left)})
    return rows


def plan_erasure(store: GraphStore, person: Person) -> Plan:
    doomed = _doomed(store, person)
    ids = {key: erased_id(key) for keys in doomed.values() for key in keys}
    identity = person.identity
    events = [
        _event_tombstone(e, ids, identity)
        for e in _history(store, person)
        if _names_her(
            {**e.props, "snapshot": orjson.loads(str(e.props.get("snapshot") or "null"))},
            ids,
            identity,
        )
    ]
    return Plan(
        doomed,
        ids,
        _households(store, person, doomed.get("Household", set())),
        events,
        _audit_changes(store, ids, identity),
        _recomputed(store, person),
    )
