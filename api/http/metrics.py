"""Prometheus metrics: one registry per app, HTTP request counts and latencies per route
template, served at ``GET /metrics`` in the text exposition format.

The route label is the template (``/ingest/{kind}``), never the raw path, so the number of
series stays bounded whatever clients ask for.
"""

from __future__ import annotations

import threading

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.response_timing import run_observed

UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds. Finer than the client default at the low end: most answers take milliseconds.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STORE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5)
MAX_OPERATION_NAMES = 500


class BoundedLabels:
    """Label values chosen by clients, capped: past the limit every new value is folded."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, value: str, overflow: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if len(self._seen) >= self.limit:
                return overflow
            self._seen.add(value)
        return value


class Metrics:
    """The app's metrics, in a registry of their own (apps in one process never collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "ckb_http_requests_total",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "ckb_http_request_duration_seconds",
            "HTTP request duration, first byte in to last byte out.",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.graphql_operations = Counter(
            "ckb_graphql_operations_total",
            "GraphQL operations by name and outcome (ok or error).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.graphql_seconds = Histogram(
            "ckb_graphql_operation_duration_seconds",
            "GraphQL operation duration: parse, validate and execute.",
            ["operation"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.store_seconds = Histogram(
            "ckb_store_call_duration_seconds",
            "Graph store call duration by store method.",
            ["method"],
            buckets=STORE_BUCKETS,
            registry=self.registry,
        )

        self.operation_names = BoundedLabels(MAX_OPERATION_NAMES)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def method_label(scope: Scope) -> str:
    """The HTTP method, or "other" for methods no client of ckb uses (bounded labels)."""
    method: str = scope["method"]
    return method if method in METHODS else "other"


def route_template(scope: Scope) -> str:
    """The matched route's path template; set by starlette's router once it has matched."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


class MetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def count(status: int, seconds: float) -> None:
            method, route = method_label(scope), route_template(scope)
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_seconds.labels(method, route).observe(seconds)

        await run_observed(self.app, scope, receive, send, count)


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
