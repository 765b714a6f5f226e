"""The starlette application. The store is opened by the lifespan and closed with it."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from api.auth import AuthSettings
from api.capture import capture_events, capture_result
from api.events import EventHub
from api.graphql_app import graphql_app
from api.ingest import IngestSettings, ingest
from api.instrumented_store import InstrumentedStore
from api.metrics import Metrics, metrics_endpoint
from api.observability import observability_middleware
from graph.config import open_store
from graph.errors import StoreError
from graph.store import GraphStore

StoreFactory = Callable[[], GraphStore]


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
) -> Starlette:
    hub = EventHub()
    graphql = graphql_app(hub)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        app.state.hub = hub
        store = store_factory()
        app.state.store = InstrumentedStore(store, app.state.metrics.store_seconds)
        app.state.ingest = ingest_settings or IngestSettings.from_env()
        app.state.auth = auth_settings or AuthSettings.from_env()
        app.state.captures = OrderedDict()
        try:
            yield
        finally:
            store.close()

    metrics = Metrics()
    app = Starlette(
        routes=[
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
        middleware=observability_middleware(metrics),
    )
    app.state.metrics = metrics
    return app
