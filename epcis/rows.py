"""EPCIS events mapped to graph rows: the nodes and relationships one valid event adds to
a capture batch. Pure: the rows are written by epcis/writing.py.

One EpcisEvent per event (idempotent on eventID), a ProductInstance per EPC (canonical key,
epcis/epc.py) linked by OBSERVED {role}, READ_AT the read point, AT the business location,
REFERENCES business transactions, SOURCE / DESTINATION parties or locations; the
(parent, child) pairs of aggregations, whose CONTAINS intervals are recomputed on writing.
An event carrying an errorDeclaration marks that eventID ``retracted``. Fields ckb does not
map are kept in ``extensions`` (JSON). Shelf signals keep their counts for the roll-up
(epcis/shelf_signals.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from epcis.epc import canonical_epc, gtin_of, serial_of
from epcis.shelf_signals import SIGNALS, Counts, shelf_counts
from epcis.values import json_text, utc_time
from epcis.vocabulary import ROLES, cbv_value
from graph.store import RelRow

MAPPED = frozenset(
    [
        "type",
        "eventID",
        "eventTime",
        "eventTimeZoneOffset",
        "recordTime",
        "action",
        "epcList",
        "parentID",
        "childEPCs",
        "inputEPCList",
        "outputEPCList",
        "quantityList",
        "childQuantityList",
        "inputQuantityList",
        "outputQuantityList",
        "bizStep",
        "disposition",
        "readPoint",
        "bizLocation",
        "bizTransactionList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
        "errorDeclaration",
        "@context",
    ]
)


_QUANTITIES = tuple(name for name in MAPPED if name.endswith("uantityList"))


def _location(ref: Any) -> str | None:
    value = ref.get("id") if isinstance(ref, dict) else ref
    return canonical_epc(value) if isinstance(value, str) and value.strip() else None


@lru_cache(maxsize=1 << 16)
def _instance(key: str) -> tuple[str | None, str | None]:
    """(GTIN, serial) of an item's canonical key: busy items recur event after event."""
    return gtin_of(key), serial_of(key)


class _Batch:
    """The rows of a batch's events, by label and by relationship, as they are built. The
    busiest are kept bare for epcis/staging.py: each item once (key -> GTIN, serial) and
    OBSERVED (event, item, role), READ_AT and AT (event, place) as tuples."""

    def __init__(self, rows: dict[str, Any]) -> None:
        nodes: dict[str, list[dict[str, Any]]] = rows["nodes"]
        rels: dict[tuple[str, str, str], list[RelRow]] = rows["rels"]
        bare: dict[tuple[str, str, str], list[tuple[str, ...]]] = rows.setdefault("bare_rels", {})
        self.nodes = nodes
        self.rels = rels
        self.events = nodes.setdefault("EpcisEvent", [])
        self.instances: dict[str, tuple[str | None, str | None]] = rows.setdefault("instances", {})
        self.observed_rels = bare.setdefault(("OBSERVED", "EpcisEvent", "ProductInstance"), [])
        self.places = {
            "READ_AT": bare.setdefault(("READ_AT", "EpcisEvent", "Location"), []),
            "AT": bare.setdefault(("AT", "EpcisEvent", "Location"), []),
        }
        self.ids: list[tuple[str, bool]] = rows.setdefault("ids", [])
        self.observed: dict[str, list[tuple[str, str]]] = rows.setdefault("observed", {})
        self.event_time: dict[str, str | None] = rows.setdefault("event_time", {})


def _batch(rows: dict[str, Any]) -> _Batch:
    # Made once per batch: every event's rows go to the same few lists.
    made: _Batch | None = rows.get("batch")
    if made is None:
        made = rows["batch"] = _Batch(rows)
    return made


def event_rows(event: dict[str, Any], eid: str, rows: dict[str, Any]) -> None:
    """Nodes and relationships for one valid event, added to ``rows``."""
    batch = _batch(rows)
    props = _event_props(event, eid)
    declared = bool(event.get("errorDeclaration"))
    batch.events.append(props)
    batch.ids.append((eid, declared))
    step = event.get("bizStep")
    if declared or (isinstance(step, str) and step.strip() in SIGNALS):
        _shelf_rows(event, eid, props, rows, declared)
    observed = _observed(event)
    batch.observed[eid] = observed
    batch.event_time[eid] = props["event_time"]
    instances, observed_rels = batch.instances, batch.observed_rels
    for key, role in observed:
        if key not in instances:
            instances[key] = _instance(key)
        observed_rels.append((eid, key, role))
    _place_rows(event, eid, batch)
    _transaction_rows(event, eid, batch)
    _source_destination_rows(event, eid, batch)
    parent = event.get("parentID")
    if event.get("type") == "AggregationEvent" and isinstance(parent, str):
        # Containment intervals are recomputed per pair after the events are written.
        pairs: set[tuple[str, str]] = rows.setdefault("pairs", set())
        for child in event.get("childEPCs") or ():
            if isinstance(child, str):
                pairs.add((canonical_epc(parent), canonical_epc(child)))


def _event_props(event: dict[str, Any], eid: str) -> dict[str, Any]:
    """The EpcisEvent node's properties."""
    get = event.get
    extensions = (
        {} if MAPPED.issuperset(event) else {k: v for k, v in event.items() if k not in MAPPED}
    )
    persistent = get("persistentDisposition") or {}
    declared = get("errorDeclaration")
    step, disposition = get("bizStep"), get("disposition")
    # Written with sorted keys: which quantity lists there are matters, not their order.
    quantities = (
        {k: event[k] for k in _QUANTITIES if k in event}
        if not extensions
        else {k: event[k] for k in event if k.endswith("uantityList")}
    )
    sensors = get("sensorElementList")
    props = {
        "event_id": eid,
        "event_type": get("type"),
        # In UTC, so times written with different offsets order as instants; the offset
        # the event was recorded in is kept beside it.
        "event_time": utc_time(get("eventTime")),
        "event_time_zone_offset": get("eventTimeZoneOffset"),
        "record_time": utc_time(get("recordTime")),
        "action": get("action"),
        "biz_step": cbv_value("bizStep", step) if step else None,
        "disposition": cbv_value("disposition", disposition) if disposition else None,
        "persistent_disposition_set": persistent.get("set"),
        "persistent_disposition_unset": persistent.get("unset"),
        "quantity_list": json_text(quantities) if quantities else None,
        "sensor_element_list": None if sensors is None else json_text(sensors),
        "extensions": json_text(extensions) if extensions else None,
        "source_system": "epcis",
        "source_record_id": eid,
    }
    if declared:
        props["retracted"] = True
        props["extensions"] = json_text({**extensions, "errorDeclaration": declared})
    parent = get("parentID")
    if isinstance(parent, str):
        props["parent_epc"] = canonical_epc(parent)
    return props


def _observed(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(canonical key, role) of every item the event observes, its parent last."""
    observed = []
    for list_name, role in ROLES.items():
        for epc in event.get(list_name) or ():
            if isinstance(epc, str):
                observed.append((canonical_epc(epc), role))
    parent = event.get("parentID")
    if isinstance(parent, str):
        observed.append((canonical_epc(parent), "parent"))
    return observed


_PLACES = (("readPoint", "READ_AT", "read_point"), ("bizLocation", "AT", "site"))


def _place_rows(event: dict[str, Any], eid: str, batch: _Batch) -> None:
    for ref, rel_type, kind in _PLACES:
        where = _location(event.get(ref))
        if where:
            batch.nodes.setdefault("Location", []).append({"id": where, "kind": kind})
            batch.places[rel_type].append((eid, where))


def _transaction_rows(event: dict[str, Any], eid: str, batch: _Batch) -> None:
    for tx in event.get("bizTransactionList") or ():
        if isinstance(tx, dict) and isinstance(tx.get("bizTransaction"), str):
            tid = tx["bizTransaction"].strip()
            batch.nodes.setdefault("BizTransaction", []).append(
                {"id": tid, "type": tx.get("type"), "value": tid, "source_system": "epcis",
                 "source_record_id": tid}
            )  # fmt: skip
            batch.rels.setdefault(("REFERENCES", "EpcisEvent", "BizTransaction"), []).append(
                RelRow(eid, tid)
            )


def _source_destination_rows(event: dict[str, Any], eid: str, batch: _Batch) -> None:
    for list_name, rel_type in (("sourceList", "SOURCE"), ("destinationList", "DESTINATION")):
        for item in event.get(list_name) or ():
            if not isinstance(item, dict):
                continue
            kind = str(item.get("type", ""))
            value = item.get("source" if rel_type == "SOURCE" else "destination")
            if not isinstance(value, str):
                continue
            label = "Location" if kind.endswith("location") else "Party"
            key = canonical_epc(value)
            batch.nodes.setdefault(label, []).append({"id": key})
            batch.rels.setdefault((rel_type, "EpcisEvent", label), []).append(
                RelRow(eid, key, {"type": kind.rsplit("-", 1)[-1].rsplit(":", 1)[-1]})
            )


def _shelf_rows(
    event: dict[str, Any], eid: str, props: dict[str, Any], rows: dict[str, Any], declared: bool
) -> None:
    """A shelf signal's counts (or an error declaration, which may retract one) kept for
    the roll-up."""
    counts, activities = shelf_counts(event, props["event_time"])
    if not (counts or declared):
        return
    # Repeats of one eventID within a capture fold: the first counts are the event's,
    # any error declaration retracts it. Kept as plain (counts, retracted) pairs and each
    # activity as its store (the rest is in its ID, shelf_signals.activity_of): cheap to
    # send from a reading process.
    shelf: dict[str, tuple[Counts, bool]] = rows.setdefault("shelf", {})
    seen = shelf.get(eid)
    shelf[eid] = (
        seen[0] if seen and seen[0] else counts,
        declared or (seen is not None and seen[1]),
    )
    rows.setdefault("shelf_props", {}).setdefault(eid, []).append(props)
    for activity in activities:
        rows.setdefault("activities", {})[activity.id] = activity.store
