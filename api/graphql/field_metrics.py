"""A strawberry extension that counts and times GraphQL operations by name and outcome.

It finds the app's ``Metrics`` through the request in the GraphQL context (a schema served
outside ``create_app`` records nothing) and leaves the operation name in the request state
for the access log. Names are chosen by clients, so the label is bounded: no name is
"anonymous", a name that is not a plain GraphQL name is "other", and so is every new name
once ``Metrics.operation_names`` is full (a name that is not even a string is "other" too).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from api.http.metrics import Metrics

STATE_KEY = "graphql_operation"
ANONYMOUS = "anonymous"
OTHER = "other"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


def _request(context: object) -> Any:
    """The HTTP request (or websocket) behind a GraphQL context: strawberry's default dict
    (``request``) or a context object (``request`` or ``connection``)."""
    if isinstance(context, dict):
        return context.get("request")
    found = getattr(context, "request", None)
    return found if found is not None else getattr(context, "connection", None)


def _app(request: Any, scope: Any) -> Any:
    """The app serving the request, or None outside one (starlette's ``request.app``
    raises KeyError when the scope has none)."""
    if isinstance(scope, dict) and "app" in scope:
        return scope["app"]
    try:
        return getattr(request, "app", None)
    except KeyError:
        return None


class GraphQLMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        raised = False
        try:
            yield
        except BaseException:  # e.g. an unknown operationName: strawberry answers 400
            raised = True
            raise
        finally:
            self._record(time.perf_counter() - start, raised)

    def _record(self, seconds: float, raised: bool) -> None:
        context = self.execution_context
        request = _request(context.context)
        name = context.operation_name
        # Whatever a client sent: the HTTP layer refuses a name that is not a string, but
        # nothing here may fail on one (it would answer in place of the operation).
        plain = name if isinstance(name, str) and _NAME.fullmatch(name) else None
        scope = getattr(request, "scope", None)
        if plain is not None and isinstance(scope, dict) and scope.get("type") == "http":
            scope.setdefault("state", {})[STATE_KEY] = plain
        metrics = getattr(getattr(_app(request, scope), "state", None), "metrics", None)
        if not isinstance(metrics, Metrics):
            return
        if name is None:
            label = ANONYMOUS
        elif plain is None:
            label = OTHER
        else:
            label = metrics.operation_names.label(plain, overflow=OTHER)
        result = context.result
        failed = (
            raised
            or bool(context.pre_execution_errors)
            or bool(result is not None and result.errors)
        )
        metrics.graphql_operations.labels(label, "error" if failed else "ok").inc()
        metrics.graphql_seconds.labels(label).observe(seconds)
