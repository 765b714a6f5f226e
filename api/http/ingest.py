"""Push ingest for integration loaders: ``POST /ingest/{kind}`` with an NDJSON body.

The same Loader as ``ckb load`` validates, resolves and upserts the records; the answer
lists each record's status. A 200 answer means every accepted record is committed.

The body is read once, by the file loader's own reader (``read_jsonl``), and everything
else follows from that reading: line numbers, the records loaded, the per-line answer
and which source records identity resolution looks at. A line ends at LF; a CR right
before it belongs to the line ending; any other CR stays inside its line, where JSON
takes it as whitespace between tokens and refuses it inside a string (docs/formats.md).
Identity resolution runs after the records are committed: when it fails, the answer is
still 200 — the records are stored, their resolution is ``pending`` and ``ckb resolve``
catches up — never an error after a commit.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from api.auth import (
    AccessDeniedError,
    AuthError,
    AuthSettings,
    Principal,
    Role,
    authenticate,
    credential,
)
from api.events import CustomerChange, EventHub
from api.http.request_id import current_request_id
from graph.errors import StoreError
from graph.store import GraphStore
from identity.arrival import resolve_arrivals
from loaders.checking import CheckedBatch, batches, check_batch
from loaders.kinds import KINDS
from loaders.pipeline import DEFAULT_BATCH, Loader, LoadSummary
from loaders.rejects import RejectsFile, RejectsList
from loaders.sources import RawRecord, read_jsonl
from loaders.system_names import SystemNameError, check_system_name

DEFAULT_MAX_BYTES = 10 * 2**20

log = logging.getLogger("ckb.ingest")


@dataclass(frozen=True, slots=True)
class IngestSettings:
    max_bytes: int = DEFAULT_MAX_BYTES
    rejects_dir: Path = Path("data/rejects")

    @classmethod
    def from_env(cls) -> IngestSettings:
        max_bytes = int(os.environ.get("CKB_INGEST_MAX_BYTES", str(DEFAULT_MAX_BYTES)))
        return cls(max_bytes, Path(os.environ.get("CKB_REJECTS_DIR", "data/rejects")))


class _Both:
    """Rejects go to the HTTP answer and, appended, to the ingest rejects file."""

    def __init__(self, answer: RejectsList, kept: RejectsFile) -> None:
        self.answer = answer
        self.kept = kept

    def reject(self, line: int, record: Any, reasons: list[str]) -> None:
        self.answer.reject(line, record, reasons)
        self.kept.reject(line, record, reasons)


class IngestRefusedError(Exception):
    """A request ingest will not take; becomes a JSON error answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def refusal(refused: IngestRefusedError) -> JSONResponse:
    """The JSON answer to a refused request; a 401 names the scheme to use."""
    headers = {"www-authenticate": "Bearer"} if refused.status == 401 else None
    return JSONResponse({"error": refused.message}, status_code=refused.status, headers=headers)


def check_token(request: Request) -> Principal:
    """The caller, who must hold the loader (or admin) role."""
    settings: AuthSettings = request.app.state.auth
    if not settings.enabled:
        raise IngestRefusedError(
            403,
            "push ingest is disabled: set CKB_API_KEYS (role loader) or CKB_INGEST_TOKENS "
            "on the server",
        )
    try:
        token = credential(request.headers)
        if token is None:
            raise IngestRefusedError(401, "send Authorization: Bearer <token>")
        principal = authenticate(token, settings)
        principal.require([Role.LOADER], "push ingest")
    except AuthError as exc:
        raise IngestRefusedError(401, str(exc)) from None
    except AccessDeniedError as exc:
        raise IngestRefusedError(403, str(exc)) from None
    return principal


async def _read_request(request: Request, settings: IngestSettings) -> tuple[str, str, bytes]:
    check_token(request)
    kind = request.path_params["kind"]
    if kind not in KINDS:
        raise IngestRefusedError(404, f"unknown record kind {kind!r}; kinds: {', '.join(KINDS)}")
    system = (
        request.query_params.get("source") or request.headers.get("x-ckb-source") or ""
    ).strip()
    if not system:
        raise IngestRefusedError(
            400, "name the source system: ?source=SYSTEM or an X-CKB-Source header"
        )
    try:
        check_system_name(system)
    except SystemNameError as exc:
        raise IngestRefusedError(400, str(exc)) from None
    too_big = f"a batch may hold at most {settings.max_bytes} bytes"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_bytes:
        raise IngestRefusedError(413, too_big)
    body = await request.body()
    if len(body) > settings.max_bytes:
        raise IngestRefusedError(413, too_big)
    if not body.strip():
        raise IngestRefusedError(400, "the body is empty: send one JSON object per line")
    return kind, system, body


@dataclass(slots=True)
class _Loaded:
    summary: LoadSummary
    rejected: dict[int, list[str]]  # line -> reasons
    own_records: dict[int, str]  # line -> the source record a valid customer line wrote
    # Of those, records loaded again unchanged whose customer resolution merged: settled.
    settled: frozenset[str] = frozenset()


def _load(
    store: GraphStore, kind: str, system: str, records: list[RawRecord], settings: IngestSettings
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
    store: GraphStore, system: str, keys: dict[int, str], settled: frozenset[str]
) -> tuple[dict[int, dict[str, Any]], str | None]:
    """Resolve each accepted customer record on arrival; per line, where it landed. The
    records are committed by now: a failure here leaves them pending, it is no error.
    A record pushed again unchanged after resolution merged it stays where it is."""
    try:
        arrivals = resolve_arrivals(
            store, list(keys.values()), actor=f"ingest:{system}", settled=settled
        )
    except Exception:
        request_id = current_request_id() or "-"
        log.error("identity resolution on arrival failed (request %s)", request_id, exc_info=True)
        warning = (
            f"identity resolution on arrival failed (request {request_id}): the records are "
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
        return {
            "kind": self.kind,
            "source": self.source,
            "received": self.received,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "results": self.results,
            **({"warning": self.warning} if self.warning else {}),
        }


def push(
    store: GraphStore, kind: str, system: str, body: bytes, settings: IngestSettings
) -> PushAnswer:
    """Validate, upsert and (customers) resolve an NDJSON batch; each line's status.

    The one path behind ``POST /ingest/{kind}`` and the GraphQL mutations.
    """
    check_system_name(system)
    records = list(read_jsonl(io.BytesIO(body)))
    loaded = _load(store, kind, system, records, settings)
    arrivals, warning = (
        _resolve(store, system, loaded.own_records, loaded.settled)
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


async def ingest(request: Request) -> JSONResponse:
    settings: IngestSettings = request.app.state.ingest
    try:
        kind, system, body = await _read_request(request, settings)
    except IngestRefusedError as refused:
        return refusal(refused)
    store: GraphStore = request.app.state.store
    try:
        answer = await run_in_threadpool(push, store, kind, system, body, settings)
    except StoreError as exc:
        return JSONResponse(
            {"error": f"the store could not take the batch: {exc}"}, status_code=503
        )
    _announce(request.app.state.hub, answer)
    return JSONResponse(answer.as_json())


def _announce(hub: EventHub, answer: PushAnswer) -> None:
    """Subscribers following a customer hear that a pushed record landed on them."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    for result in answer.results:
        if result.get("customer"):
            hub.publish(CustomerChange(str(result["customer"]), "record", at, answer.source))
