"""Structured access log: one JSON object per HTTP request on the ``ckb.access`` logger.

Fields: time, request_id, method, path (never the query string), status, duration_ms and,
for GraphQL, the operation name. No request or response bodies, headers or client
addresses: nothing personal reaches the log. ``ckb serve`` writes these lines to stderr in
place of uvicorn's own access log.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from api.graphql.field_metrics import STATE_KEY as OPERATION_KEY
from api.http.request_id import STATE_KEY as REQUEST_ID_KEY
from api.http.response_timing import run_observed
from graph import clock

LOGGER = "ckb.access"
logger = logging.getLogger(LOGGER)


def configure_access_log(stream: TextIO = sys.stderr) -> None:
    """Send ``ckb.access`` lines, as they are, to ``stream`` (once, however often called)."""
    if any(getattr(h, "ckb_access", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.ckb_access = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return

        def log(status: int, seconds: float) -> None:
            state: dict[str, Any] = scope.get("state", {})
            line: dict[str, Any] = {
                "time": clock.now().isoformat(timespec="milliseconds"),
                "request_id": state.get(REQUEST_ID_KEY),
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            }
            operation = state.get(OPERATION_KEY)
            if operation is not None:
                line["operation"] = operation
            logger.info(orjson.dumps(line).decode())

        await run_observed(self.app, scope, receive, send, log)
