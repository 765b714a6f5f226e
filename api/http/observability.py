"""The HTTP middleware stack for operations, outermost first: request IDs, the access log,
metrics, then CORS when ``CKB_CORS_ORIGINS`` names origins (comma-separated; unset or
empty = no CORS headers at all)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from api.http.access_log import AccessLogMiddleware
from api.http.metrics import Metrics, MetricsMiddleware
from api.http.request_id import RequestIdMiddleware

CORS_ENV = "CKB_CORS_ORIGINS"


def cors_origins(environ: Mapping[str, str] = os.environ) -> list[str]:
    return [o.strip() for o in environ.get(CORS_ENV, "").split(",") if o.strip()]


def cors_middleware(origins: list[str]) -> list[Middleware]:
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "authorization", "x-request-id", "x-api-key"],
            expose_headers=["X-Request-ID"],
        )
    ]


def observability_middleware(
    metrics: Metrics, environ: Mapping[str, str] = os.environ
) -> list[Middleware]:
    return [
        Middleware(RequestIdMiddleware),
        Middleware(AccessLogMiddleware),
        Middleware(MetricsMiddleware, metrics=metrics),
        *cors_middleware(cors_origins(environ)),
    ]
