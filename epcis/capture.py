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
EPC (canonical key, epcis/epc.py) linked by OBSERVED {role}, INSTANCE_OF the Product
with that GTIN where the catalogue has one, READ_AT the read point, AT the business
location, REFERENCES business transactions, SOURCE / DESTINATION parties or locations,
CONTAINS for aggregations (one per containment interval: ADD opens it at ``since``, DELETE
closes it at ``until``, in any arrival order; epcis/containment.py). An event carrying an
errorDeclaration marks that eventID ``retracted``: history stays, current-state answers
skip it. Fields ckb does not map are kept in ``extensions`` (JSON).

Master data (a document's ``epcisHeader.epcisMasterData.vocabularyList``, or a query
document's ``resultsBody.vocabularyList``; a document may carry it without events) names
and addresses places and parties: each element of a ReadPoint, BusinessLocation or
Location vocabulary sets those properties on its Location (its ``children`` are
LOCATED_IN it), of a Party vocabulary on its Party, from the CBV attributes
(``urn:epcglobal:cbv:mda#name``, ``#city`` ...); every attribute, mapped or not, is kept in
``master_data`` (JSON). Each element is validated on its own, as an event is.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
import orjson
from jsonschema import Draft7Validator

from epcis.containment import Boundary, intervals
from epcis.epc import canonical_epc, gtin_of, serial_of
from epcis.shelf_signals import (
    SIGNALS,
    Activity,
    Seen,
    day_moves,
    day_of,
    deltas,
    dump_counts,
    load_counts,
    next_day,
    shelf_counts,
    store_bucket,
)
from graph.memory import gc_paused
from graph.store import GraphStore, Node, RelRow, atomically
from loaders.rejects import RejectsFile

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
ROLES = {
    "epcList": "epc", "childEPCs": "child", "inputEPCList": "input",
    "outputEPCList": "output",
}  # fmt: skip


class EpcisDocumentError(ValueError):
    """The input is not EPCIS at all (not JSON, no events, an unknown document type)."""


@cache
def _validator() -> Draft7Validator:
    return Draft7Validator(_python_regexes(_event_schema()))


# An unescaped ``$``: end of text in ECMA-262 (JSON Schema's regex dialect) and in the
# compiled validator, but "before a final newline too" in Python's re.
_DOLLAR = re.compile(r"(?<!\\)\$")


def _python_regexes(node: Any) -> Any:
    """The schema with its patterns read as JSON Schema reads them (``$`` is ``\\Z``), so
    the full validator names a problem for every event the compiled one refuses (an
    offset of ``+00:00`` followed by a newline among them)."""
    if isinstance(node, list):
        return [_python_regexes(n) for n in node]
    if not isinstance(node, dict):
        return node
    copied: dict[str, Any] = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            copied[key] = _DOLLAR.sub(r"\\Z", value)
        elif key == "patternProperties" and isinstance(value, dict):
            copied[key] = {_DOLLAR.sub(r"\\Z", k): _python_regexes(v) for k, v in value.items()}
        else:
            copied[key] = _python_regexes(value)
    return copied


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
def _fast_validator(kind: str | None = None) -> jsonschema_rs.Draft7Validator:
    """The compiled check (jsonschema-rs: ~3 µs for a bench event, against ~45 µs for
    fastjsonschema's generated Python) for one event type, the schema's ``if type == X then
    X`` branch taken directly, or for any event when ``kind`` is None."""
    schema = _event_schema()
    if kind is not None:
        schema = {
            "$schema": schema["$schema"],
            "definitions": schema["definitions"],
            "$ref": f"#/definitions/{kind}",
        }
    # Formats off, as in the full validator (jsonschema checks no formats by default), so
    # both accept and refuse the same events.
    return jsonschema_rs.Draft7Validator(schema, validate_formats=False)


def schema_reasons(event: dict[str, Any]) -> list[str]:
    """Every way an event breaks GS1's schema (none: it conforms). The compiled validator
    decides; only for an event it refuses does the full one run, to name every problem."""
    kind = event.get("type")
    if _fast_validator(kind if kind in EVENT_TYPES else None).is_valid(event):
        return []
    reasons = {f"{_where(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(event)}
    if not reasons:
        # What only the compiled validator refuses: a NaN or infinite number (JSON has
        # none; Python's json reads them), in its words.
        reasons = {
            f"{_where(e.instance_path)}: {e.message}"
            for e in _fast_validator(kind if kind in EVENT_TYPES else None).iter_errors(event)
        }
    return sorted(reasons)


@cache
def standard_fields(kind: str | None) -> frozenset[str]:
    """The top-level fields GS1's schema defines for an event type (for an unknown type,
    those of any type): the properties its definition declares and the names its
    ``propertyNames`` lists, through every ``$ref``, ``allOf`` and ``anyOf``. Any other
    field is an extension and must be namespaced."""
    if kind not in EVENT_TYPES:
        return frozenset().union(*(standard_fields(k) for k in EVENT_TYPES))
    definitions: dict[str, Any] = _event_schema()["definitions"]

    def names(node: Any, seen: frozenset[str], in_names: bool) -> set[str]:
        if not isinstance(node, dict):
            return set()
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            target = unquote(ref.removeprefix("#/definitions/"))  # a JSON pointer
            if target in seen:
                return set()
            return names(definitions.get(target), seen | {target}, in_names)
        found: set[str] = set()
        if in_names:  # a propertyNames schema: the names it enumerates
            found.update(v for v in node.get("enum", ()) if isinstance(v, str))
        else:
            found.update(node.get("properties", {}))
            found |= names(node.get("propertyNames"), seen, True)
        for combined in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(combined, ()):
                found |= names(sub, seen, in_names)
        return found

    return frozenset(names({"$ref": f"#/definitions/{kind}"}, frozenset(), False))


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
    reasons = schema_reasons(event)
    kind = event.get("type")
    ilmd = event.get("ilmd")
    if isinstance(ilmd, dict):
        reasons += [
            f"ilmd: {key!r} is not namespaced (master data attributes are prefix:name)"
            for key in sorted(ilmd)
            if ":" not in key
        ]
    standard = standard_fields(kind if kind in EVENT_TYPES else None)
    if not standard.issuperset(event):  # the common case: no extension fields at all
        reasons += [
            f"{key!r} is not an EPCIS field; an extension field must be namespaced (prefix:name)"
            for key in sorted(event)
            if key not in standard and ":" not in key
        ]
    for kind in ("bizStep", "disposition"):
        value = event.get(kind)
        if isinstance(value, str) and cbv_value(kind, value) is None:
            what = "business step" if kind == "bizStep" else "disposition"
            reasons.append(
                f"{kind}: {value!r} is not a CBV {what} (write a custom one as a full URI)"
            )
    return reasons + _identifier_reasons(event)


def _identifier_reasons(event: dict[str, Any]) -> list[str]:
    """An identifier that becomes a node's key must be one: not empty (a read point or
    business location given empty is left out), an EPC URN's parts digits."""
    reasons = []
    for at, value in _identifiers(event):
        if not isinstance(value, str):
            continue  # the schema's to refuse
        if not value.strip():
            if at[0] not in ("readPoint", "bizLocation"):
                reasons.append(f"{_where(at)}: must not be empty")
        elif not _keyable(value):
            reasons.append(
                f"{_where(at)}: {value!r} is not a valid EPC (an EPC URN's parts are digits)"
            )
    listed = event.get("bizTransactionList")
    for n, tx in enumerate(listed if isinstance(listed, list) else ()):
        given = tx.get("bizTransaction") if isinstance(tx, dict) else None
        if isinstance(given, str) and not given.strip():
            reasons.append(f"bizTransactionList/{n}/bizTransaction: must not be empty")
    return reasons


_IDENTIFIED = (*ROLES, "parentID", "readPoint", "bizLocation", "sourceList", "destinationList")
_ID_KEYS = ("id", "source", "destination", "epcClass")


def _identifiers(event: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(path, value) of each identifier capture reduces to its canonical key; the path is
    joined into words only for a reason (every event pays for the walk)."""
    quantities = [name for name in event if name.endswith("uantityList")]
    for name in (*_IDENTIFIED, *quantities):
        if name not in event:
            continue
        value = event[name]
        listed = isinstance(value, list)
        for n, item in enumerate(value if listed else (value,)):
            at: tuple[str | int, ...] = (name, n) if listed else (name,)
            if isinstance(item, dict):
                for key in _ID_KEYS:
                    if key in item:
                        yield (*at, key), item[key]
            else:
                yield at, item


def _keyable(value: str) -> bool:
    """Whether an identifier has a canonical key (epcis/epc.py): a string that is no
    EPC is kept as written, an EPC URN whose parts are not digits has none."""
    try:
        canonical_epc(value)
    except (ValueError, IndexError):  # urn:epc:id:sgtin:06141x41.107346.1, https://[x
        return False
    return True


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
        events = _object(document, "epcisBody").get("eventList")
    elif kind == "EPCISQueryDocument":
        events = _results(document).get("eventList")
    elif kind in EVENT_TYPES:
        return [document]
    else:
        raise EpcisDocumentError(f"type {kind!r} is not an EPCIS document or event type")
    if events is None and master_data_of(document) is not None:
        return []  # master data alone
    if not isinstance(events, list):
        raise EpcisDocumentError(f"{kind} has no eventList")
    return events


def _object(parent: dict[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name)
    return value if isinstance(value, dict) else {}


def _results(document: dict[str, Any]) -> dict[str, Any]:
    return _object(_object(_object(document, "epcisBody"), "queryResults"), "resultsBody")


# ---------------------------------------------------------------------------- master data

VTYPE = "urn:epcglobal:epcis:vtype:"
# The vocabularies ckb keeps, by type (after VTYPE, in lower case), and the node their
# elements describe; SourceDest names either, told apart by the ID (a GLN is a place).
MASTER_LABELS = {
    "readpoint": "Location", "businesslocation": "Location", "location": "Location",
    "party": "Party", "sourcedest": None,
}  # fmt: skip
_MDA = ("urn:epcglobal:cbv:mda#", "cbvmda:")
# CBV location and party attributes ckb maps (by the name after the prefix).
MDA_TEXT = {
    "name": "name", "city": "city", "state": "state", "postalCode": "postal_code",
    "countryCode": "country",
}  # fmt: skip
MDA_NUMBER = {"latitude": "latitude", "longitude": "longitude"}
MDA_ADDRESS = ("streetAddressOne", "streetAddressTwo", "streetAddressThree")


@dataclass(frozen=True, slots=True)
class MasterElement:
    """One vocabulary element of a document's master data, or the part of the master
    data that could not be read as one (``vocabulary`` None)."""

    where: str  # JSON path in the document, e.g. epcisHeader/epcisMasterData/vocabularyList/0
    vocabulary: str | None
    element: Any
    reasons: list[str]


def master_data_of(document: dict[str, Any]) -> tuple[str, Any] | None:
    """Where a document's master data sits (a JSON path) and what holds its vocabularyList
    there (the header, or a query's results body), or None when it carries none."""
    if document.get("type") == "EPCISDocument" and "epcisHeader" in document:
        header = document["epcisHeader"]
        if isinstance(header, dict) and "epcisMasterData" not in header:
            return None
        return "epcisHeader", header
    results = _results(document)
    if document.get("type") == "EPCISQueryDocument" and "vocabularyList" in results:
        return "epcisBody/queryResults/resultsBody", results
    return None


def master_elements(document: dict[str, Any]) -> list[MasterElement]:
    """Every vocabulary element of a document's master data with the reasons it is
    invalid (none: valid), each checked on its own as events are; a header or vocabulary
    that cannot be read is one element with its reasons."""
    found = master_data_of(document)
    if found is None:
        return []
    where, holder = found
    if where == "epcisHeader":
        reasons = _header_reasons(holder)
        if reasons:
            return [MasterElement(where, None, holder, reasons)]
        where = f"{where}/epcisMasterData/vocabularyList"
        vocabularies = holder["epcisMasterData"].get("vocabularyList")
    else:
        where, vocabularies = f"{where}/vocabularyList", holder["vocabularyList"]
    if not isinstance(vocabularies, list | None):
        return [MasterElement(where, None, vocabularies, [f"{where}: must be a list"])]
    elements = []
    for i, vocabulary in enumerate(vocabularies or ()):
        elements += _vocabulary_elements(f"{where}/{i}", vocabulary)
    return elements


def _header_reasons(header: Any) -> list[str]:
    """The header against GS1's schema, its vocabularies left to be checked one by one."""
    master = header.get("epcisMasterData") if isinstance(header, dict) else None
    if isinstance(master, dict) and isinstance(master.get("vocabularyList"), list):
        header = {**header, "epcisMasterData": {**master, "vocabularyList": []}}
    return _schema_reasons("epcisHeader", header, "epcisHeader")


def _vocabulary_elements(where: str, vocabulary: Any) -> list[MasterElement]:
    listed = vocabulary.get("vocabularyElementList") if isinstance(vocabulary, dict) else None
    shell = {**vocabulary, "vocabularyElementList": []} if isinstance(listed, list) else vocabulary
    reasons = _schema_reasons("vocabulary", shell, where)
    if reasons:
        return [MasterElement(where, None, vocabulary, reasons)]
    vtype = str(vocabulary["type"])
    return [
        MasterElement(
            f"{where}/vocabularyElementList/{j}",
            vtype,
            element,
            check_element(element, f"{where}/vocabularyElementList/{j}"),
        )
        for j, element in enumerate(listed or ())
    ]


@cache
def _definition_validator(name: str) -> Draft7Validator:
    schema = json.loads(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    return Draft7Validator({"definitions": schema["definitions"], "$ref": f"#/definitions/{name}"})


def _schema_reasons(definition: str, value: Any, where: str) -> list[str]:
    return sorted(
        {
            f"{'/'.join([where, *map(str, e.absolute_path)])}: {e.message}"
            for e in _definition_validator(definition).iter_errors(value)
        }
    )


def check_element(element: Any, where: str = "element") -> list[str]:
    """Every reason a vocabulary element is invalid: GS1's schema, then ckb's rules
    (a non-empty ID, namespaced attribute IDs, the CBV attributes ckb maps well typed)."""
    reasons = _schema_reasons("vocabularyElement", element, where)
    if reasons:
        return reasons
    if not element["id"].strip():
        reasons.append(f"{where}/id: must not be empty")
    children = [(f"children/{n}", c) for n, c in enumerate(element.get("children") or ())]
    for at, value in [("id", element["id"]), *children]:
        if isinstance(value, str) and not _keyable(value):
            reasons.append(f"{where}/{at}: {value!r} is not a valid EPC (its parts are digits)")
    for n, attribute in enumerate(element.get("attributes") or ()):
        at, attr_id, value = f"{where}/attributes/{n}", attribute["id"], attribute.get("attribute")
        short = _mda_name(attr_id)
        if ":" not in attr_id:
            reasons.append(
                f"{at}/id: {attr_id!r} is not a URI (write a CBV attribute in full, e.g. "
                "urn:epcglobal:cbv:mda#name)"
            )
        elif (short in MDA_TEXT or short in MDA_ADDRESS) and (
            isinstance(value, bool) or not isinstance(value, str | int)
        ):
            reasons.append(f"{at}/attribute: {attr_id} must be text, got {value!r}")
        elif short in MDA_NUMBER and _number(value) is None:
            reasons.append(f"{at}/attribute: {attr_id} must be a number, got {value!r}")
    return reasons


def _mda_name(attr_id: str) -> str | None:
    for prefix in _MDA:
        if attr_id.startswith(prefix):
            return attr_id[len(prefix) :]
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def master_label(vocabulary: str, key: str) -> str | None:
    """The node a vocabulary's element describes (None: a vocabulary ckb does not keep)."""
    name = vocabulary.removeprefix(VTYPE).lower()
    if name not in MASTER_LABELS:
        return None
    return MASTER_LABELS[name] or ("Location" if "/414/" in key else "Party")


def master_row(vocabulary: str, element: dict[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
    """(label, properties, children's keys) of a valid element of a vocabulary ckb keeps."""
    written = element["id"].strip()
    key = canonical_epc(written)
    label = master_label(vocabulary, key)
    assert label is not None
    attributes = {a["id"]: a.get("attribute") for a in element.get("attributes") or ()}
    row: dict[str, Any] = {"id": key, "source_system": "epcis", "source_record_id": written}
    lines: dict[str, str] = {}
    for attr_id, value in attributes.items():
        short = _mda_name(attr_id)
        if short in MDA_TEXT and str(value).strip():
            row[MDA_TEXT[short]] = str(value).strip()
        elif short in MDA_NUMBER:
            row[MDA_NUMBER[short]] = _number(value)
        elif short in MDA_ADDRESS:
            lines[short] = str(value).strip()
    if lines:
        row["address"] = ", ".join(lines[k] for k in MDA_ADDRESS if lines.get(k))
    row["master_data"] = _json(attributes)
    children = [
        canonical_epc(c) for c in element.get("children") or () if isinstance(c, str) and c.strip()
    ]
    return label, row, children if label == "Location" else []


@dataclass
class CaptureSummary:
    """What a capture did. ``captured`` counts every valid event written, and splits into
    ``new_events`` (eventIDs the store did not hold: the EpcisEvent count grows by exactly
    these), ``corrections`` (error declarations for events it held: they mark them
    retracted) and ``repeats`` (events it held, sent again: nothing changes)."""

    documents: int = 0
    events: int = 0
    captured: int = 0
    rejected: int = 0
    refused_documents: int = 0
    new_events: int = 0
    corrections: int = 0
    repeats: int = 0
    master_data: int = 0  # vocabulary elements stored (on a Location or Party)
    master_data_skipped: int = 0  # valid, of vocabularies ckb does not keep (EPCClass ...)
    master_data_rejected: int = 0
    # Per event, in order; of a file (``keep_captured=False``) only the rejected ones, so a
    # stream of any length is captured in bounded memory.
    results: list[dict[str, Any]] = field(default_factory=list)

    def add(self, counts: dict[str, int]) -> None:
        """Add a batch's counts (``CheckedBatch.counts``: fields of this class by name)."""
        for name, n in counts.items():
            setattr(self, name, getattr(self, name) + n)

    def describe(self) -> str:
        """One line saying exactly what happened, e.g. ``22,694 events read: 22,650 new,
        44 error declarations retracting events already held; rejected 0``."""
        parts = [f"{self.new_events:,} new"]
        if self.corrections:
            parts.append(f"{self.corrections:,} error declarations retracting events already held")
        if self.repeats:
            parts.append(f"{self.repeats:,} repeats of events already held")
        text = f"{self.events:,} events read: {', '.join(parts)}; rejected {self.rejected:,}"
        if self.refused_documents:
            text += f", documents refused {self.refused_documents:,}"
        if self.master_data or self.master_data_skipped or self.master_data_rejected:
            text += f"; master data: {self.master_data:,} places and parties named"
            if self.master_data_skipped:
                text += f", {self.master_data_skipped:,} elements of other vocabularies skipped"
            if self.master_data_rejected:
                text += f", {self.master_data_rejected:,} rejected"
        return text


def _location(ref: Any) -> str | None:
    value = ref.get("id") if isinstance(ref, dict) else ref
    return canonical_epc(value) if isinstance(value, str) and value.strip() else None


@lru_cache(maxsize=1 << 16)
def _instance(key: str) -> tuple[str | None, str | None]:
    """(GTIN, serial) of an item's canonical key: busy items recur event after event."""
    return gtin_of(key), serial_of(key)


class _Batch:
    """The rows of a batch's events, by label and by relationship, as they are built."""

    def __init__(self, rows: dict[str, Any]) -> None:
        nodes: dict[str, list[dict[str, Any]]] = rows["nodes"]
        rels: dict[tuple[str, str, str], list[RelRow]] = rows["rels"]
        self.events = nodes.setdefault("EpcisEvent", [])
        self.instances = nodes.setdefault("ProductInstance", [])
        self.observed_rels = rels.setdefault(("OBSERVED", "EpcisEvent", "ProductInstance"), [])
        self.places = {
            "READ_AT": rels.setdefault(("READ_AT", "EpcisEvent", "Location"), []),
            "AT": rels.setdefault(("AT", "EpcisEvent", "Location"), []),
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


def _rows(event: dict[str, Any], eid: str, rows: dict[str, Any]) -> None:
    """Nodes and relationships for one valid event, added to ``rows``."""
    nodes: dict[str, list[dict[str, Any]]] = rows["nodes"]
    rels: dict[tuple[str, str, str], list[RelRow]] = rows["rels"]
    batch = _batch(rows)
    get = event.get
    extensions = (
        {} if MAPPED.issuperset(event) else {k: v for k, v in event.items() if k not in MAPPED}
    )
    persistent = get("persistentDisposition") or {}
    declared = get("errorDeclaration")
    step, disposition = get("bizStep"), get("disposition")
    quantities = {k: event[k] for k in event if k.endswith("uantityList")}
    when = utc_time(get("eventTime"))
    sensors = get("sensorElementList")
    props = {
        "event_id": eid,
        "event_type": get("type"),
        # In UTC, so times written with different offsets order as instants; the offset
        # the event was recorded in is kept beside it.
        "event_time": when,
        "event_time_zone_offset": get("eventTimeZoneOffset"),
        "record_time": utc_time(get("recordTime")),
        "action": get("action"),
        "biz_step": cbv_value("bizStep", step) if step else None,
        "disposition": cbv_value("disposition", disposition) if disposition else None,
        "persistent_disposition_set": persistent.get("set"),
        "persistent_disposition_unset": persistent.get("unset"),
        "quantity_list": _json(quantities) if quantities else None,
        "sensor_element_list": None if sensors is None else _json(sensors),
        "extensions": _json(extensions) if extensions else None,
        "source_system": "epcis",
        "source_record_id": eid,
    }
    if declared:
        props["retracted"] = True
        props["extensions"] = _json({**extensions, "errorDeclaration": declared})
    batch.events.append(props)
    batch.ids.append((eid, bool(declared)))
    if declared or (isinstance(step, str) and step.strip() in SIGNALS):
        _shelf_rows(event, eid, props, rows, bool(declared))
    observed = []
    for list_name, role in ROLES.items():
        for epc in get(list_name) or ():
            if isinstance(epc, str):
                observed.append((canonical_epc(epc), role))
    parent = get("parentID")
    if isinstance(parent, str):
        observed.append((canonical_epc(parent), "parent"))
    batch.observed[eid] = observed
    batch.event_time[eid] = when
    for key, role in observed:
        gtin, serial = _instance(key)
        batch.instances.append(
            {"epc": key, "gtin": gtin, "serial": serial, "source_system": "epcis",
             "source_record_id": key}
        )  # fmt: skip
        batch.observed_rels.append(RelRow(eid, key, {"role": role}))
    for ref, rel_type, kind in _PLACES:
        where = _location(get(ref))
        if where:
            nodes.setdefault("Location", []).append({"id": where, "kind": kind})
            batch.places[rel_type].append(RelRow(eid, where))
    for tx in get("bizTransactionList") or ():
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
        for item in get(list_name) or ():
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
    if get("type") == "AggregationEvent" and isinstance(parent, str):
        # Containment intervals are recomputed per pair after the events are written.
        pairs: set[tuple[str, str]] = rows.setdefault("pairs", set())
        for child in get("childEPCs") or ():
            if isinstance(child, str):
                pairs.add((canonical_epc(parent), canonical_epc(child)))


_PLACES = (("readPoint", "READ_AT", "read_point"), ("bizLocation", "AT", "site"))


def _shelf_rows(
    event: dict[str, Any], eid: str, props: dict[str, Any], rows: dict[str, Any], declared: bool
) -> None:
    """A shelf signal's counts (or an error declaration, which may retract one) kept for
    the roll-up."""
    counts, activities = shelf_counts(event, props["event_time"])
    if not (counts or declared):
        return
    # Repeats of one eventID within a capture fold: the first counts are the event's,
    # any error declaration retracts it.
    shelf: dict[str, Seen] = rows.setdefault("shelf", {})
    seen = shelf.get(eid)
    shelf[eid] = Seen(
        seen.counts if seen and seen.counts else counts,
        declared or (seen is not None and seen.retracted),
    )
    rows.setdefault("shelf_props", {}).setdefault(eid, []).append(props)
    for activity in activities:
        rows.setdefault("activities", {})[activity.id] = activity


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


@dataclass(frozen=True, slots=True)
class DocumentFile:
    """A file's documents, read as they are iterated (:func:`read_documents`): capture
    may hand a big file to another process to read (epcis/readers.py)."""

    path: Path

    def __iter__(self) -> Iterator[tuple[int, Any, str | None]]:
        if self.path.suffix == ".jsonl":
            return _read_lines(self.path)
        return parse_document_bytes(self.path.read_bytes())


def read_documents(path: Path) -> DocumentFile:
    """(line or 1, parsed JSON, error) for a JSON document file or a JSON Lines file (read
    line by line, so a file of any size streams)."""
    return DocumentFile(path)


def parse_document_bytes(data: bytes, lines: bool = False) -> Iterator[tuple[int, Any, str | None]]:
    """:func:`parse_documents` over bytes as stored or sent: a UTF-8 byte-order mark is
    skipped, and bytes not in UTF-8 refuse the document (the line) they stand in; nothing
    is read as something else. File capture and HTTP capture read alike through it."""
    return parse_documents(_utf8(data.removeprefix(codecs.BOM_UTF8)), lines)


def _utf8(data: bytes) -> str:
    # Bytes not in UTF-8 survive as lone surrogates, which _parse refuses with their line.
    return data.decode("utf-8", "surrogateescape")


def _read_lines(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    # Read as bytes: a line ends at LF and a bare CR (or U+2028 inside a string) stays in
    # it, as for every other file ckb reads (loaders/sources.py) and for push ingest.
    with path.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            # A UTF-8 byte-order mark is no part of line 1.
            line = _utf8(raw.removeprefix(codecs.BOM_UTF8) if n == 1 else raw).removesuffix("\n")
            if line.strip():
                yield n, *_parse(line)


def parse_documents(text: str, lines: bool = False) -> Iterator[tuple[int, Any, str | None]]:
    """One JSON document, or (``lines``, or text that is not one object) JSON Lines."""
    stripped = text.lstrip()
    if stripped.startswith("{") and not lines and _one_object(text):
        yield 1, *_parse(text, whole=True)
        return
    for n, line in enumerate(text.split("\n"), start=1):  # LF only, not str.splitlines
        if line.strip():
            yield n, *_parse(line)


# What orjson cannot write back (ckb keeps unmapped fields as JSON): refused on reading.
_UNWRITABLE = "ckb keeps JSON with integers of up to 64 bits, nested up to 255 levels"


def _parse(text: str, whole: bool = False) -> tuple[Any, str | None]:
    """A document (or line) parsed, or None and why not: not UTF-8 (bytes read as
    surrogate escapes), not JSON, nested too deeply, or holding what ckb cannot store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None, "not valid UTF-8"
    try:
        parsed = json.loads(text) if whole else _loads(text)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc}"
    except RecursionError:
        return None, f"invalid JSON: nested too deeply ({_UNWRITABLE})"
    try:
        orjson.dumps(parsed)
    except TypeError as exc:  # orjson.JSONEncodeError
        return None, f"cannot be kept: {exc} ({_UNWRITABLE})"
    return parsed, None


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
    except RecursionError:
        return True  # one document, nested too deeply: refused as a whole
    return True


CAPTURE_BATCH = 10_000  # events per write: a stream of any length in bounded memory


def capture(
    store: GraphStore,
    documents: Iterable[tuple[int, Any, str | None]],
    rejects: RejectsFile,
    batch: int = CAPTURE_BATCH,
    keep_captured: bool = True,
) -> CaptureSummary:
    """Validate and write every event and master data element; written batch by batch,
    all before it returns. ``keep_captured``: list captured events in ``results`` too (a
    pushed request's answer), not only rejected ones (a file's)."""
    summary = CaptureSummary()
    if isinstance(documents, DocumentFile) and _worth_reading_apart(documents.path):
        # A big file: parsed, validated and built into rows by another process, batch by
        # batch, while this one writes the batch before.
        from epcis.readers import checked_apart

        checked_all = checked_apart(documents.path, batch, keep_captured)
    else:
        checked_all = checked_batches(documents, batch, keep_captured)
    for checked in checked_all:
        summary.add(checked.counts)
        summary.results += checked.results
        for line, record, reasons in checked.rejects:
            rejects.reject(line, record, reasons)
        if checked.pending:
            _tally(summary, _write(store, checked.rows))
    return summary


def _worth_reading_apart(path: Path) -> bool:
    # As for record files: a big file, a core to spare, CKB_LOAD_PARALLEL=0/1 to decide.
    from loaders.parallel import worth_parallel

    return worth_parallel(path)


@dataclass(slots=True)
class CheckedBatch:
    """A batch of events and master data elements, validated and turned into rows, with
    what became of each: ready to write (``pending`` of them) and to report."""

    rows: dict[str, Any] = field(default_factory=lambda: {"nodes": {}, "rels": {}})
    pending: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[tuple[int, Any, list[str]]] = field(default_factory=list)


def checked_batches(
    documents: Iterable[tuple[int, Any, str | None]], batch: int, keep_captured: bool
) -> Iterator[CheckedBatch]:
    """The documents' events and master data, validated and built into rows, ``batch``
    events (or elements) at a time: what a writer needs and nothing more, so the work can
    run in another process (epcis/readers.py)."""
    units = _units(documents)
    while True:
        # Paused while a batch is built (hundreds of thousands of small acyclic dicts; a
        # full collection walks them all); a batch's cycles, if any, go when it resumes.
        with gc_paused():
            checked = _check_batch(units, batch, keep_captured)
        if checked is None:
            return
        yield checked


_REFUSED, _DOCUMENT, _EVENT = range(3)


def _units(documents: Iterable[tuple[int, Any, str | None]]) -> Iterator[tuple[int, int, Any, Any]]:
    """(what, line, document or event, reason or event index): a refused document, a
    document (its master data), each of its events; a batch may end inside a document."""
    for line, document, error in documents:
        try:
            if error:
                raise EpcisDocumentError(error)
            events = events_of(document)
        except EpcisDocumentError as exc:
            yield _REFUSED, line, document, str(exc)
            continue
        yield _DOCUMENT, line, document, None
        for index, event in enumerate(events, start=1):
            yield _EVENT, line, event, index


def _check_batch(
    units: Iterator[tuple[int, int, Any, Any]], batch: int, keep_captured: bool
) -> CheckedBatch | None:
    checked = CheckedBatch()
    counts, rows, results = checked.counts, checked.rows, checked.results
    seen = False
    for what, line, item, extra in units:
        seen = True
        if what == _REFUSED:
            counts["documents"] = counts.get("documents", 0) + 1
            counts["refused_documents"] = counts.get("refused_documents", 0) + 1
            checked.rejects.append((line, item, [extra]))
            results.append({"line": line, "status": "rejected", "reasons": [extra]})
            continue
        if what == _DOCUMENT:
            counts["documents"] = counts.get("documents", 0) + 1
            checked.pending += _master_data(item, line, checked)
        else:
            _check_one(checked, line, extra, item, keep_captured)
        if checked.pending >= batch:
            break
    if not seen:
        return None
    rows.pop("batch", None)
    _compact(rows)
    return checked


# Labels whose rows repeat within a batch (an item or a place in event after event). Not
# EpcisEvent: the shelf roll-up still sets properties on the very rows of its events.
_FOLDED = ("ProductInstance", "Location", "Party", "BizTransaction")
_KEYS = {"ProductInstance": "epc"}


def _compact(rows: dict[str, Any]) -> None:
    """Fold repeated node rows as the store would (a later row merges over an earlier
    one), and drop what only the sales links read when no event references a
    transaction: less to write, and less to send when another process built the batch."""
    nodes: dict[str, list[dict[str, Any]]] = rows["nodes"]
    for label in _FOLDED:
        listed = nodes.get(label)
        if not listed:
            continue
        key = _KEYS.get(label, "id")
        folded: dict[Any, dict[str, Any]] = {}
        for row in listed:
            seen = folded.get(row[key])
            folded[row[key]] = row if seen is None else {**seen, **row}
        nodes[label] = list(folded.values())
    if not rows["rels"].get(("REFERENCES", "EpcisEvent", "BizTransaction")):
        rows.pop("observed", None)
        rows.pop("event_time", None)


def _check_one(
    checked: CheckedBatch, line: int, index: int, event: Any, keep_captured: bool
) -> None:
    """One event: rejected with its reasons, or its rows added to the batch."""
    counts = checked.counts
    counts["events"] = counts.get("events", 0) + 1
    reasons = check_event(event)
    eid = event_id(event) if isinstance(event, dict) else None
    if reasons:
        counts["rejected"] = counts.get("rejected", 0) + 1
        checked.rejects.append(
            (line, {"event_index": index, "eventID": eid, "event": event}, reasons)
        )
        checked.results.append(
            {"line": line, "event": index, "eventID": eid, "status": "rejected",
             "reasons": reasons}
        )  # fmt: skip
        return
    assert eid is not None
    _rows(event, eid, checked.rows)
    counts["captured"] = counts.get("captured", 0) + 1
    if keep_captured:
        checked.results.append({"line": line, "event": index, "eventID": eid, "status": "captured"})
    checked.pending += 1


def _master_data(document: dict[str, Any], line: int, checked: CheckedBatch) -> int:
    """A document's master data into the batch's rows (the bad elements rejected); how
    many elements will be written."""
    counts, rows = checked.counts, checked.rows
    written = 0
    for found in master_elements(document):
        element_id = found.element.get("id") if isinstance(found.element, dict) else None
        if found.reasons:
            counts["master_data_rejected"] = counts.get("master_data_rejected", 0) + 1
            record = {"masterData": found.where, "vocabulary": found.vocabulary}
            checked.rejects.append((line, {**record, "element": found.element}, found.reasons))
            checked.results.append(
                {"line": line, **record, "id": element_id, "status": "rejected",
                 "reasons": found.reasons}
            )  # fmt: skip
            continue
        assert found.vocabulary is not None
        if master_label(found.vocabulary, canonical_epc(found.element["id"])) is None:
            counts["master_data_skipped"] = counts.get("master_data_skipped", 0) + 1
            continue
        label, row, children = master_row(found.vocabulary, found.element)
        rows.setdefault("master", {}).setdefault(label, []).append(row)
        for child in children:
            rows["nodes"].setdefault("Location", []).append({"id": child})
            rows["rels"].setdefault(("LOCATED_IN", "Location", "Location"), []).append(
                RelRow(child, row["id"])
            )
        counts["master_data"] = counts.get("master_data", 0) + 1
        written += 1
    return written


def _tally(summary: CaptureSummary, held: tuple[int, int, int]) -> None:
    new, corrections, repeats = held
    summary.new_events += new
    summary.corrections += corrections
    summary.repeats += repeats


# Shelf counters are read, moved and written back: one capture at a time per process.
_WRITE_LOCK = threading.Lock()


def _write(store: GraphStore, rows: dict[str, Any]) -> tuple[int, int, int]:
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
    moves = _shelf_moves(rows, stored) if rows.get("shelf") else {}
    order = ("EpcisEvent", "ProductInstance", "Location", "Party", "BizTransaction")
    for label in order:
        if label in rows["nodes"]:
            store.upsert_nodes(label, rows["nodes"][label])
    # Master data after the events' bare places and parties: it names them.
    for label, master in sorted(rows.get("master", {}).items()):
        store.upsert_nodes(label, master)
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


def _shelf_moves(rows: dict[str, Any], events: dict[str, Node]) -> dict[str, tuple[int, int]]:
    """How this capture moves the shelf counters (``events``: the batch's events the store
    held before it); each shelf event's counts fixed on it."""
    batch: dict[str, Seen] = rows["shelf"]
    stored = {
        key: Seen(load_counts(node.props.get("shelf_counts")), node.props.get("retracted") is True)
        for key, node in events.items()
        if key in batch
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
    """Add the moves to the ShelfActivity counters, creating buckets as they first count,
    and to their ShelfDay counters."""
    current = store.get_nodes("ShelfActivity", sorted(moves))
    # The days first: a day met for the first time starts from the hours already held.
    _roll_up_days(store, moves, activities, current)
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


def _roll_up_days(
    store: GraphStore,
    moves: dict[str, tuple[int, int]],
    activities: dict[str, Activity],
    hours: dict[str, Node],
) -> None:
    """Add the hourly moves to their days' ShelfDay counters. A day not held yet starts
    from the sum of its hours the store holds already, so a store captured before days
    were kept gets each day right the first time it is counted into again."""
    moved = day_moves(moves)
    days = store.get_nodes("ShelfDay", sorted(moved))
    stores: dict[str, str] = {}  # day ID -> its store
    for key in moves:
        node = hours.get(key)
        where = activities[key].store if key in activities else node and node.props.get("store")
        stores.setdefault(day_of(key)[0], str(where))
    base = _held_days({(stores[d], d.rsplit("@", 1)[1]) for d in moved if d not in days}, store)
    rows = []
    for day, (up, down) in sorted(moved.items()):
        node = days.get(day)
        old = _counts(node) if node is not None else base.get(day, (0, 0))
        row: dict[str, Any] = {"id": day, "pickups": old[0] + up, "putdowns": old[1] + down}
        if node is None:
            gtin, rest = day.split("@", 1)
            shelf, date = rest.rsplit("@", 1)
            row |= {"gtin": gtin, "shelf": shelf, "store": stores[day], "day": date,
                    "store_day": store_bucket(stores[day], date)}  # fmt: skip
        rows.append(row)
    store.upsert_nodes("ShelfDay", rows)


def _held_days(store_days: set[tuple[str, str]], store: GraphStore) -> dict[str, tuple[int, int]]:
    """Per day ID, the sum of the hours the store holds on these (store, day)s."""
    sums: dict[str, tuple[int, int]] = {}
    for place, date in sorted(store_days):
        held = store.find_range(
            "ShelfActivity",
            "store_bucket",
            store_bucket(place, date),
            store_bucket(place, next_day(date)),
            limit=10**8,
        )
        for hour in held:
            day = day_of(hour.key)[0]
            up, down = sums.get(day, (0, 0))
            more = _counts(hour)
            sums[day] = (up + more[0], down + more[1])
    return sums


def _counts(node: Node) -> tuple[int, int]:
    """(pickups, putdowns) of a ShelfActivity or ShelfDay."""
    return int(node.props.get("pickups", 0)), int(node.props.get("putdowns", 0))  # type: ignore[arg-type]


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
