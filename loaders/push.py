"""The push use case: an NDJSON batch of one record kind from one source system validated,
upserted and (customers) resolved on arrival, with each line's status.

The one path behind ``POST /ingest/{kind}`` (api/http/ingest.py, the HTTP edge: token,
request, refusals) and the GraphQL mutations. The same Loader as ``ckb load`` validates,
resolves and upserts the records; every accepted record is committed before the answer.

The body is read once, by the file loader's own reader (``read_jsonl``), and everything
else follows from that reading: line numbers, the records loaded, the per-line answer
and which source records identity resolution looks at. A line ends at LF; a CR right
before it belongs to the line ending; any other CR stays inside its line, where JSON
takes it as whitespace between tokens and refuses it inside a string (docs/formats.md).
Identity resolution runs after the records are committed: when it fails, the answer
still accepts them — the records are stored, their resolution is ``pending`` and
``ckb resolve`` catches up — never an error after a commit.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol

from graph.store import GraphStore
from identity.arrival import resolve_arrivals
from loaders.checking import CheckedBatch, batches, check_batch
from loaders.kinds import KINDS
from loaders.pipeline import DEFAULT_BATCH, Loader, LoadSummary
from loaders.rejects import RejectsFile, RejectsList
from loaders.sources import RawRecord, read_jsonl
from loaders.system_names import check_system_name

log = logging.getLogger("ckb.ingest")


class PushSettings(Protocol):
    """Where pushed records' rejects are kept (api/http/ingest.py's IngestSettings)."""

    @property
    def rejects_dir(self) -> Path: ...


@dataclass(frozen=True, slots=True)
class PushAnswer:
    kind: str
    source: str
    received: int
    accepted: int
    rejected: int
    results: list[dict[str, Any]]
    warning: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Every field by its name; the warning only when there is one."""
        answer = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "warning"}
        return answer | ({"warning": self.warning} if self.warning else {})


def push(
    store: GraphStore,
    kind: str,
    system: str,
    body: bytes,
    settings: PushSettings,
    request_id: str | None = None,
) -> PushAnswer:
    """Validate, upsert and (customers) resolve an NDJSON batch; each line's status.
    ``request_id``: the request that sent it, named if resolution on arrival fails."""
    check_system_name(system)
    records = list(read_jsonl(io.BytesIO(body)))
    loaded = _load(store, kind, system, records, settings)
    arrivals, warning = (
        _resolve(store, system, loaded.own_records, loaded.settled, request_id)
        if kind == "customers"
        else ({}, None)
    )
    results = [
        {"line": r.line, "status": "rejected", "reasons": loaded.rejected[r.line]}
        if r.line in loaded.rejected
        else {"line": r.line, "status": "accepted", **arrivals.get(r.line, {})}
        for r in records
    ]
    summary = loaded.summary
    return PushAnswer(
        kind, system, summary.read, summary.loaded, summary.rejected, results, warning
    )


class _Both:
    """Rejects go to the answer and, appended, to the ingest rejects file."""

    def __init__(self, answer: RejectsList, kept: RejectsFile) -> None:
        self.answer = answer
        self.kept = kept

    def reject(self, line: int, record: Any, reasons: list[str]) -> None:
        self.answer.reject(line, record, reasons)
        self.kept.reject(line, record, reasons)


@dataclass(slots=True)
class _Loaded:
    summary: LoadSummary
    rejected: dict[int, list[str]]  # line -> reasons
    own_records: dict[int, str]  # line -> the source record a valid customer line wrote
    # Of those, records loaded again unchanged whose customer resolution merged: settled.
    settled: frozenset[str] = frozenset()


def _load(
    store: GraphStore, kind: str, system: str, records: list[RawRecord], settings: PushSettings
) -> _Loaded:
    answer = RejectsList()
    kept = RejectsFile(
        settings.rejects_dir / f"ingest.{system}.{kind}.rejects.jsonl", "push", kind, append=True
    )
    summary = LoadSummary(kind, system, "push")
    own: dict[int, str] = {}

    def checked() -> Iterator[CheckedBatch]:
        # Loader.run's own steps, keeping each valid customer line's source record key
        # as the loader worked it out.
        for batch in batches(records, DEFAULT_BATCH):
            found = check_batch(KINDS[kind], system, batch)
            if kind == "customers":
                for valid in found.valid:
                    key = valid.customers[0].source_key if valid.customers else None
                    if key is not None:
                        own[valid.line] = key
            yield found

    loader = Loader(store, KINDS[kind], system, _Both(answer, kept))
    try:
        loader.run_checked(checked(), summary)
    finally:
        kept.close()
    rejected = {line: reasons for line, _, reasons in answer.entries}
    own_records = {n: k for n, k in own.items() if n not in rejected}
    return _Loaded(summary, rejected, own_records, frozenset(loader.settled))


def _resolve(
    store: GraphStore,
    system: str,
    keys: dict[int, str],
    settled: frozenset[str],
    request_id: str | None,
) -> tuple[dict[int, dict[str, Any]], str | None]:
    """Resolve each accepted customer record on arrival; per line, where it landed. The
    records are committed by now: a failure here leaves them pending, it is no error.
    A record pushed again unchanged after resolution merged it stays where it is."""
    try:
        arrivals = resolve_arrivals(
            store, list(keys.values()), actor=f"ingest:{system}", settled=settled
        )
    except Exception:
        request = request_id or "-"
        log.error("identity resolution on arrival failed (request %s)", request, exc_info=True)
        warning = (
            f"identity resolution on arrival failed (request {request}): the records are "
            "stored and the next ckb resolve resolves them"
        )
        return {n: {"resolution": "pending"} for n in keys}, warning
    return {
        n: {
            "customer": a.customer,
            "resolution": a.rule,
            "merged": a.merged,
            **({"review": a.review} if a.review else {}),
        }
        for n, a in zip(keys, arrivals, strict=True)
    }, None
