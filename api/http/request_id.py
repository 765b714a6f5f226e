"""Request IDs: every HTTP request carries one, every response echoes it.

A sane incoming ``X-Request-ID`` (a caller's trace ID) is kept; anything else is replaced by
a fresh one. Handlers read it from ``request.state.request_id`` or ``current_request_id()``.
A pure ASGI middleware (``BaseHTTPMiddleware`` breaks streaming and websockets).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
STATE_KEY = "request_id"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,128}")

_request_id: ContextVar[str | None] = ContextVar("ckb_request_id", default=None)


def current_request_id() -> str | None:
    """The ID of the request being served in this context, if any."""
    return _request_id.get()


def choose_request_id(incoming: str | None) -> str:
    """Keep the caller's ID when it is sane (<= 128 of [A-Za-z0-9._-]), else make one."""
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            return bytes(value).decode("latin-1")
    return None


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = choose_request_id(_incoming(scope))
        token = _request_id.set(request_id)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(request_id, scope, receive, send)
        finally:
            _request_id.reset(token)

    async def _http(self, request_id: str, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})[STATE_KEY] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Answer the 500 here so it carries the ID too; starlette's error middleware
            # (outside this one) sees the response started and only logs the exception.
            if not started:
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send_with_id({"type": "http.response.body", "body": b"Internal Server Error"})
            raise
