"""EPCIS documents read: bytes, files and text parsed into documents, and what a parsed
document holds (its events, where its master data sits, each event's ID).

Accepts an ``EPCISDocument`` (events in ``epcisBody.eventList``), an
``EPCISQueryDocument`` (``epcisBody.queryResults.resultsBody.eventList``), a single event,
or JSON Lines of any of these. File capture and HTTP capture read alike through
:func:`parse_document_bytes`; a file streams line by line (:class:`DocumentFile`).
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from epcis.vocabulary import EVENT_TYPES


class EpcisDocumentError(ValueError):
    """The input is not EPCIS at all (not JSON, no events, an unknown document type)."""


def event_id(event: dict[str, Any]) -> str:
    """The event's eventID; without one, a stable ID derived from the event itself
    (``ni:///sha-256;<hash of the canonical event>?ver=CBV2.0``)."""
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


def master_data_of(document: dict[str, Any]) -> tuple[str, Any] | None:
    """Where a document's master data sits (a JSON path) and what holds its vocabularyList
    there (the header, or a query's results body), or None when it carries none."""
    kind = document.get("type")
    if kind == "EPCISDocument" and "epcisHeader" in document:
        header = document["epcisHeader"]
        if isinstance(header, dict) and "epcisMasterData" not in header:
            return None
        return "epcisHeader", header
    if kind != "EPCISQueryDocument":
        return None  # an event on its own line, most often
    results = _results(document)
    if "vocabularyList" in results:
        return "epcisBody/queryResults/resultsBody", results
    return None


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
