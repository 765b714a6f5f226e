"""A capture batch written: its events, their items, places, parties and transactions,
master data, containment intervals, the shelf roll-up (epcis/shelf_rollup.py) and the sales
links, in one transaction. The store side of capture; the rows come from epcis/batches.py.

Aggregations keep one CONTAINS per containment interval (ADD opens it at ``since``, DELETE
closes it at ``until``, in any arrival order; epcis/containment.py), rewritten from all of a
pair's live aggregation events. Items of an event that references one of our purchases are
SOLD_TO its customer.
"""

from __future__ import annotations

import threading
from typing import Any

from epcis.containment import Boundary, intervals
from epcis.shelf_rollup import roll_up, shelf_moves
from epcis.shelf_signals import gtin_of_activity
from epcis.staging import NO_PROPS, put_nodes, put_relationships
from epcis.values import json_text
from graph.store import GraphStore, RelRow, atomically

# Shelf counters are read, moved and written back: one capture at a time per process.
_WRITE_LOCK = threading.Lock()


def write(store: GraphStore, rows: dict[str, Any]) -> tuple[int, int, int]:
    """One capture batch in one transaction: its events, their relationships, the shelf
    roll-up and sales links land together or not at all, so a re-run after a crash finds
    either the whole batch (counted) or none of it (counted now). Returns how many of its
    events were new, corrections and repeats (``_held``)."""
    with _WRITE_LOCK:
        return atomically(store, lambda: _write_batch(store, rows))


def _write_batch(store: GraphStore, rows: dict[str, Any]) -> tuple[int, int, int]:
    # Before the events are written: which of them the store already holds.
    ids = rows.get("ids", [])
    stored = store.get_nodes("EpcisEvent", sorted({eid for eid, _ in ids}))
    moves = shelf_moves(rows, stored) if rows.get("shelf") else {}
    order = ("EpcisEvent", "ProductInstance", "Location", "Party", "BizTransaction")
    staged_nodes = rows.get("staged_nodes", {})
    for label in order:
        if label in staged_nodes:
            put_nodes(store, label, staged_nodes[label])
        elif label in rows["nodes"]:
            store.upsert_nodes(label, rows["nodes"][label])
    # Master data after the events' bare places and parties: it names them.
    for label, master in sorted(rows.get("master", {}).items()):
        store.upsert_nodes(label, master)
    gtins: dict[str, str] = rows.get("gtins", {})
    activities: dict[str, str] = rows.get("activities", {})  # activity ID -> its store
    products = _products(store, {*gtins.values(), *(gtin_of_activity(a) for a in activities)})
    if gtins:
        put_relationships(
            store,
            ("INSTANCE_OF", "ProductInstance", "Product"),
            [(e, products[g], "", *NO_PROPS) for e, g in sorted(gtins.items()) if g in products],
        )
    staged_rels = rows.get("staged_rels", {})
    for group in sorted({*rows["rels"], *staged_rels}):
        if group in staged_rels:
            put_relationships(store, group, staged_rels[group])
        else:
            rel_type, src_label, dst_label = group
            store.upsert_relationships(rel_type, src_label, dst_label, rows["rels"][group])
    _link_sales(store, rows)
    if rows.get("pairs"):
        _contain(store, rows["pairs"])
    if moves:
        roll_up(store, moves, activities, products)
    return _held(ids, set(stored))


def _held(ids: list[tuple[str, bool]], stored: set[str]) -> tuple[int, int, int]:
    """(new, corrections, repeats) of a batch's events, in capture order: an eventID the
    store held before the batch, or an earlier event of the batch brought, is a
    correction when it declares an error, else a repeat."""
    new = corrections = repeats = 0
    held = set(stored)
    for eid, declared in ids:
        if eid not in held:
            new += 1
            held.add(eid)
        elif declared:
            corrections += 1
        else:
            repeats += 1
    return new, corrections, repeats


# Children whose events _contain reads at once: every event of a child comes back, so a
# batch's children at once held a gigabyte at 100k customers.
CONTAIN_CHUNK = 1_000


def _contain(store: GraphStore, pairs: set[tuple[str, str]]) -> None:
    """Rewrite the CONTAINS intervals of every pair this capture's aggregations name,
    from all of the pair's live aggregation events (epcis/containment.py)."""
    children = sorted({child for _, child in pairs})
    for start in range(0, len(children), CONTAIN_CHUNK):
        chunk = set(children[start : start + CONTAIN_CHUNK])
        _contain_children(store, sorted(chunk), {p for p in pairs if p[1] in chunk})


def _contain_children(store: GraphStore, children: list[str], pairs: set[tuple[str, str]]) -> None:
    seen = store.neighbours_many(
        "ProductInstance", children, "OBSERVED", "in", "EpcisEvent", limit=10**6
    )
    held = store.neighbours_many(
        "ProductInstance", children, "CONTAINS", "in", "ProductInstance", limit=10**6
    )
    doomed: list[RelRow] = []
    fresh: list[RelRow] = []
    for parent, child in sorted(pairs):
        boundaries = [
            Boundary(str(e.props["event_time"]), str(e.props["action"]), e.key)
            for n in seen.get(child, ())
            if n.edge.props.get("role") == "child"
            and (e := n.node).props.get("parent_epc") == parent
            and e.props.get("event_type") == "AggregationEvent"
            and e.props.get("action") in ("ADD", "DELETE")
            and isinstance(e.props.get("event_time"), str)
            and e.props.get("retracted") is not True
        ]
        wanted = [i.props() for i in intervals(boundaries)]
        old = [n.edge.props for n in held.get(child, ()) if n.node.key == parent]
        if sorted(map(json_text, old), key=str) == sorted(map(json_text, wanted), key=str):
            continue
        doomed += [RelRow(parent, child, {"event_id": p["event_id"]}) for p in old]
        fresh += [RelRow(parent, child, p) for p in wanted]
    if doomed:
        store.delete_relationships("CONTAINS", "ProductInstance", "ProductInstance", doomed)
    if fresh:
        store.upsert_relationships("CONTAINS", "ProductInstance", "ProductInstance", fresh)


def _products(store: GraphStore, gtins: set[str]) -> dict[str, str]:
    """The catalogue product of each GTIN that has one."""
    products: dict[str, str] = {}
    for gtin in sorted(gtins):
        found = store.find_nodes("Product", "gtin", gtin, limit=1)
        if found:
            products[gtin] = found[0].key
    return products


def purchase_id(transaction: str) -> str:
    """The purchase a business transaction names, by convention its last path or URN
    segment: ``https://shop.example/orders/O0003843`` and ``urn:ckb:purchase:O0003843``
    both name purchase ``O0003843``."""
    return transaction.rstrip("/").replace(":", "/").rsplit("/", 1)[-1]


def _link_sales(store: GraphStore, rows: dict[str, Any]) -> None:
    """Transactions that are our purchases link to them; the items of an event that
    references one are SOLD_TO the purchase's customer."""
    references = rows["rels"].get(("REFERENCES", "EpcisEvent", "BizTransaction"), [])
    if not references:
        return
    wanted = {r.dst: purchase_id(r.dst) for r in references}
    purchases = store.get_nodes("Purchase", sorted(set(wanted.values())))
    if not purchases:
        return
    store.upsert_relationships(
        "FOR_PURCHASE",
        "BizTransaction",
        "Purchase",
        [RelRow(tx, pid) for tx, pid in sorted(wanted.items()) if pid in purchases],
    )
    buyers = store.neighbours_many("Purchase", sorted(purchases), "MADE", "in", "Customer", limit=1)
    sold: list[RelRow] = []
    for ref in references:
        pid = wanted[ref.dst]
        if pid not in buyers:
            continue
        customer = buyers[pid][0].node.key
        for key, role in rows["observed"].get(ref.src, ()):
            if role in ("epc", "child", "output"):
                sold.append(
                    RelRow(
                        key,
                        customer,
                        {"sold_at": rows["event_time"].get(ref.src), "event_id": ref.src},
                    )
                )
    store.upsert_relationships("SOLD_TO", "ProductInstance", "Customer", sold)
