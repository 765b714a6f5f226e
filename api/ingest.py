"""Push ingest for integration loaders: ``POST /ingest/{kind}`` with an NDJSON body.

The same Loader as ``ckb load`` validates, resolves and upserts the records; the answer
lists each record's status. A 200 answer means every accepted record is committed.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
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
from graph.errors import StoreError
from graph.store import GraphStore
from loaders.incremental import resolve_arrivals
from loaders.kinds import KINDS, source_record_key
from loaders.pipeline import Loader, LoadSummary
from loaders.rejects import RejectsFile, RejectsList
from loaders.sources import read_jsonl

DEFAULT_MAX_BYTES = 10 * 2**20


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


def check_token(request: Request) -> Principal:
    """The caller, who must hold the loader (or admin) role."""
    settings: AuthSettings = request.app.state.auth
    if not settings.enabled:
        raise IngestRefusedError(
            403,
            "push ingest is disabled: set CKB_API_KEYS (role loader) or CKB_INGEST_TOKENS "
            "on the server",
        )
    token = credential(request.headers)
    if token is None:
        raise IngestRefusedError(401, "send Authorization: Bearer <token>")
    try:
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


def _load(
    store: GraphStore, kind: str, system: str, body: bytes, settings: IngestSettings
) -> tuple[LoadSummary, RejectsList]:
    answer = RejectsList()
    kept = RejectsFile(
        settings.rejects_dir / f"ingest.{system}.{kind}.rejects.jsonl", "push", kind, append=True
    )
    summary = LoadSummary(kind, system, "push")
    try:
        Loader(store, KINDS[kind], system, _Both(answer, kept)).run(
            read_jsonl(io.BytesIO(body)), summary
        )
    finally:
        kept.close()
    return summary, answer


def _resolve(
    store: GraphStore, system: str, body: bytes, rejected: dict[int, list[str]]
) -> dict[int, dict[str, Any]]:
    """Resolve each accepted customer record on arrival; per line, where it landed."""
    keys: dict[int, str] = {}
    for n, raw in enumerate(body.splitlines(), start=1):
        if n in rejected or not raw.strip():
            continue
        record = orjson.loads(raw)
        keys[n] = source_record_key(system, str(record["source_record_id"]))
    arrivals = resolve_arrivals(store, list(keys.values()), actor=f"ingest:{system}")
    return {
        n: {
            "customer": a.customer,
            "resolution": a.rule,
            "merged": a.merged,
            **({"review": a.review} if a.review else {}),
        }
        for n, a in zip(keys, arrivals, strict=True)
    }


@dataclass(frozen=True, slots=True)
class PushAnswer:
    kind: str
    source: str
    received: int
    accepted: int
    rejected: int
    results: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "received": self.received,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "results": self.results,
        }


def push(
    store: GraphStore, kind: str, system: str, body: bytes, settings: IngestSettings
) -> PushAnswer:
    """Validate, upsert and (customers) resolve an NDJSON batch; each line's status.

    The one path behind ``POST /ingest/{kind}`` and the GraphQL mutations.
    """
    summary, rejects = _load(store, kind, system, body, settings)
    rejected = {line: reasons for line, _, reasons in rejects.entries}
    arrivals = _resolve(store, system, body, rejected) if kind == "customers" else {}
    lines = [n for n, raw in enumerate(body.splitlines(), start=1) if raw.strip()]
    results = [
        {"line": n, "status": "rejected", "reasons": rejected[n]}
        if n in rejected
        else {"line": n, "status": "accepted", **arrivals.get(n, {})}
        for n in lines
    ]
    return PushAnswer(kind, system, summary.read, summary.loaded, summary.rejected, results)


async def ingest(request: Request) -> JSONResponse:
    settings: IngestSettings = request.app.state.ingest
    try:
        kind, system, body = await _read_request(request, settings)
    except IngestRefusedError as refused:
        return JSONResponse({"error": refused.message}, status_code=refused.status)
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
