"""A capture batch's busiest rows staged as texts, and written staged or as dictionaries.

Most of what a capture batch writes is the same few rows event after event: the
EpcisEvent, its items (ProductInstance), its places (Location) and the OBSERVED, READ_AT
and AT relationships between them. Handed to the store as dictionaries, each is checked
and serialised to JSON in the writing process. Here they are staged once, where the
batch is built (perhaps another process, epcis/readers.py): flat tuples of strings, the
key and the JSON texts the store merges and inserts (``graph.embedded.staged_texts``),
which the embedded store takes as they are (``upsert_staged_nodes`` /
``upsert_staged_relationships``) and another store as the dictionaries they encode.

The store's own checks run on the rows before they are staged. A label (or relationship
group) with a row the store would refuse stays dictionaries, so the write fails as it
always did, with the store's words.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from epcis.shelf_signals import dump_counts
from graph.embedded import EmbeddedStore, StagedNode, StagedRel, staged_texts
from graph.embedded.texts import loads
from graph.errors import InvalidWriteError
from graph.schema import schema
from graph.store import GraphStore, RelRow
from graph.values import prepare_nodes

NO_TOUCH: dict[str, Any] = {}  # capture sets no touch properties
NO_PROPS = ("{}", "{}")  # a relationship without properties: its patch and fresh texts
RelGroup = tuple[str, str, str]  # relationship type, source label, destination label
OBSERVED = ("OBSERVED", "EpcisEvent", "ProductInstance")


@lru_cache(maxsize=64)
def _role_texts(role: str) -> tuple[str, str]:
    return staged_texts({"role": role}, NO_TOUCH)


@lru_cache(maxsize=1 << 16)
def _instance(key: str, gtin: str | None, serial: str | None) -> StagedNode:
    """A ProductInstance staged: busy items recur batch after batch."""
    row = {"epc": key, "gtin": gtin, "serial": serial, "source_system": "epcis",
           "source_record_id": key}  # fmt: skip
    return (key, *staged_texts(row, NO_TOUCH))


def stage(rows: dict[str, Any]) -> None:
    """Stage a built batch's events, items and places and the relationships between them
    (``rows["staged_nodes"]`` and ``rows["staged_rels"]``), where the store's checks pass.
    The events' shelf counts are fixed as for events new to the store; the writer fixes
    again the few the store held already (:func:`refix_shelf_counts`)."""
    _fix_shelf_counts(rows)
    nodes: dict[str, list[dict[str, Any]]] = rows["nodes"]
    staged_nodes: dict[str, list[StagedNode]] = rows.setdefault("staged_nodes", {})
    for label in ("EpcisEvent", "Location"):
        listed = nodes.get(label)
        staged = None if listed is None else _staged_nodes(label, listed)
        if staged is not None:
            staged_nodes[label] = staged
            del nodes[label]
    _stage_instances(rows, rows.pop("instances", {}))
    _stage_rels(rows, rows.pop("bare_rels", {}))


def _stage_instances(
    rows: dict[str, Any], instances: dict[str, tuple[str | None, str | None]]
) -> None:
    """The batch's items (key -> GTIN, serial), each once, and the GTIN of each that has one."""
    if instances and all(instances):
        rows["staged_nodes"]["ProductInstance"] = [_instance(k, *gs) for k, gs in instances.items()]
    elif instances:  # an empty key: the store refuses it, in its words
        rows["nodes"]["ProductInstance"] = [
            {"epc": k, "gtin": g, "serial": s, "source_system": "epcis", "source_record_id": k}
            for k, (g, s) in instances.items()
        ]
    rows["gtins"] = {k: g for k, (g, _) in instances.items() if g}


def _stage_rels(rows: dict[str, Any], bare: dict[RelGroup, list[tuple[str, ...]]]) -> None:
    """OBSERVED (event, item, role), READ_AT and AT (event, place) staged."""
    staged_rels: dict[RelGroup, list[StagedRel]] = rows.setdefault("staged_rels", {})
    for group, listed in bare.items():
        if not all(row[0] and row[1] for row in listed):  # an empty key: as for items
            rows["rels"][group] = [RelRow(row[0], row[1], _props(group, row)) for row in listed]
        elif group == OBSERVED:
            staged_rels[group] = [(s, d, r, *_role_texts(r)) for s, d, r in listed]
        else:
            staged_rels[group] = [(s, d, "", *NO_PROPS) for s, d in listed]


def _props(group: RelGroup, row: tuple[str, ...]) -> dict[str, str]:
    return {"role": row[2]} if group == OBSERVED else {}


def _staged_nodes(label: str, listed: list[dict[str, Any]]) -> list[StagedNode] | None:
    node_type = schema().node(label)
    try:
        prepare_nodes(node_type, listed)  # the store's checks, as the write would run them
    except InvalidWriteError:
        return None
    key = node_type.key
    return [(row[key], *staged_texts(row, NO_TOUCH)) for row in listed]


def _fix_shelf_counts(rows: dict[str, Any]) -> None:
    """Every shelf event's counts as captured in this batch (its first capture's: a
    repeat within the batch counts as the first), fixed on its rows."""
    shelf: dict[str, tuple[dict[str, Any], bool]] = rows.get("shelf", {})
    for eid, props_list in rows.pop("shelf_props", {}).items():
        fixed = dump_counts(shelf[eid][0])
        for props in props_list:
            if fixed is None:
                props.pop("shelf_counts", None)
            else:
                props["shelf_counts"] = fixed


def refix_shelf_counts(rows: dict[str, Any], fixed: dict[str, str | None]) -> None:
    """Set the shelf counts of these events (eventID -> counts text, None: none) on
    their rows, staged or not: the counts of events the store held before the batch."""
    if not fixed:
        return
    staged = rows.get("staged_nodes", {}).get("EpcisEvent")
    if staged is not None:
        for i, (key, patch, _) in enumerate(staged):
            if key in fixed:
                props = loads(patch)
                _set_counts(props, fixed[key])
                staged[i] = (key, *staged_texts(props, NO_TOUCH))
    for props in rows["nodes"].get("EpcisEvent", ()):
        if props["event_id"] in fixed:
            _set_counts(props, fixed[props["event_id"]])


def _set_counts(props: dict[str, Any], fixed: str | None) -> None:
    if fixed is None:
        props.pop("shelf_counts", None)
    else:
        props["shelf_counts"] = fixed


def put_nodes(store: GraphStore, label: str, staged: list[StagedNode]) -> None:
    """Staged node rows written: as they are to the embedded store, else as dictionaries."""
    if isinstance(store, EmbeddedStore):
        store.upsert_staged_nodes(label, staged)
    else:
        store.upsert_nodes(label, [loads(patch) for _, patch, _ in staged])


def put_relationships(store: GraphStore, group: RelGroup, staged: list[StagedRel]) -> None:
    """Staged relationship rows written: as they are to the embedded store, else as rows."""
    rel_type, src_label, dst_label = group
    if isinstance(store, EmbeddedStore):
        store.upsert_staged_relationships(rel_type, src_label, dst_label, staged)
    else:
        store.upsert_relationships(
            rel_type, src_label, dst_label, [RelRow(s, d, loads(p)) for s, d, _, p, _ in staged]
        )


def staged_node(row: dict[str, Any], key: str) -> StagedNode:
    """One node row staged (a row the writer makes, e.g. a shelf counter)."""
    return (row[key], *staged_texts(row, NO_TOUCH))
