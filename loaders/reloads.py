"""Customer records loaded again: a record whose source record is already linked keeps its
link and the link's evidence; its customer's attributes follow it when it is the
customer's one record, else they are its records' survivorship, worked out again when the
record changed. A record that leaves some fields out keeps what its source record holds
for them, and its match keys are computed again from the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from graph import clock
from graph.schema import schema
from graph.store import GraphStore, Node
from identity.blocking import match_terms
from identity.merge import survivor_attributes
from identity.profile import profile
from loaders.checking import Checked
from loaders.kinds import KINDS
from loaders.record_rows import CustomerKey, Props, RelGroup


@dataclass(frozen=True, slots=True)
class Known:
    """A batch's customer records already linked to a customer (see :func:`known_records`)."""

    linked: dict[str, str]  # source record key -> golden ID
    held: dict[str, Node]  # the source records as stored
    members: dict[str, dict[str, Node]]  # golden ID -> its source records, by key

    def survivorship(self, golden: str, records: dict[str, Props], now: str) -> dict[str, Any]:
        """The customer's golden attributes from its records, some as this batch writes
        them (loaded now: the most recently loaded, as the store will say)."""
        current = dict(self.members.get(golden, {}))
        for key, row in records.items():
            before = current.get(key)
            props = {**(before.props if before else {}), **row, "loaded_at": now}
            current[key] = Node(
                "SourceRecord", key, {k: v for k, v in props.items() if v is not None}
            )
        return survivor_attributes([current[k] for k in sorted(current)])


def known_records(
    store: GraphStore, valid: list[Checked], customers: dict[CustomerKey, str]
) -> Known | None:
    """The batch's customer records whose source record is already linked to its
    customer: what they hold and every record of those customers (two store reads)."""
    own = {str(p["id"]) for c in valid for label, p in c.nodes if label == "SourceRecord"}
    linked = {k.source_key: g for k, g in customers.items() if k.source_key in own}
    if not linked:
        return None
    held = store.get_nodes("SourceRecord", sorted(linked))
    goldens = sorted(set(linked.values()))
    found = store.neighbours_many(
        "Customer", goldens, "RESOLVED_TO", "in", "SourceRecord", limit=10**6
    )
    members = {g: {n.node.key: n.node for n in found.get(g, [])} for g in goldens}
    return Known(linked, held, members)


def reloaded(
    known: Known,
    nodes: list[tuple[str, Props]],
    rels: list[tuple[RelGroup, str, str, Props]],
    golden: list[str],
    changed: dict[str, dict[str, Props]],
    settled: dict[str, str],
) -> tuple[list[tuple[str, Props]], list[tuple[RelGroup, str, str, Props]]]:
    """A customer record's rows as they load again: without its link when its source
    record is already linked, without its customer's row when that customer holds other
    records too. Such a record, if it changed, joins ``changed`` (golden ID -> record key
    -> its row: survivorship is worked out again after the batch, once per customer);
    unchanged, it is ``settled`` (record key -> golden ID: nothing to resolve again)."""
    row = next((p for label, p in nodes if label == "SourceRecord"), None)
    key = str(row["id"]) if row is not None else ""
    if key not in known.linked:
        return nodes, rels  # a new record: its own customer, linked as a singleton
    rels = [r for r in rels if r[0][0] != "RESOLVED_TO"]
    customer = golden[0]
    if set(known.members.get(customer, {})) <= {key}:
        return nodes, rels  # the customer's only record: it follows the record
    nodes = [(label, p) for label, p in nodes if label != "Customer"]
    stored = known.held.get(key)
    assert row is not None
    if stored is None or any(stored.props.get(k) != v for k, v in row.items() if k != "match_keys"):
        changed.setdefault(customer, {})[key] = row
        settled.pop(key, None)
    else:
        settled[key] = customer
    return nodes, rels


def complete_match_keys(store: GraphStore, rows: list[Props]) -> None:
    """A customer record without some of its fields (no such column) leaves what its
    source record holds for them; its match keys, computed from what it gave, are
    computed again from the whole: what the source record holds, updated by the row."""
    matched = _matched_fields()
    partial = [r for r in rows if "match_keys" in r and not matched.issubset(r)]
    if not partial:
        return
    held = store.get_nodes("SourceRecord", [str(r["id"]) for r in partial])
    today = clock.today()
    for row in partial:
        key = str(row["id"])
        node = held.get(key)
        if node is not None:  # else a new record: what it gives is all there is
            whole = {**node.props, **row}
            row["match_keys"] = " ".join(match_terms(profile(key, whole, today))) or None


@cache
def _matched_fields() -> frozenset[str]:
    """The customer record's fields a SourceRecord keeps: what its match keys come from."""
    kept = schema().node("SourceRecord").property_names
    return frozenset(KINDS["customers"].model.model_fields).intersection(kept)
