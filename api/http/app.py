"""The starlette application. The store is opened by the lifespan and closed with it.

Request bodies are bounded before they are read (``BodyLimitMiddleware``): ``/graphql``
by ``CKB_GRAPHQL_MAX_BYTES`` (default 1 MiB), ``/ingest/{kind}`` and ``/epcis/capture``
by ``CKB_INGEST_MAX_BYTES`` (default 10 MiB). A declared Content-Length over the limit is
answered 413 at once; a streamed body without one (chunked) is answered 413 as soon as
the bytes received pass the limit, and the rest is never read.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import AuthSettings
from api.events import EventHub
from api.graphql.app import graphql_app
from api.http.agent_page import AgentPage
from api.http.capture import capture_events, capture_result
from api.http.ingest import DEFAULT_MAX_BYTES, IngestSettings, ingest
from api.http.instrumented_store import InstrumentedStore
from api.http.metrics import Metrics, metrics_endpoint
from api.http.observability import observability_middleware
from graph.config import open_store
from graph.errors import CkbError, StoreError
from graph.memory import freeze_long_lived
from graph.store import GraphStore
from loaders.rejects import RejectsWriteError

StoreFactory = Callable[[], GraphStore]
GRAPHQL_MAX_BYTES_ENV = "CKB_GRAPHQL_MAX_BYTES"
DEFAULT_GRAPHQL_MAX_BYTES = 2**20


def graphql_max_bytes(environ: Mapping[str, str] = os.environ) -> int:
    raw = environ.get(GRAPHQL_MAX_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_GRAPHQL_MAX_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise CkbError(f"{GRAPHQL_MAX_BYTES_ENV}={raw!r}: give a number of bytes, e.g. 1048576")
    return int(raw)


class _BodyTooLargeError(Exception):
    """Raised from ``receive`` once a streamed body passes its limit."""


class BodyLimitMiddleware:
    """Answers 413 for a request body over its route's limit, reading none of it when
    Content-Length says so and no more than the limit of a streamed one."""

    def __init__(self, app: ASGIApp, graphql_limit: int) -> None:
        self.app = app
        self.graphql_limit = graphql_limit

    def _limit(self, scope: Scope) -> tuple[int, str] | None:
        """The limit for this path and what it bounds: graphql, batch or capture."""
        path: str = scope["path"]
        if path == "/graphql":
            return self.graphql_limit, "graphql"
        if path.startswith("/ingest/") or path == "/epcis/capture":
            settings = getattr(scope["app"].state, "ingest", None)
            limit = (
                settings.max_bytes if isinstance(settings, IngestSettings) else DEFAULT_MAX_BYTES
            )
            return limit, "batch" if path.startswith("/ingest/") else "capture"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._limit(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        limit, kind = found
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit, kind)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLargeError
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLargeError:
            if started:
                raise
            await _too_large(limit, kind)(scope, receive, send)


def _too_large(limit: int, kind: str) -> JSONResponse:
    body: dict[str, Any]
    if kind == "graphql":
        message = f"the request body may hold at most {limit} bytes ({GRAPHQL_MAX_BYTES_ENV})"
        body = {"errors": [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}
    else:
        body = {"error": f"a {kind} may hold at most {limit} bytes (CKB_INGEST_MAX_BYTES)"}
    # The rest of the body is not read: the connection cannot carry another request.
    return JSONResponse(body, status_code=413, headers={"connection": "close"})


async def storage_fault(request: Request, exc: Exception) -> JSONResponse:
    """A store fault (a full disk, a read-only store, an unreachable Neo4j) or a rejects
    file that cannot be written, met by a route that did not answer it itself: 503 with
    the one-line reason, never a 500."""
    return JSONResponse({"error": str(exc)}, status_code=503)


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Readiness: the store answers."""
    store: GraphStore = request.app.state.store
    try:
        await run_in_threadpool(store.ping)
    except StoreError as exc:
        return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
    return JSONResponse({"status": "ready", "store": store.description})


def create_app(
    store_factory: StoreFactory = open_store,
    ingest_settings: IngestSettings | None = None,
    auth_settings: AuthSettings | None = None,
    graphql_limit: int | None = None,
) -> Starlette:
    hub = EventHub()
    graphql = graphql_app(hub)
    body_limit = Middleware(
        BodyLimitMiddleware,
        graphql_limit=graphql_max_bytes() if graphql_limit is None else graphql_limit,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        app.state.hub = hub
        store = store_factory()
        app.state.store = InstrumentedStore(store, app.state.metrics.store_seconds)
        app.state.ingest = ingest_settings or IngestSettings.from_env()
        app.state.auth = auth_settings or AuthSettings.from_env()
        app.state.captures = OrderedDict()
        freeze_long_lived()
        try:
            yield
        finally:
            store.close()

    metrics = Metrics()
    agent = AgentPage()  # the agent's screen at / (api/http/agent_page.py)
    app = Starlette(
        routes=[
            Route("/", agent.page, methods=["GET"]),
            Route("/agent/{name:path}", agent.asset, methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/ingest/{kind}", ingest, methods=["POST"]),
            Route("/epcis/capture", capture_events, methods=["POST"]),
            Route("/epcis/capture/{capture_id}", capture_result, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
        middleware=[*observability_middleware(metrics), body_limit],
        exception_handlers={StoreError: storage_fault, RejectsWriteError: storage_fault},
    )
    app.state.metrics = metrics
    return app
