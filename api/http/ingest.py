"""Push ingest for integration loaders: ``POST /ingest/{kind}`` with an NDJSON body.

The HTTP edge: the caller's token, the request read and checked (kind, source system,
size), refusals as JSON answers. The batch itself goes through the push use case
(loaders/push.py): the answer lists each record's status, and a 200 answer means every
accepted record is committed, even when identity resolution on arrival failed after the
commit (its records are then ``pending`` and the answer carries a warning).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
from graph import clock
from graph.errors import StoreError
from graph.store import GraphStore
from loaders.kinds import KINDS
from loaders.push import PushAnswer, push
from loaders.system_names import SystemNameError, check_system_name

DEFAULT_MAX_BYTES = 10 * 2**20


@dataclass(frozen=True, slots=True)
class IngestSettings:
    max_bytes: int = DEFAULT_MAX_BYTES
    rejects_dir: Path = Path("data/rejects")

    @classmethod
    def from_env(cls) -> IngestSettings:
        max_bytes = int(os.environ.get("CKB_INGEST_MAX_BYTES", str(DEFAULT_MAX_BYTES)))
        return cls(max_bytes, Path(os.environ.get("CKB_REJECTS_DIR", "data/rejects")))


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


async def ingest(request: Request) -> JSONResponse:
    settings: IngestSettings = request.app.state.ingest
    try:
        kind, system, body = await _read_request(request, settings)
    except IngestRefusedError as refused:
        return refusal(refused)
    store: GraphStore = request.app.state.store
    try:
        answer = await run_in_threadpool(
            push, store, kind, system, body, settings, current_request_id()
        )
    except StoreError as exc:
        return JSONResponse(
            {"error": f"the store could not take the batch: {exc}"}, status_code=503
        )
    _announce(request.app.state.hub, answer)
    return JSONResponse(answer.as_json())


def _announce(hub: EventHub, answer: PushAnswer) -> None:
    """Subscribers following a customer hear that a pushed record landed on them."""
    at = clock.now().isoformat(timespec="seconds")
    for result in answer.results:
        if result.get("customer"):
            hub.publish(CustomerChange(str(result["customer"]), "record", at, answer.source))
