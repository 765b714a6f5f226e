"""Documents into checked batches: each event and master data element validated, the valid
ones built into graph rows, the bad ones kept with their reasons, ``batch`` events (or
elements) at a time. Pure: what a writer needs and nothing more, so the work can run in
another process (epcis/readers.py) while this one writes (epcis/capture.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from epcis.documents import EpcisDocumentError, event_id, events_of
from epcis.epc import canonical_epc
from epcis.masterdata import master_elements, master_label, master_row
from epcis.rows import event_rows
from epcis.staging import stage
from epcis.validation import check_event
from graph.memory import gc_paused
from graph.store import RelRow


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
    stage(rows)
    return checked


# Labels whose rows repeat within a batch (a place in event after event; items are kept
# once as they come, epcis/rows.py). Not EpcisEvent: the shelf counts are set on the very
# rows of its events (epcis/staging.py).
_FOLDED = ("Location", "Party", "BizTransaction")


def _compact(rows: dict[str, Any]) -> None:
    """Fold repeated node rows as the store would (a later row merges over an earlier
    one), and drop what only the sales links read when no event references a
    transaction: less to write, and less to send when another process built the batch."""
    nodes: dict[str, list[dict[str, Any]]] = rows["nodes"]
    for label in _FOLDED:
        listed = nodes.get(label)
        if not listed:
            continue
        folded: dict[Any, dict[str, Any]] = {}
        for row in listed:
            seen = folded.get(row["id"])
            folded[row["id"]] = row if seen is None else {**seen, **row}
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
    event_rows(event, eid, checked.rows)
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
