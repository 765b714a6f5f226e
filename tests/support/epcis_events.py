"""EPCIS events as the tests write them, and captured as ``ckb load epcis`` captures a
file: validated, written to the store, rejects beside it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from epcis.capture import CAPTURE_BATCH, CaptureSummary, capture
from epcis.documents import read_documents
from graph.store import GraphStore
from loaders.rejects import RejectsFile


def object_event(eid: str, step: str, when: str, *serials: int, **extra: Any) -> dict[str, Any]:
    """An OBSERVE ObjectEvent of the given serials of one test GTIN (10614141073464)."""
    return {
        "type": "ObjectEvent",
        "eventID": eid,
        "eventTime": when,
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "epcList": [f"urn:epc:id:sgtin:0614141.107346.{s}" for s in serials],
        "bizStep": step,
        **extra,
    }


def write_lines(path: Path, documents: Iterable[dict[str, Any]]) -> Path:
    """``documents`` written to ``path`` as JSON Lines; the path."""
    path.write_text("\n".join(json.dumps(d) for d in documents), encoding="utf-8")
    return path


def capture_file(
    store: GraphStore,
    path: Path,
    folder: Path,
    *,
    batch: int = CAPTURE_BATCH,
    keep_captured: bool = True,
) -> CaptureSummary:
    """Capture the EPCIS document file ``path`` into ``store`` in batches of ``batch``
    events; rejects go to ``folder``/<file name>.rejects.jsonl."""
    rejects = RejectsFile(folder / f"{path.name}.rejects.jsonl", str(path), "epcis")
    try:
        return capture(
            store, read_documents(path), rejects, batch=batch, keep_captured=keep_captured
        )
    finally:
        rejects.close()


def capture_events(
    store: GraphStore,
    events: Iterable[dict[str, Any]],
    folder: Path,
    *,
    batch: int = CAPTURE_BATCH,
) -> CaptureSummary:
    """``events`` written to ``folder``/events.jsonl as one stream and captured."""
    path = write_lines(folder / "events.jsonl", events)
    return capture_file(store, path, folder, batch=batch)
