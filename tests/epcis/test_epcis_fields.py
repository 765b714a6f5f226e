"""Every standard EPCIS field is taken: for each event type GS1's JSON schema defines, an
event carrying every property the schema declares for it (each with a schema-valid value
generated from the schema itself) captures without a field being refused; so do GS1's own
example documents, where they are at hand."""

from __future__ import annotations

import copy
import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import find, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from epcis.capture import capture
from epcis.documents import parse_documents, read_documents
from epcis.validation import DEFAULT_SCHEMA, check_event
from graph.store import GraphStore
from loaders.rejects import RejectsFile
from tests.support.paths import SHARED_DATA

SCHEMA: dict[str, Any] = json.loads(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
DEFINITIONS: dict[str, Any] = SCHEMA["definitions"]
GS1 = SHARED_DATA / "epcis-gs1-examples"
FIELD_REFUSED = "is not an EPCIS field"


def _event_types() -> list[str]:
    """The event types a document's eventList may hold, as the schema branches on them."""
    branches = DEFINITIONS["EPCIS-Document-Event"]["allOf"]
    refs = [b["then"]["$ref"].removeprefix("#/definitions/") for b in branches]
    return [name for name in refs if name != "Extended-Event"]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = DEFINITIONS[unquote(node["$ref"].removeprefix("#/definitions/"))]
    return node


def _valid(node: dict[str, Any], value: Any) -> bool:
    return Draft7Validator({"definitions": DEFINITIONS, **node}).is_valid(value)


def _properties(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The properties an object schema declares, through its allOf parts."""
    node = _resolve(node)
    found: dict[str, dict[str, Any]] = {}
    for part in node.get("allOf", ()):
        for name, sub in _properties(part).items():
            found.setdefault(name, sub)
    for name, sub in node.get("properties", {}).items():
        found.setdefault(name, sub)
    return found


class Generator:
    """Schema-valid values: every declared property of every object, distinct URIs."""

    def __init__(self) -> None:
        self._uris = itertools.count(1)

    def value(self, node: dict[str, Any]) -> Any:  # noqa: PLR0912 - one branch per EPCIS field kind
        node = _resolve(node)
        if "enum" in node:
            return node["enum"][0]
        for combined in ("anyOf", "oneOf"):
            if combined in node:
                # A standard value (a CBV enumeration) before a custom URI.
                for branch in sorted(node[combined], key=lambda b: "enum" not in _resolve(b)):
                    candidate = self.value(branch)
                    if _valid(node, candidate):
                        return candidate
                raise AssertionError(f"no branch of {node} could be generated")
        if "allOf" in node or node.get("type") == "object" or "properties" in node:
            return {name: self.value(sub) for name, sub in _properties(node).items()}
        kind = node.get("type")
        if kind == "array":
            return [self.value(node.get("items", {"type": "string"}))]
        if kind == "number":
            return 1.5
        if kind == "integer":
            return 1
        if kind == "boolean":
            return True
        if node.get("format") == "date-time":
            return "2026-05-01T10:00:00.000Z"
        if node.get("format") == "uri":
            return f"urn:epc:id:sgtin:0614141.107346.{next(self._uris)}"
        if "pattern" in node:
            return _matching(node["pattern"])
        return "text"


@cache
def _matching(pattern: str) -> str:
    """The simplest string the pattern matches in full."""
    found: str = find(
        st.from_regex(pattern, fullmatch=True), lambda _: True, settings=settings(database=None)
    )
    return found


def full_event(event_type: str) -> dict[str, Any]:
    """An event of this type with every property its schema definition declares; where a
    property has a list of allowed values, the first combination the schema accepts."""
    return copy.deepcopy(_full_event(event_type))


@cache
def _full_event(event_type: str) -> dict[str, Any]:
    definition = DEFINITIONS[event_type]
    properties = _properties(definition)
    generator = Generator()
    event = {name: generator.value(sub) for name, sub in properties.items()}
    choices = {
        name: _resolve(sub)["enum"]
        for name, sub in properties.items()
        if "enum" in _resolve(sub) and name != "type"
    }
    for combination in itertools.product(*choices.values()):
        candidate = {**event, **dict(zip(choices, combination, strict=True))}
        if _valid(definition, candidate):
            return candidate
    raise AssertionError(f"no schema-valid {event_type} with every property could be made")


@pytest.mark.parametrize("event_type", _event_types())
def test_every_standard_field_of_every_event_type_is_captured(
    event_type: str, store: GraphStore, tmp_path: Path
) -> None:
    event = full_event(event_type)
    assert set(event) == set(_properties(DEFINITIONS[event_type]))
    assert _valid(DEFINITIONS[event_type], event)
    assert check_event(event) == []
    rejects = RejectsFile(tmp_path / "rejects.jsonl", "generated", "epcis")
    try:
        summary = capture(store, parse_documents(json.dumps(event)), rejects)
    finally:
        rejects.close()
    assert (summary.captured, summary.rejected) == (1, 0), summary.results
    assert store.get_node("EpcisEvent", str(event["eventID"])) is not None


def test_a_transformation_id_is_a_standard_field() -> None:
    event = full_event("TransformationEvent")
    assert "transformationID" in event
    assert not [r for r in check_event(event) if FIELD_REFUSED in r]
    # An unknown bare field is still refused, and a namespaced one still taken.
    assert check_event({**event, "colour": "red"}) == [
        "'colour' is not an EPCIS field; an extension field must be namespaced (prefix:name)"
    ]
    assert check_event({**event, "ex:colour": "red"}) == []


def test_a_field_of_another_event_type_is_refused() -> None:
    """The allowed fields are per type: ilmd belongs to object and transformation events."""
    aggregation = full_event("AggregationEvent")
    assert check_event({**aggregation, "ilmd": {}}) == [
        "'ilmd' is not an EPCIS field; an extension field must be namespaced (prefix:name)"
    ]


def _gs1_examples() -> list[Path]:
    if not GS1.is_dir():
        return []
    return sorted(p for p in GS1.rglob("*.json*") if "Schema" not in p.name)


@pytest.mark.skipif(
    not _gs1_examples(), reason=f"GS1's EPCIS examples not found under {GS1} (../shared/data)"
)
def test_gs1_examples_capture_without_a_field_refused(store: GraphStore, tmp_path: Path) -> None:
    for path in _gs1_examples():
        rejects = RejectsFile(tmp_path / f"{path.name}.rejects.jsonl", str(path), "epcis")
        try:
            summary = capture(store, read_documents(path), rejects)
        finally:
            rejects.close()
        refused = [
            r for r in summary.results if any(FIELD_REFUSED in x for x in r.get("reasons", ()))
        ]
        assert refused == [], path.name
        assert (summary.rejected, summary.refused_documents) == (0, 0), (path.name, summary)


OBSERVED = {
    "type": "ObjectEvent",
    "eventTime": "2026-05-01T10:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "OBSERVE",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
}
"""The smallest valid event: one item observed."""


def test_a_line_separator_inside_a_string_does_not_split_an_event_line(tmp_path: Path) -> None:
    from epcis.documents import parse_documents, read_documents

    event = {**OBSERVED, "ext:note": "line\u2028separator and a bare\rCR"}
    text = json.dumps(event, ensure_ascii=False) + "\r\n" + json.dumps(event) + "\n"
    parsed = list(parse_documents(text, lines=True))
    assert [(n, err) for n, _, err in parsed] == [(1, None), (2, None)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(text.encode())
    assert [(n, err) for n, _, err in read_documents(path)] == [(1, None), (2, None)]


def test_a_byte_order_mark_and_bytes_not_in_utf8_read_alike_by_file_and_http(
    tmp_path: Path,
) -> None:
    from epcis.documents import parse_document_bytes, read_documents

    event = OBSERVED
    good = json.dumps(event).encode()
    bad = good.replace(b"OBSERVE", b"OBSERV\xe9")
    body = b"\xef\xbb\xbf" + good + b"\n" + bad + b"\n"
    path = tmp_path / "events.jsonl"
    path.write_bytes(body)
    by_file = [(n, err is None) for n, _, err in read_documents(path)]
    by_http = [(n, err is None) for n, _, err in parse_document_bytes(body, lines=True)]
    assert by_file == by_http == [(1, True), (2, False)]
    document = tmp_path / "events.json"
    document.write_bytes(b"\xef\xbb\xbf" + json.dumps({"events": [event]}).encode())
    [(n, parsed, err)] = list(read_documents(document))
    assert (n, err) == (1, None)
    assert parsed == {"events": [event]}


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("2024-05-01T10:00:00+02:00", True),
        ("2024-05-01T10:00:00", True),  # no offset: read as UTC
        ("2024-05-01", True),  # a day: its midnight, UTC
        ("01/05/2024 10:00", False),
        ("2024-13-01T00:00:00Z", False),
        ("2024-05-01T24:00:00Z", False),
        ("2024-05-01T10:00:00+2", False),
        ("9999-12-31T23:59:59-01:00", False),  # past the calendar's end in UTC
        ("", False),
    ],
)
def test_an_event_time_must_name_an_instant(
    written: str, kept: bool, store: GraphStore, tmp_path: Path
) -> None:
    """GS1's schema says date-time, which its compiled check (formats off) does not test:
    a time that names no instant is refused with its reason, not stored as sent (where it
    broke the shelf roll-ups that read its day)."""
    for field in ("eventTime", "recordTime"):
        event = {**full_event("ObjectEvent"), field: written}
        reason = f"{field}: {written!r} is not an ISO 8601 date-time (e.g. 2024-05-01T10:00:00Z)"
        assert (reason not in check_event(event)) == kept
    declared = full_event("ObjectEvent")
    declared["errorDeclaration"] = {**declared["errorDeclaration"], "declarationTime": written}
    assert any("declarationTime" in r for r in check_event(declared)) != kept
    rejects = RejectsFile(tmp_path / "rejects.jsonl", "generated", "epcis")
    try:
        summary = capture(store, parse_documents(json.dumps(event)), rejects)
    finally:
        rejects.close()
    assert (summary.captured, summary.rejected) == ((1, 0) if kept else (0, 1))
