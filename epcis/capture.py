"""GS1 EPCIS 2.0 capture: documents and events in, validated events into the graph.

Accepts an ``EPCISDocument``, an ``EPCISQueryDocument``, a single event, or JSON Lines of
any of these (epcis/documents.py). Each event is checked on its own against GS1's EPCIS JSON
Schema (the events of a document are checked one by one, so one bad event does not sink
its siblings) and then by ckb's semantic rules: a bare business step or disposition must
be a CBV value (a custom one written as a full URI is fine) (epcis/validation.py). A bad
event is rejected with its index, eventID and every reason; the others load.

Graph: one EpcisEvent per event (idempotent on eventID; without one, a stable ID is
derived: ``ni:///sha-256;<hash of the canonical event>?ver=CBV2.0``), a ProductInstance per
EPC (canonical key, epcis/epc.py) linked by OBSERVED {role}, INSTANCE_OF the Product
with that GTIN where the catalogue has one, READ_AT the read point, AT the business
location, REFERENCES business transactions, SOURCE / DESTINATION parties or locations,
CONTAINS for aggregations (one per containment interval: ADD opens it at ``since``, DELETE
closes it at ``until``, in any arrival order; epcis/containment.py). An event carrying an
errorDeclaration marks that eventID ``retracted``: history stays, current-state answers
skip it. Fields ckb does not map are kept in ``extensions`` (JSON) (epcis/rows.py).

Master data names and addresses places and parties (epcis/masterdata.py). Batches are
checked and built into rows (epcis/batches.py), the busiest of them staged as the texts the
store keeps (epcis/staging.py), in another process for a big file (epcis/readers.py), and
each is written in one transaction (epcis/writing.py). This module runs those steps and
reports what they did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from epcis.batches import checked_batches
from epcis.documents import DocumentFile
from epcis.writing import write
from graph.store import GraphStore
from loaders.rejects import RejectsFile


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


# Events per write: a stream of any length in bounded memory. Each batch re-writes the
# items and shelf buckets it names and dirties one index page per busy item, so bigger
# batches pay less of that per event: 10k -> 25k took the writer from 48 to 42 us an
# event at 1M bench events, for ~110 MB more peak memory across writer and reader.
CAPTURE_BATCH = 25_000


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
            _tally(summary, write(store, checked.rows))
    return summary


def _worth_reading_apart(path: Path) -> bool:
    # As for record files: a big file, a core to spare, CKB_LOAD_PARALLEL=0/1 to decide.
    from loaders.parallel import worth_parallel

    return worth_parallel(path)


def _tally(summary: CaptureSummary, held: tuple[int, int, int]) -> None:
    new, corrections, repeats = held
    summary.new_events += new
    summary.corrections += corrections
    summary.repeats += repeats
