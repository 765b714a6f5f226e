"""Merging customers found to be one person: link, never destroy.

Source records stay as they were; what changes is which golden customer they resolve to.
When records of several customers turn out to be one person, the customers merge:

- the oldest customer ID survives (first loaded; ties: the smallest ID); each absorbed ID
  becomes a CustomerAlias -[:ALIAS_OF]-> survivor, so old references still resolve;
- everything that hung on an absorbed customer (holdings, touchpoints, purchases,
  households, consents, relationships ...) moves to the survivor;
- every source record gets RESOLVED_TO the survivor with rule, score and per-field
  evidence (level and weight of each field);
- a MergeEvent keeps the history and a snapshot of the absorbed customers (properties and
  relationships) and of what the merge changes on the survivor (its properties, the
  relationships moved ones land on, its records' RESOLVED_TO), which is what an unmerge
  (identity/unmerge.py) restores from; an AuditEntry records who did it;
- the survivor's attributes are chosen by survivorship rules (:func:`survivor_attributes`).

``ckb resolve`` (identity/resolve.py), an accepted review item (identity/review.py) and a
record on arrival (identity/arrival.py) merge through :func:`merge_customers`. A store that
re-draws relationships itself (``RelationshipRepointer``: the embedded one) moves them
inside the store instead of through the port; both ways leave the same graph
(tests/identity/test_merge_paths.py).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from graph import clock
from graph.schema import schema
from graph.store import (
    Edge,
    GraphStore,
    Node,
    PropertyValue,
    RelationshipRepointer,
    RelRow,
    transactional,
)
from identity.matching import Link
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
# Relationships a merge rewrites itself rather than moves; history stays with its event.
REWRITTEN = ("RESOLVED_TO", "MERGED", "ALIAS_OF")


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
        golden[name] = None
        for record in ordered:
            value = record.props.get(name)
            if value is not None and value != "":
                golden[name] = value
                chosen[name] = record
                break
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
            if edge.type in REWRITTEN:
                continue
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


@dataclass(frozen=True, slots=True)
class _Merging:
    """Who merges into whom, and when: what every step of one merge call shares."""

    groups: Sequence[list[str]]
    survivor_per_group: list[str]  # the customer each group keeps, in group order
    survivor_of: dict[str, str]  # absorbed customer -> its survivor
    customers: Mapping[str, Node]
    now: str

    @property
    def absorbed(self) -> list[str]:
        return sorted(self.survivor_of)

    @property
    def survivors(self) -> list[str]:
        return sorted(set(self.survivor_of.values()))

    def pairs(self) -> Iterator[tuple[list[str], str]]:
        """Each group with its survivor."""
        return zip(self.groups, self.survivor_per_group, strict=True)


def _merging(store: GraphStore, groups: Sequence[list[str]]) -> _Merging:
    """Read the groups' customers and choose each group's survivor: the oldest."""
    customers = store.get_nodes("Customer", [c for g in groups for c in g])
    survivor_per_group = [min(group, key=lambda c: _age(customers, c)) for group in groups]
    survivor_of = {
        c: survivor
        for group, survivor in zip(groups, survivor_per_group, strict=True)
        for c in group
        if c != survivor
    }
    return _Merging(groups, survivor_per_group, survivor_of, customers, clock.now_iso_precise())


def _move_relationships(
    store: GraphStore, merging: _Merging, found: Mapping[str, list[Edge]]
) -> dict[str, dict[str, Any]]:
    """Re-draw the absorbed customers' relationships on their survivors; the snapshot of
    every customer involved, taken before, is returned for the merge events."""
    moves = _moves(found, merging.survivor_of)
    snapshot = _snapshot(merging.absorbed, merging.customers, found)
    # Of a survivor's relationships the merge changes only those a moved one lands on
    # (their properties merge) and its records' RESOLVED_TO (new evidence); the rest —
    # most of a customer's touchpoints and purchases — an unmerge leaves alone anyway.
    landing = _landing(moves, set(merging.survivors))
    snapshot.update(
        _snapshot(
            merging.survivors,
            merging.customers,
            found,
            lambda c, edge, identity: edge.type == "RESOLVED_TO" or identity in landing,
        )
    )
    for (rel_type, src, dst), rows in sorted(moves.items()):
        store.upsert_relationships(rel_type, src, dst, rows)
    return snapshot


def _repoint_relationships(
    store: RelationshipRepointer, merging: _Merging, found: Mapping[str, list[Edge]]
) -> dict[str, dict[str, Any]]:
    """``_move_relationships`` done by the store itself (the embedded one): the same
    writes and the same snapshots, without reading the survivors' other relationships
    or sending every moved one back through the port."""
    before = store.repoint_relationships(
        "Customer", merging.survivor_of, REWRITTEN, also=("RESOLVED_TO",)
    )
    snapshot = _snapshot(merging.absorbed, merging.customers, found)
    snapshot.update(_snapshot(merging.survivors, merging.customers, before))
    return snapshot


def _golden_rows(
    merging: _Merging, records_of: Mapping[str, list[str]], by_record: Mapping[str, Node]
) -> list[dict[str, PropertyValue | None]]:
    """Each survivor's golden attributes, chosen again from all its group's records."""
    rows = []
    customers = merging.customers
    for group, survivor in merging.pairs():
        keys = sorted(r for c in group for r in records_of.get(c, []))
        golden = survivor_attributes([by_record[k] for k in keys if k in by_record])
        since = [
            str(customers[c].props["customer_since"])
            for c in group
            if c in customers and customers[c].props.get("customer_since")
        ]
        rows.append(
            {"id": survivor, **golden, "customer_since": min(since) if since else None,
             "updated_at": merging.now}
        )  # fmt: skip
    return rows


def _resolved_rows(
    merging: _Merging, records_of: Mapping[str, list[str]], link_of: Mapping[str, Link]
) -> list[RelRow]:
    """Every record's RESOLVED_TO its survivor, with the evidence that put it there."""
    rows = []
    evidence: dict[int, dict[str, PropertyValue | None]] = {}  # by link: shared by its ends
    for group, survivor in merging.pairs():
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
                rows.append(RelRow(k, survivor, {**props, "resolved_at": merging.now}))
    return rows


def _record_history(
    store: GraphStore,
    merging: _Merging,
    records_of: Mapping[str, list[str]],
    snapshot: Mapping[str, dict[str, Any]],
    actor: str,
    model_version: int | None,
) -> list[RelRow]:
    """One merge event and one audit entry per group; the events' MERGED links to their
    survivors are returned, to be drawn once the absorbed customers are gone."""
    events: list[dict[str, PropertyValue | None]] = []
    merged_rows = []
    audits = []
    for group, survivor in merging.pairs():
        gone = [c for c in group if c != survivor]
        event_id = _merge_id(survivor, gone)
        moved = sorted(r for c in gone for r in records_of.get(c, []))
        events.append(
            {
                "id": event_id,
                "kind": "merge",
                "at": merging.now,
                "actor": actor,
                "reason": "identity resolution",
                "survivor": survivor,
                "absorbed": gone,
                "source_records": moved,
                "model_version": model_version,
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
                "at": merging.now,
                "actor": actor,
                "action": "merge",
                "target": survivor,
                "detail": json.dumps({"merge_event": event_id, "absorbed": gone}),
            }
        )
    store.upsert_nodes("MergeEvent", events)
    store.upsert_nodes("AuditEntry", audits)
    return merged_rows


def _retire_absorbed(store: GraphStore, merging: _Merging, found: Mapping[str, list[Edge]]) -> None:
    """The absorbed customers go; their IDs, and the aliases they had, point at the
    survivor."""
    survivor_of = merging.survivor_of
    absorbed = merging.absorbed
    store.upsert_nodes(
        "CustomerAlias",
        [{"id": c, "retired_at": merging.now, "reason": "merged"} for c in absorbed],
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


# One transaction: a failure or crash never leaves half a merge. The block reads what it
# moves, so after losing a conflict with a concurrent writer it can run again.
@transactional
def merge_customers(
    store: GraphStore,
    groups: Sequence[list[str]],
    records_of: Mapping[str, list[str]],
    by_record: Mapping[str, Node],
    link_of: Mapping[str, Link],
    actor: str,
    model_version: int | None = None,
) -> None:
    """Merge each group of customers into its oldest: see the module docstring.
    ``records_of``: each customer's source record keys; ``by_record``: those records;
    ``link_of``: per record, the link that matched it (its evidence); ``model_version``:
    the stored match model that weighed those links (identity/model_store.py)."""
    merging = _merging(store, groups)
    if isinstance(store, RelationshipRepointer):
        found = store.relationships_of("Customer", merging.absorbed)
        snapshot = _repoint_relationships(store, merging, found)
    else:
        # One read for every relationship of every customer involved.
        found = store.relationships_of("Customer", [*merging.absorbed, *merging.survivors])
        snapshot = _move_relationships(store, merging, found)
    store.upsert_nodes("Customer", _golden_rows(merging, records_of, by_record))
    store.upsert_relationships(
        "RESOLVED_TO", "SourceRecord", "Customer", _resolved_rows(merging, records_of, link_of)
    )
    merged_rows = _record_history(store, merging, records_of, snapshot, actor, model_version)
    _retire_absorbed(store, merging, found)
    store.upsert_relationships("MERGED", "MergeEvent", "Customer", merged_rows)
