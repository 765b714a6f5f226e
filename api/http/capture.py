"""EPCIS capture over HTTP, in the EPCIS 2.0 REST binding's style.

``POST /epcis/capture`` takes an EPCIS document (or JSON Lines of events), authenticated
by the ingest bearer tokens, and answers ``202 Accepted`` with a capture ID, a
``Location`` to read the result again, and each event's result — every captured event is
committed before the answer. If no event could be captured the answer is ``400`` with the
reasons. ``GET /epcis/capture/{id}`` returns a recent capture's result (kept in memory,
the last 1,000).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from api.http.ingest import IngestRefusedError, IngestSettings, check_token, refusal
from epcis.capture import capture
from epcis.documents import parse_document_bytes
from graph.errors import StoreError
from graph.store import GraphStore
from loaders.rejects import RejectsFile

KEEP_RESULTS = 1000


def capture_body(
    store: GraphStore, body: bytes, lines: bool, settings: IngestSettings
) -> dict[str, Any]:
    """Capture EPCIS documents (or JSON Lines of events); the per-event answer."""
    rejects = RejectsFile(
        settings.rejects_dir / "epcis.capture.rejects.jsonl", "capture", "epcis", append=True
    )
    try:
        summary = capture(
            store,
            parse_document_bytes(body, lines),
            rejects,
        )
    finally:
        rejects.close()
    return {
        "documents": summary.documents,
        "events": summary.events,
        "captured": summary.captured,
        "rejected": summary.rejected,
        "refusedDocuments": summary.refused_documents,
        "results": summary.results,
    }


def _refused(request: Request) -> JSONResponse | None:
    try:
        check_token(request)
    except IngestRefusedError as refused:
        return refusal(refused)
    return None


async def capture_events(request: Request) -> JSONResponse:
    if refused := _refused(request):
        return refused
    settings: IngestSettings = request.app.state.ingest
    body = await request.body()
    if len(body) > settings.max_bytes:
        return JSONResponse(
            {"error": f"a capture may hold at most {settings.max_bytes} bytes"}, status_code=413
        )
    if not body.strip():
        return JSONResponse({"error": "the body is empty: send an EPCIS document"}, status_code=400)
    lines = "ndjson" in request.headers.get("content-type", "")
    store: GraphStore = request.app.state.store
    try:
        result = await run_in_threadpool(capture_body, store, body, lines, settings)
    except StoreError as exc:
        return JSONResponse(
            {"error": f"the store could not take the capture: {exc}"}, status_code=503
        )
    capture_id = uuid.uuid4().hex
    result = {"captureID": capture_id, **result}
    kept: OrderedDict[str, dict[str, Any]] = request.app.state.captures
    kept[capture_id] = result
    while len(kept) > KEEP_RESULTS:
        kept.popitem(last=False)
    status = (
        202 if result["captured"] or not (result["rejected"] or result["refusedDocuments"]) else 400
    )
    return JSONResponse(
        result, status_code=status, headers={"Location": f"/epcis/capture/{capture_id}"}
    )


async def capture_result(request: Request) -> JSONResponse:
    if refused := _refused(request):
        return refused
    found = request.app.state.captures.get(request.path_params["capture_id"])
    if found is None:
        return JSONResponse(
            {"error": "no such capture (results are kept for the last 1,000)"}, status_code=404
        )
    return JSONResponse(found)
