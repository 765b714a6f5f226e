"""GS1 EPCIS 2.0 capture: documents and events in, validated events into the graph.

Accepts an ``EPCISDocument`` (events in ``epcisBody.eventList``), an
``EPCISQueryDocument`` (``epcisBody.queryResults.resultsBody.eventList``), a single event,
or JSON Lines of any of these. Each event is checked on its own against GS1's EPCIS JSON
Schema (the events of a document are checked one by one, so one bad event does not sink
its siblings) and then by ckb's semantic rules: a bare business step or disposition must
be a CBV value (a custom one written as a full URI is fine). A bad event is rejected with
its index, eventID and every reason; the others load.

Graph: one EpcisEvent per event (idempotent on eventID; without one, a stable ID is
derived: ``ni:///sha-256;<hash of the canonical event>?ver=CBV2.0``), a ProductInstance per
EPC (canonical key, loaders/epc.py) linked by OBSERVED {role}, INSTANCE_OF the Product
with that GTIN where the catalogue has one, READ_AT the read point, AT the business
location, REFERENCES business transactions, SOURCE / DESTINATION parties or locations,
CONTAINS for aggregations (one per containment interval: ADD opens it at ``since``, DELETE
closes it at ``until``, in any arrival order; loaders/containment.py). An event carrying an
errorDeclaration marks that eventID ``retracted``: history stays, current-state answers
skip it. Fields ckb does not map are kept in ``extensions`` (JSON).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson
from jsonschema import Draft7Validator

from graph.store import GraphStore, RelRow, atomically
from loaders.containment import Boundary, intervals
from loaders.epc import canonical_epc, gtin_of, serial_of
from loaders.rejects import RejectsFile
from loaders.shelf import (
    Activity,
    Seen,
    deltas,
    dump_counts,
    load_counts,
    shelf_counts,
    store_bucket,
)

SCHEMA_ENV = "CKB_EPCIS_SCHEMA"
DEFAULT_SCHEMA = Path(__file__).resolve().parent / "epcis_schema" / "EPCIS-JSON-Schema.json"
EVENT_TYPES = (
    "ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
    "AssociationEvent",
)  # fmt: skip

BIZ_STEPS = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "sampling",
        "sensor_reporting",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
    ]
)
DISPOSITIONS = frozenset(
    [
        "active",
        "available",
        "completeness_inferred",
        "completeness_verified",
        "conformant",
        "container_closed",
        "container_open",
        "damaged",
        "destroyed",
        "dispensed",
        "disposed",
        "encoded",
        "expired",
        "in_progress",
        "in_transit",
        "inactive",
        "mismatch_instance",
        "mismatch_class",
        "mismatch_quantity",
        "needs_replacement",
        "no_pedigree_match",
        "non_conformant",
        "non_sellable_other",
        "partially_dispensed",
        "recalled",
        "reserved",
        "retail_sold",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
        "stolen",
        "unavailable",
        "unknown",
    ]
)
_CBV_PREFIXES = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-", "cbv:BizStep-"),
    "disposition": (
        "urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-", "cbv:Disp-",
    ),
}  # fmt: skip
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
STANDARD = MAPPED | {"ilmd", "certificationInfo", "@context"}
ROLES = {
    "epcList": "epc", "childEPCs": "child", "inputEPCList": "input",
    "outputEPCList": "output",
}  # fmt: skip


class EpcisDocumentError(ValueError):
    """The input is not EPCIS at all (not JSON, no events, an unknown document type)."""


@cache
def _validator() -> Draft7Validator:
    return Draft7Validator(_event_schema())


@cache
def _event_schema() -> dict[str, Any]:
    schema = json.loads(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    # One event at a time, without the JSON-LD context a standalone event must carry.
    return {
        "$schema": schema["$schema"],
        "definitions": schema["definitions"],
        "allOf": [
            {
                "if": {"properties": {"type": {"const": name}}},
                "then": {"$ref": f"#/definitions/{name}"},
            }
            for name in EVENT_TYPES
        ],
        "required": ["type"],
        "properties": {"type": {"enum": list(EVENT_TYPES)}},
    }


@cache
def _fast_validator(kind: str | None = None) -> Callable[[Any], Any]:
    """The compiled check for one event type (the schema's ``if type == X then X``
    branch taken directly: the other types' failed ``if`` cost an exception each), or for
    any event when ``kind`` is None."""
    schema = _event_schema()
    if kind is not None:
        schema = {
            "$schema": schema["$schema"],
            "definitions": schema["definitions"],
            "$ref": f"#/definitions/{kind}",
        }
    # Formats off, as in the full validator (jsonschema checks no formats by default), so
    # both accept and refuse the same events.
    compiled: Callable[[Any], Any] = fastjsonschema.compile(schema, use_formats=False)
    return compiled


def _where(path: Any) -> str:
    return "/".join(str(p) for p in path) or "event"


def cbv_value(kind: str, value: str) -> str | None:
    """The short CBV value for any of its forms; a custom URI as written; None if a bare
    word is not a CBV value."""
    for prefix in _CBV_PREFIXES[kind]:
        if value.startswith(prefix):
            return value[len(prefix) :]
    if ":" in value:
        return value  # a custom vocabulary, written as a URI: fine
    vocabulary = BIZ_STEPS if kind == "bizStep" else DISPOSITIONS
    return value if value in vocabulary else None


def check_event(event: Any) -> list[str]:
    """Every reason this event is invalid: JSON Schema first, then CBV semantics."""
    if not isinstance(event, dict):
        return ["an event must be a JSON object"]
    try:
        # Compiled: ~35 times faster on the (common) valid event.
        kind = event.get("type")
        _fast_validator(kind if kind in EVENT_TYPES else None)(event)
        reasons: list[str] = []
    except fastjsonschema.JsonSchemaException:
        # Only now the full validator, which names every problem, not just the first.
        reasons = sorted(
            {f"{_where(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(event)}
        )
    ilmd = event.get("ilmd")
    if isinstance(ilmd, dict):
        reasons += [
            f"ilmd: {key!r} is not namespaced (master data attributes are prefix:name)"
            for key in sorted(ilmd)
            if ":" not in key
        ]
    reasons += [
        f"{key!r} is not an EPCIS field; an extension field must be namespaced (prefix:name)"
        for key in sorted(event)
        if key not in STANDARD and ":" not in key
    ]
    for kind in ("bizStep", "disposition"):
        value = event.get(kind)
        if isinstance(value, str) and cbv_value(kind, value) is None:
            what = "business step" if kind == "bizStep" else "disposition"
            reasons.append(
                f"{kind}: {value!r} is not a CBV {what} (write a custom one as a full URI)"
            )
    return reasons


def event_id(event: dict[str, Any]) -> str:
    given = event.get("eventID")
    if isinstance(given, str) and given.strip():
        return given.strip()
    # No ID: a hash of the event's canonical JSON (sorted keys, without the fields a
    # repository adds), so the same event always gets the same ID.
    body = {k: v for k, v in event.items() if k not in ("eventID", "recordTime", "@context")}
    digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def events_of(document: Any) -> list[Any]:
    """The events a parsed document holds, in order."""
    if not isinstance(document, dict):
        raise EpcisDocumentError("an EPCIS document or event must be a JSON object")
    kind = document.get("type")
    if kind == "EPCISDocument":
        events = (document.get("epcisBody") or {}).get("eventList")
    elif kind == "EPCISQueryDocument":
        body = (document.get("epcisBody") or {}).get("queryResults") or {}
        events = (body.get("resultsBody") or {}).get("eventList")
    elif kind in EVENT_TYPES:
        return [document]
    else:
        raise EpcisDocumentError(f"type {kind!r} is not an EPCIS document or event type")
    if not isinstance(events, list):
        raise EpcisDocumentError(f"{kind} has no eventList")
    return events


@dataclass
class CaptureSummary:
    documents: int = 0
    events: int = 0
    captured: int = 0
    rejected: int = 0
    refused_documents: int = 0
    # Per event, in order; of a file (``keep_captured=False``) only the rejected ones, so a
    # stream of any length is captured in bounded memory.
    results: list[dict[str, Any]] = field(default_factory=list)


def _location(ref: Any) -> str | None:
    value = ref.get("id") if isinstance(ref, dict) else ref
    return canonical_epc(value) if isinstance(value, str) and value.strip() else None


def _rows(event: dict[str, Any], eid: str, rows: dict[str, Any]) -> None:
    """Nodes and relationships for one valid event, added to ``rows``."""
    nodes: dict[str, list[dict[str, Any]]] = rows["nodes"]
    rels: dict[tuple[str, str, str], list[RelRow]] = rows["rels"]
    extensions = {k: v for k, v in event.items() if k not in MAPPED}
    persistent = event.get("persistentDisposition") or {}
    declared = event.get("errorDeclaration")
    props = {
        "event_id": eid,
        "event_type": event.get("type"),
        # In UTC, so times written with different offsets order as instants; the offset
        # the event was recorded in is kept beside it.
        "event_time": utc_time(event.get("eventTime")),
        "event_time_zone_offset": event.get("eventTimeZoneOffset"),
        "record_time": utc_time(event.get("recordTime")),
        "action": event.get("action"),
        "biz_step": cbv_value("bizStep", event["bizStep"]) if event.get("bizStep") else None,
        "disposition": cbv_value("disposition", event["disposition"])
        if event.get("disposition")
        else None,
        "persistent_disposition_set": persistent.get("set"),
        "persistent_disposition_unset": persistent.get("unset"),
        "quantity_list": _json({k: event[k] for k in event if k.endswith("uantityList")} or None),
        "sensor_element_list": _json(event.get("sensorElementList")),
        "extensions": _json(extensions or None),
        "source_system": "epcis",
        "source_record_id": eid,
    }
    if declared:
        props["retracted"] = True
        props["extensions"] = _json({**extensions, "errorDeclaration": declared})
    nodes.setdefault("EpcisEvent", []).append(props)
    counts, activities = shelf_counts(event, props["event_time"])
    if counts or declared:
        # Repeats of one eventID within a capture fold: the first counts are the event's,
        # any error declaration retracts it.
        shelf: dict[str, Seen] = rows.setdefault("shelf", {})
        seen = shelf.get(eid)
        shelf[eid] = Seen(
            seen.counts if seen and seen.counts else counts,
            bool(declared) or (seen is not None and seen.retracted),
        )
        rows.setdefault("shelf_props", {}).setdefault(eid, []).append(props)
        for activity in activities:
            rows.setdefault("activities", {})[activity.id] = activity
    observed = []
    for list_name, role in ROLES.items():
        for epc in event.get(list_name) or ():
            if isinstance(epc, str):
                observed.append((canonical_epc(epc), role))
    parent = event.get("parentID")
    if isinstance(parent, str):
        observed.append((canonical_epc(parent), "parent"))
    rows.setdefault("observed", {})[eid] = [(key, role) for key, role in observed]
    rows.setdefault("event_time", {})[eid] = utc_time(event.get("eventTime"))
    for key, role in observed:
        nodes.setdefault("ProductInstance", []).append(
            {"epc": key, "gtin": gtin_of(key), "serial": serial_of(key), "source_system": "epcis",
             "source_record_id": key}
        )  # fmt: skip
        rels.setdefault(("OBSERVED", "EpcisEvent", "ProductInstance"), []).append(
            RelRow(eid, key, {"role": role})
        )
    for ref, rel_type in ((event.get("readPoint"), "READ_AT"), (event.get("bizLocation"), "AT")):
        where = _location(ref)
        if where:
            kind = "read_point" if rel_type == "READ_AT" else "site"
            nodes.setdefault("Location", []).append({"id": where, "kind": kind})
            rels.setdefault((rel_type, "EpcisEvent", "Location"), []).append(RelRow(eid, where))
    for tx in event.get("bizTransactionList") or ():
        if isinstance(tx, dict) and isinstance(tx.get("bizTransaction"), str):
            tid = tx["bizTransaction"].strip()
            nodes.setdefault("BizTransaction", []).append(
                {"id": tid, "type": tx.get("type"), "value": tid, "source_system": "epcis",
                 "source_record_id": tid}
            )  # fmt: skip
            rels.setdefault(("REFERENCES", "EpcisEvent", "BizTransaction"), []).append(
                RelRow(eid, tid)
            )
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
            nodes.setdefault(label, []).append({"id": key})
            rels.setdefault((rel_type, "EpcisEvent", label), []).append(
                RelRow(eid, key, {"type": kind.rsplit("-", 1)[-1].rsplit(":", 1)[-1]})
            )
    if isinstance(parent, str):
        props["parent_epc"] = canonical_epc(parent)
    if event.get("type") == "AggregationEvent" and isinstance(parent, str):
        # Containment intervals are recomputed per pair after the events are written.
        pairs: set[tuple[str, str]] = rows.setdefault("pairs", set())
        for child in event.get("childEPCs") or ():
            if isinstance(child, str):
                pairs.add((canonical_epc(parent), canonical_epc(child)))


def utc_time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value  # the schema checked the format; keep what was sent
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def read_documents(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line or 1, parsed JSON, error) for a JSON document file or a JSON Lines file (read
    line by line, so a file of any size streams)."""
    if path.suffix == ".jsonl":
        return _read_lines(path)
    return parse_documents(path.read_text(encoding="utf-8"))


def _read_lines(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                try:
                    yield n, _loads(line), None
                except json.JSONDecodeError as exc:
                    yield n, None, f"invalid JSON: {exc}"


def parse_documents(text: str, lines: bool = False) -> Iterator[tuple[int, Any, str | None]]:
    """One JSON document, or (``lines``, or text that is not one object) JSON Lines."""
    stripped = text.lstrip()
    if stripped.startswith("{") and not lines and _one_object(text):
        try:
            yield 1, json.loads(text), None
        except json.JSONDecodeError as exc:
            yield 1, None, f"invalid JSON: {exc}"
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield n, _loads(line), None
            except json.JSONDecodeError as exc:
                yield n, None, f"invalid JSON: {exc}"


def _loads(line: str) -> Any:
    """orjson (several times faster); what it refuses and json takes (NaN, huge integers)
    still parses, and what both refuse raises json's error, with json's message."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def _one_object(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        # "Extra data" after a complete object: JSON Lines, not one broken document.
        return not exc.msg.startswith("Extra data")
    return True


CAPTURE_BATCH = 10_000  # events per write: a stream of any length in bounded memory


def capture(
    store: GraphStore,
    documents: Iterator[tuple[int, Any, str | None]],
    rejects: RejectsFile,
    batch: int = CAPTURE_BATCH,
    keep_captured: bool = True,
) -> CaptureSummary:
    """Validate and write every event; written batch by batch, all before it returns.
    ``keep_captured``: list captured events in ``results`` too (a pushed request's answer),
    not only rejected ones (a file's)."""
    summary = CaptureSummary()
    rows: dict[str, Any] = {"nodes": {}, "rels": {}}
    pending = 0
    for line, document, error in documents:
        summary.documents += 1
        try:
            if error:
                raise EpcisDocumentError(error)
            events = events_of(document)
        except EpcisDocumentError as exc:
            summary.refused_documents += 1
            rejects.reject(line, document, [str(exc)])
            summary.results.append({"line": line, "status": "rejected", "reasons": [str(exc)]})
            continue
        for index, event in enumerate(events, start=1):
            summary.events += 1
            reasons = check_event(event)
            eid = event_id(event) if isinstance(event, dict) else None
            if reasons:
                summary.rejected += 1
                rejects.reject(
                    line, {"event_index": index, "eventID": eid, "event": event}, reasons
                )
                summary.results.append(
                    {
                        "line": line,
                        "event": index,
                        "eventID": eid,
                        "status": "rejected",
                        "reasons": reasons,
                    }
                )
                continue
            assert eid is not None
            _rows(event, eid, rows)
            summary.captured += 1
            if keep_captured:
                summary.results.append(
                    {"line": line, "event": index, "eventID": eid, "status": "captured"}
                )
            pending += 1
            if pending >= batch:
                _write(store, rows)
                rows, pending = {"nodes": {}, "rels": {}}, 0
    if pending:
        _write(store, rows)
    return summary


# Shelf counters are read, moved and written back: one capture at a time per process.
_WRITE_LOCK = threading.Lock()


def _write(store: GraphStore, rows: dict[str, Any]) -> None:
    """One capture batch in one transaction: its events, their relationships, the shelf
    roll-up and sales links land together or not at all, so a re-run after a crash finds
    either the whole batch (counted) or none of it (counted now)."""
    with _WRITE_LOCK:
        atomically(store, lambda: _write_batch(store, rows))


def _write_batch(store: GraphStore, rows: dict[str, Any]) -> None:
    # Before the events are written: which of them the store already holds.
    moves = _shelf_moves(store, rows) if rows.get("shelf") else {}
    order = ("EpcisEvent", "ProductInstance", "Location", "Party", "BizTransaction")
    for label in order:
        if label in rows["nodes"]:
            store.upsert_nodes(label, rows["nodes"][label])
    gtins = {r["epc"]: r["gtin"] for r in rows["nodes"].get("ProductInstance", []) if r["gtin"]}
    activities: dict[str, Activity] = rows.get("activities", {})
    products = _products(store, {*gtins.values(), *(a.gtin for a in activities.values())})
    if gtins:
        store.upsert_relationships(
            "INSTANCE_OF",
            "ProductInstance",
            "Product",
            [RelRow(epc, products[g]) for epc, g in sorted(gtins.items()) if g in products],
        )
    for (rel_type, src, dst), rels in sorted(rows["rels"].items()):
        store.upsert_relationships(rel_type, src, dst, rels)
    _link_sales(store, rows)
    if rows.get("pairs"):
        _contain(store, rows["pairs"])
    if moves:
        _roll_up(store, moves, activities, products)


# Children whose events _contain reads at once: every event of a child comes back, so a
# batch's children at once held a gigabyte at 100k customers.
CONTAIN_CHUNK = 1_000


def _contain(store: GraphStore, pairs: set[tuple[str, str]]) -> None:
    """Rewrite the CONTAINS intervals of every pair this capture's aggregations name,
    from all of the pair's live aggregation events (loaders/containment.py)."""
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
        if sorted(map(_json, old), key=str) == sorted(map(_json, wanted), key=str):
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


def _shelf_moves(store: GraphStore, rows: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """How this capture moves the shelf counters; each shelf event's counts fixed on it."""
    batch: dict[str, Seen] = rows["shelf"]
    stored = {
        key: Seen(load_counts(node.props.get("shelf_counts")), node.props.get("retracted") is True)
        for key, node in store.get_nodes("EpcisEvent", sorted(batch)).items()
    }
    for eid, props_list in rows["shelf_props"].items():
        # The counts of the event's first capture stay with it, whatever a repeat says.
        fixed = dump_counts(stored[eid].counts if eid in stored else batch[eid].counts)
        for props in props_list:
            if fixed is None:
                props.pop("shelf_counts", None)
            else:
                props["shelf_counts"] = fixed
    return deltas(batch, stored)


def _roll_up(
    store: GraphStore,
    moves: dict[str, tuple[int, int]],
    activities: dict[str, Activity],
    products: dict[str, str],
) -> None:
    """Add the moves to the ShelfActivity counters, creating buckets as they first count."""
    current = store.get_nodes("ShelfActivity", sorted(moves))
    updates = []
    for key, (up, down) in sorted(moves.items()):
        node = current.get(key)
        old_up = int(node.props.get("pickups", 0)) if node else 0  # type: ignore[arg-type]
        old_down = int(node.props.get("putdowns", 0)) if node else 0  # type: ignore[arg-type]
        row: dict[str, Any] = {"id": key, "pickups": old_up + up, "putdowns": old_down + down}
        if node is None:
            a = activities[key]
            row |= {
                "gtin": a.gtin,
                "shelf": a.shelf,
                "store": a.store,
                "bucket_start": a.bucket_start,
                "store_bucket": store_bucket(a.store, a.bucket_start),
            }
        updates.append(row)
    store.upsert_nodes("ShelfActivity", updates)
    fresh = [activities[k] for k in sorted(moves) if k not in current and k in activities]
    store.upsert_relationships(
        "AT", "ShelfActivity", "Location", [RelRow(a.id, a.shelf) for a in fresh]
    )
    store.upsert_relationships(
        "OF_PRODUCT",
        "ShelfActivity",
        "Product",
        [RelRow(a.id, products[a.gtin]) for a in fresh if a.gtin in products],
    )
    store.upsert_nodes("Location", [{"id": a.store} for a in fresh if a.store != a.shelf])
    store.upsert_relationships(
        "LOCATED_IN",
        "Location",
        "Location",
        [
            RelRow(shelf, site)
            for shelf, site in sorted({(a.shelf, a.store) for a in fresh})
            if shelf != site
        ],
    )


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
