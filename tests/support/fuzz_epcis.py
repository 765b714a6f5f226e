"""Hypothesis strategies for EPCIS documents (issue 17): valid events first, then
mutated (wrong types, bad EPCs, odd times, huge and deeply nested values, bad master data
elements), as JSON documents or JSON lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from tests.support.fuzz import (
    BAD_BYTES,
    CONTROL,
    DEPTHS,
    HUGE_SIZES,
    ODD_JSON_NUMBERS,
    OFFSETS,
    RAW_CHARS,
    TEXT,
    Raw,
    nested,
    pick,
)

EPCS = (
    "urn:epc:id:sgtin:0614141.107346.2017",
    "https://id.gs1.org/01/10614141073464/21/2018",
    "urn:epc:id:sscc:0614141.1234567890",
    "urn:epc:id:sgtin:0614141.000005.77",
)
PLACES = ("urn:epc:id:sgln:0614141.00777.0", "urn:epc:id:sgln:0614141.00001.7")
SHELF_STEPS = (
    "https://ckb.example/voc/bizstep/shelf_pickup",
    "https://ckb.example/voc/bizstep/shelf_putdown",
)
EPCIS_TIMES = st.datetimes(
    datetime(2020, 1, 1), datetime(2024, 12, 31), timezones=st.sampled_from(OFFSETS)
).map(lambda t: t.isoformat())


@st.composite
def epcis_events(draw: st.DrawFn) -> dict[str, Any]:  # noqa: PLR0912 - one draw per optional EPCIS member
    """A valid EPCIS 2.0 event of any type (GS1's schema and CBV's vocabulary)."""
    kind = draw(
        pick("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
              "AssociationEvent")
    )  # fmt: skip
    when = draw(EPCIS_TIMES)
    event: dict[str, Any] = {
        "type": kind,
        "eventTime": when,
        "eventTimeZoneOffset": when[-6:] if when[-6] in "+-" else "+00:00",
    }
    epcs = draw(st.lists(st.sampled_from(EPCS), min_size=1, max_size=3, unique=True))
    if kind != "TransformationEvent":
        event["action"] = draw(pick("OBSERVE", "ADD", "DELETE"))
    if kind in ("ObjectEvent", "TransactionEvent"):
        event["epcList"] = epcs
    elif kind in ("AggregationEvent", "AssociationEvent"):
        event["parentID"] = "urn:epc:id:sscc:0614141.1234567890"
        event["childEPCs"] = epcs
        if event["action"] == "OBSERVE" and kind == "AssociationEvent":
            event["action"] = "ADD"
    else:
        event["inputEPCList"] = epcs[:1]
        event["outputEPCList"] = ["urn:epc:id:sgtin:0614141.107346.9"]
    if kind == "TransactionEvent":
        event["bizTransactionList"] = [
            {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:PO-1"}
        ]
    if draw(st.booleans()):
        event["eventID"] = f"urn:uuid:{draw(st.uuids())}"
    if draw(st.booleans()):
        event["bizStep"] = draw(pick("shipping", "receiving", "retail_selling", *SHELF_STEPS))
    if draw(st.booleans()):
        event["disposition"] = draw(pick("in_transit", "sellable_accessible", "returned"))
    if draw(st.booleans()):
        event["readPoint"] = {"id": draw(st.sampled_from(PLACES))}
    if draw(st.booleans()):
        event["bizLocation"] = {"id": PLACES[0]}
    if draw(st.booleans()):
        event["ex:note"] = draw(TEXT)
    if kind == "ObjectEvent" and draw(st.booleans()):
        event["quantityList"] = [
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 2, "uom": "KGM"}
        ]
    if draw(st.integers(0, 9)) == 0:
        event["errorDeclaration"] = {"declarationTime": when, "reason": "incorrect_data"}
    return event


EPCIS_WRONG: tuple[Any, ...] = (
    123, -1.5, True, None, "", "JUMP", [], {}, ["a", 1], {"id": 5},
    Raw("1e400"), Raw("NaN"), Raw("123456789012345678901234567890"),
)  # fmt: skip
BAD_EPCS = (
    "urn:epc:id:sgtin:06141x41.107346.1", "urn:epc:id:sscc:0614141.", "urn:epc:id:sgln:a.b.c",
    "urn:epc:id:sgtin:0614141..1", "https://[x/01/10614141073464", "urn:epc:class:lgtin:4012345.x.1",
    "urn:epc:id:sgtin:", "urn:epc:id:sgtin:0614141.107346.2017.9", "not an epc",
)  # fmt: skip
ODD_TIMES = (
    "2024-05-01", "2024-05-01T10:00:00", "01/05/2024 10:00", "2024-05-01T10:00:00+2",
    "2024-13-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-05-01T10:00:00.123456789+02:00",
    "0001-01-01T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01t10:00:00z", "",
)  # fmt: skip


@st.composite
def _mutate_event(draw: st.DrawFn, event: dict[str, Any]) -> str:
    what = draw(
        pick("drop", "wrong_type", "unknown", "huge", "control", "odd_time", "number", "deep",
              "bad_step", "event_id", "bad_epc")
    )  # fmt: skip
    keys = sorted(event)
    name = draw(st.sampled_from(keys))
    if what == "drop":
        del event[name]
    elif what == "wrong_type":
        event[name] = draw(st.sampled_from(EPCIS_WRONG))
    elif what == "unknown":
        event[draw(pick("foo", "ilmd", "ex:deep", "certificationInfo"))] = draw(
            st.sampled_from(EPCIS_WRONG)
        )
    elif what == "huge":
        event[draw(pick("eventID", "ex:big", "bizStep"))] = "x" * draw(st.sampled_from(HUGE_SIZES))
    elif what == "control":
        event[draw(pick("eventID", "ex:ctl", "bizStep"))] = "a" + draw(st.sampled_from(CONTROL))
    elif what == "odd_time":
        event[draw(pick("eventTime", "recordTime"))] = draw(st.sampled_from(ODD_TIMES))
    elif what == "number":
        event[draw(pick("ex:n", "eventTimeZoneOffset"))] = draw(st.sampled_from(ODD_JSON_NUMBERS))
    elif what == "deep":
        event[draw(pick("ex:deep", "epcList", "readPoint"))] = nested(draw(st.sampled_from(DEPTHS)))
    elif what == "bad_epc":
        bad = draw(st.sampled_from(BAD_EPCS))
        where = draw(
            pick("epcList", "childEPCs", "parentID", "readPoint", "quantityList", "sourceList")
        )
        event[where] = {
            "parentID": bad,
            "readPoint": {"id": bad},
            "quantityList": [{"epcClass": bad, "quantity": 1}],
            "sourceList": [{"type": "owning_party", "source": bad}],
        }.get(where, [bad])
        name = where
    elif what == "bad_step":
        event[draw(pick("bizStep", "disposition"))] = draw(
            pick("flying", "SHIPPING", "cbv:BizStep-x")
        )
    else:
        event["eventID"] = draw(pick("", " ", 42, None, ["urn:uuid:1"]))
    return f"{what}:{name}"


MASTER_ELEMENT = {
    "id": "urn:epc:id:sgln:0614141.00777.0",
    "attributes": [
        {"id": "urn:epcglobal:cbv:mda#name", "attribute": "Plant"},
        {"id": "urn:epcglobal:cbv:mda#latitude", "attribute": "39.96"},
    ],
    "children": ["urn:epc:id:sgln:0614141.00777.1"],
}
BAD_ELEMENTS: tuple[Any, ...] = (
    {"id": "urn:epc:id:sgln:06141x41.00777.0"},
    {"id": "urn:epc:id:sgln:0614141.00777.0", "children": ["urn:epc:id:sgln:a.b.1"]},
    {"id": "", "attributes": []},
    {"id": "urn:x:1", "attributes": [{"attribute": "no id"}]},
    {"id": "urn:x:1", "attributes": [{"id": "urn:epcglobal:cbv:mda#name", "attribute": {"a": 1}}]},
    {"id": "urn:x:1", "attributes": [{"id": "urn:epcglobal:cbv:mda#latitude", "attribute": "north"}]},
    {"id": 5},
    "element",
    None,
)  # fmt: skip


def _document(kind: str, events: list[Any], master: list[Any] | None) -> dict[str, Any]:
    header = (
        {"epcisHeader": {"epcisMasterData": {"vocabularyList": [
            {"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": master}
        ]}}}
        if master is not None
        else {}
    )  # fmt: skip
    body: dict[str, Any] = (
        {"eventList": events}
        if kind == "EPCISDocument"
        else {
            "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}
        }
    )
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": kind,
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z",
        **header,
        "epcisBody": body,
    }


def _json_text(value: Any) -> str:
    """JSON with Raw tokens spliced in (they stand in for what json cannot write)."""
    tokens: dict[str, str] = {}

    def swap(node: Any) -> Any:
        if isinstance(node, Raw):
            key = f"\x00raw{len(tokens)}\x00"
            tokens[key] = node.token
            return key
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    text = json.dumps(swap(value), ensure_ascii=False)
    for key, token in tokens.items():
        text = text.replace(json.dumps(key), token)
    return text


@dataclass(frozen=True)
class EpcisInput:
    """An EPCIS body as captured from a file or a push, and what it still promises."""

    data: bytes
    lines: bool  # JSON Lines (a .jsonl file, an ndjson body), else one document (.json)
    notes: tuple[str, ...]
    # Events each line holds (line -> count) unless the line is refused whole; None when
    # the changes made that unknowable.
    per_line: dict[int, int] | None

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # what hypothesis prints
        printer.text(repr(self))

    def __repr__(self) -> str:
        head = self.data[:400] + (b"..." if len(self.data) > 400 else b"")
        return (
            f"EpcisInput(lines={self.lines}, {len(self.data)} bytes, per_line={self.per_line}, "
            f"notes={self.notes}, data={head!r})"
        )


ODD_DOCUMENTS: tuple[tuple[Any, int], ...] = (
    ([1, 2], 0), ("text", 0), (None, 0), ({"type": "Nonsense"}, 0),
    ({"type": "EPCISDocument"}, 0),
    ({"type": "EPCISDocument", "epcisBody": {"eventList": "x"}}, 0),
    ({"type": "EPCISDocument", "epcisBody": {"eventList": [1, "x", None, []]}}, 4),
    ({"type": "EPCISQueryDocument", "epcisBody": {"queryResults": []}}, 0),
)  # fmt: skip


@st.composite
def _epcis_document(draw: st.DrawFn, notes: list[str]) -> tuple[Any, int]:
    """A document (or a lone event, or something else) and how many events it holds."""
    shape = draw(pick("event", "event", "EPCISDocument", "EPCISQueryDocument", "odd"))
    if shape == "odd":
        odd, count = draw(st.sampled_from(ODD_DOCUMENTS))
        notes.append(f"odd:{str(odd)[:40]}")
        return odd, count
    found = draw(st.lists(epcis_events(), min_size=1 if shape == "event" else 0, max_size=3))
    for event in found:
        if draw(st.integers(0, 2)) == 0:
            notes.append(draw(_mutate_event(event)))
    if shape == "event":
        return found[0], 1
    master = None
    if draw(st.booleans()):
        bad = draw(st.lists(st.sampled_from(BAD_ELEMENTS), max_size=2))
        master = [dict(MASTER_ELEMENT), *bad]
    return _document(shape, found, master), len(found)


@st.composite
def epcis_inputs(draw: st.DrawFn) -> EpcisInput:  # noqa: PLR0912 - one draw per kind of bad input
    """EPCIS JSON Lines (events and documents) or one document, valid or mutated."""
    notes: list[str] = []
    documents = [draw(_epcis_document(notes)) for _ in range(draw(st.integers(1, 3)))]
    lines = len(documents) > 1 or draw(st.booleans())
    indent = None
    if lines:
        text = "\n".join(_json_text(d) for d, _ in documents) + "\n"
    else:
        indent = None if _has_raw(documents[0][0]) else draw(pick(None, 2))
        text = (
            _json_text(documents[0][0])
            if indent is None
            else json.dumps(documents[0][0], indent=indent)
        )
    per_line: dict[int, int] | None = {n: c for n, (_, c) in enumerate(documents, start=1)}
    changes = ("crlf", "cr", "blank", "raw_char", "trailing", "bom", "truncate", "bad_bytes",
               "latin1")  # fmt: skip
    encoding = "utf-8"
    for what in draw(st.lists(st.sampled_from(changes), max_size=2, unique=True)):
        notes.append(what)
        # Which changes keep each line's events knowable, in JSON Lines and in one document.
        keeps = {"crlf": True, "blank": True, "bom": lines, "bad_bytes": lines,
                 "latin1": lines, "trailing": lines, "cr": not lines}  # fmt: skip
        if not keeps.get(what, False):
            per_line = None
        if what == "crlf":
            text = text.replace("\n", "\r\n")
        elif what == "cr":
            text = text.replace("\n", "\r")
        elif what == "blank":
            text = "\n \n" + text
            if lines and per_line is not None:
                per_line = {n + 2: c for n, c in per_line.items()}
        elif what == "raw_char":
            pos = draw(st.integers(0, len(text)))
            text = text[:pos] + draw(st.sampled_from(RAW_CHARS)) + text[pos:]
        elif what == "trailing":
            text += draw(pick("}", " x", "{}", "\x00"))
        elif what == "bom":
            text = "\ufeff" + text
        elif what == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        elif what == "latin1":
            encoding = "latin-1"
    data = text.encode(encoding, errors="replace")
    if "bad_bytes" in notes:
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.sampled_from(BAD_BYTES)) + data[pos:]
    # Read as JSON Lines (.jsonl, an ndjson body) or as a document (.json, a JSON body),
    # whatever it holds; read otherwise than written, its lines' events are not known.
    as_lines = draw(st.booleans()) if lines or indent is None else False
    if as_lines != lines:
        notes.append(f"read as {'lines' if as_lines else 'a document'}")
        per_line = None
    return EpcisInput(data, as_lines, tuple(notes), per_line)


def _has_raw(value: Any) -> bool:
    if isinstance(value, Raw):
        return True
    if isinstance(value, dict):
        return any(_has_raw(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_raw(v) for v in value)
    return False
