"""Run an ASGI app and report how the response went: its status and how long it took."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def run_observed(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, done: Callable[[int, float], None]
) -> None:
    """``done(status, seconds)`` runs once the app returns or raises; the status is 500
    when the app failed before starting a response."""
    start = time.perf_counter()
    status = 500

    async def send_and_note(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    try:
        await app(scope, receive, send_and_note)
    finally:
        done(status, time.perf_counter() - start)
