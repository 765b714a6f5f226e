"""Operations over real HTTP: request IDs, the JSON access log, Prometheus metrics (HTTP,
GraphQL operations, store calls) and CORS."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from api.graphql.field_metrics import GraphQLMetrics
from api.http.access_log import LOGGER, configure_access_log
from api.http.app import create_app
from api.http.instrumented_store import InstrumentedStore
from api.http.metrics import BoundedLabels, Metrics
from api.http.request_id import RequestIdMiddleware, choose_request_id, current_request_id
from graph.embedded import EmbeddedStore
from graph.errors import SchemaError
from graph.store import GraphStore
from queries.engine import run_query
from tests.support.serve import LiveServer

TOKEN = "obs-token"
AGENT_KEY = "obs-agent-key"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CUSTOMER_QUERY = "query CustomerName($id: ID!) { customer(id: $id) { id name } }"
ORIGIN = "https://agent.example.com"


def _app(tmp: Path) -> Starlette:
    return create_app(lambda: EmbeddedStore(tmp / "kb.sqlite"))


@contextmanager
def _serving(tmp: Path) -> Iterator[LiveServer]:
    """The app configured as in production, from the environment: a push ingest token and
    an agent API key (for servers that require one on GraphQL)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CKB_INGEST_TOKENS", TOKEN)
        env.setenv("CKB_API_KEYS", f"obs:agent:{AGENT_KEY}")
        env.setenv("CKB_REJECTS_DIR", str(tmp / "rejects"))
        with LiveServer(_app(tmp)) as live:
            yield live


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("observability")
    store = EmbeddedStore(tmp / "kb.sqlite")
    store.apply_schema()
    store.upsert_nodes("Customer", [{"id": "CUST-1", "name": "Ann Lee"}])
    store.close()
    with _serving(tmp) as live:
        yield live


def _metric(server: LiveServer, name: str, **labels: str) -> float:
    """One sample's value from /metrics; 0 when the series does not exist yet."""
    r = httpx.get(f"{server.url}/metrics")
    assert r.status_code == 200
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def _store_calls(server: LiveServer) -> float:
    """Store calls timed so far, whatever the methods."""
    text = httpx.get(f"{server.url}/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "ckb_store_call_duration_seconds_count"
    )


def _graphql(server: LiveServer, **body: Any) -> httpx.Response:
    auth = {"Authorization": f"Bearer {AGENT_KEY}"}
    return httpx.post(f"{server.url}/graphql", json=body, headers=auth)


# ------------------------------------------------------------------ request IDs


def test_a_request_id_is_made_and_echoed(server: LiveServer) -> None:
    first = httpx.get(f"{server.url}/healthz").headers["x-request-id"]
    second = httpx.get(f"{server.url}/healthz").headers["x-request-id"]
    assert re.fullmatch("[0-9a-f]{32}", first)  # uuid4 hex
    assert first != second


def test_a_sane_incoming_request_id_is_kept(server: LiveServer) -> None:
    sent = "trace_01.ab-" + "x" * 116  # 128 characters
    r = httpx.get(f"{server.url}/readyz", headers={"X-Request-ID": sent})
    assert r.headers["x-request-id"] == sent


@pytest.mark.parametrize("bad", ["has space", "semi;colon", "é", "x" * 129, ""])
def test_an_insane_request_id_is_replaced(server: LiveServer, bad: str) -> None:
    r = httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": bad.encode()})
    echoed = r.headers["x-request-id"]
    assert echoed != bad
    assert len(echoed) == 32


def test_request_id_choice() -> None:
    assert choose_request_id("abc.DEF_1-2") == "abc.DEF_1-2"
    assert choose_request_id(None) != choose_request_id(None)
    assert len(choose_request_id("a/b")) == 32


def test_errors_answered_by_the_app_carry_the_request_id(server: LiveServer) -> None:
    r = httpx.get(f"{server.url}/no/such/page", headers={"X-Request-ID": "lost-1"})
    assert r.status_code == 404
    assert r.headers["x-request-id"] == "lost-1"


class _BrokenStore(EmbeddedStore):
    def ping(self) -> None:
        raise RuntimeError("a bug, not a store outage")


def test_an_unhandled_error_is_a_500_with_the_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(lambda: _BrokenStore(tmp_path / "kb.sqlite"))
    with LiveServer(app) as live, caplog.at_level(logging.CRITICAL, logger="uvicorn.error"):
        r = httpx.get(f"{live.url}/readyz", headers={"X-Request-ID": "boom-1"})
        assert r.status_code == 500
        assert r.headers["x-request-id"] == "boom-1"
        assert "a bug" not in r.text
        assert (
            _metric(live, "ckb_http_requests_total", method="GET", route="/readyz", status="500")
            == 1
        )


async def _whoami(request: Request) -> JSONResponse:
    return JSONResponse({"state": request.state.request_id, "context": current_request_id()})


async def _ws_whoami(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"context": current_request_id()})
    await websocket.close()


def test_handlers_read_the_request_id_from_state_and_context() -> None:
    from starlette.middleware import Middleware
    from websockets.sync.client import connect

    app = Starlette(
        routes=[Route("/whoami", _whoami), WebSocketRoute("/ws", _ws_whoami)],
        middleware=[Middleware(RequestIdMiddleware)],
    )
    with LiveServer(app) as live:
        r = httpx.get(f"{live.url}/whoami", headers={"X-Request-ID": "mine"})
        assert r.json() == {"state": "mine", "context": "mine"}
        with connect(
            f"ws://127.0.0.1:{live.port}/ws", additional_headers={"X-Request-ID": "ws-1"}
        ) as ws:
            assert json.loads(ws.recv()) == {"context": "ws-1"}


# ------------------------------------------------------------------ metrics


def test_metrics_are_prometheus_text(server: LiveServer) -> None:
    r = httpx.get(f"{server.url}/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE ckb_http_requests_total counter" in r.text
    assert "# TYPE ckb_http_request_duration_seconds histogram" in r.text


def test_a_graphql_query_moves_the_counters(server: LiveServer) -> None:
    http = {"method": "POST", "route": "/graphql", "status": "200"}
    ok = {"operation": "CustomerName", "outcome": "ok"}
    http_before = _metric(server, "ckb_http_requests_total", **http)
    ops_before = _metric(server, "ckb_graphql_operations_total", **ok)
    seconds_before = _metric(
        server, "ckb_graphql_operation_duration_seconds_count", operation="CustomerName"
    )
    store_calls_before = _store_calls(server)
    timed = {"method": "POST", "route": "/graphql"}
    timed_before = _metric(server, "ckb_http_request_duration_seconds_count", **timed)

    r = _graphql(server, query=CUSTOMER_QUERY, variables={"id": "CUST-1"})
    assert r.json() == {"data": {"customer": {"id": "CUST-1", "name": "Ann Lee"}}}

    assert _metric(server, "ckb_http_requests_total", **http) == http_before + 1
    assert _metric(server, "ckb_graphql_operations_total", **ok) == ops_before + 1
    assert (
        _metric(server, "ckb_graphql_operation_duration_seconds_count", operation="CustomerName")
        == seconds_before + 1
    )
    assert _store_calls(server) > store_calls_before  # the customer came from the store
    assert _metric(server, "ckb_http_request_duration_seconds_count", **timed) == timed_before + 1


def test_graphql_errors_and_anonymous_operations_are_labelled(server: LiveServer) -> None:
    anonymous = {"operation": "anonymous", "outcome": "ok"}
    error = {"operation": "Broken", "outcome": "error"}
    other = {"operation": "other", "outcome": "error"}
    before = [
        _metric(server, "ckb_graphql_operations_total", **labels)
        for labels in (anonymous, error, other)
    ]
    _graphql(server, query='{ customer(id: "CUST-1") { name } }')
    _graphql(server, query="query Broken { customer { nope } }")
    _graphql(server, query="query A { healthz }", operationName="not a name")
    after = [
        _metric(server, "ckb_graphql_operations_total", **labels)
        for labels in (anonymous, error, other)
    ]
    assert after == [b + 1 for b in before]


def test_an_ingest_call_moves_the_counters_and_times_the_store(server: LiveServer) -> None:
    labels = {"method": "POST", "route": "/ingest/{kind}", "status": "200"}
    before = _metric(server, "ckb_http_requests_total", **labels)
    upserts = _metric(server, "ckb_store_call_duration_seconds_count", method="upsert_nodes")
    record = {"source_record_id": "obs-1", "name": "Olga Berg"}
    r = httpx.post(
        f"{server.url}/ingest/customers?source=web", content=json.dumps(record), headers=AUTH
    )
    assert r.status_code == 200
    assert r.json()["accepted"] == 1
    assert _metric(server, "ckb_http_requests_total", **labels) == before + 1
    assert _metric(server, "ckb_store_call_duration_seconds_count", method="upsert_nodes") > upserts
    # The raw path never becomes a label: one series per route template.
    text = httpx.get(f"{server.url}/metrics").text
    assert "/ingest/customers" not in text


def test_unmatched_paths_share_one_label(server: LiveServer) -> None:
    labels = {"method": "GET", "route": "<unmatched>", "status": "404"}
    before = _metric(server, "ckb_http_requests_total", **labels)
    for path in ("/a", "/b/c"):
        httpx.get(f"{server.url}{path}")
    assert _metric(server, "ckb_http_requests_total", **labels) == before + 2


def test_apps_have_registries_of_their_own(tmp_path: Path) -> None:
    one, two = _app(tmp_path), _app(tmp_path)
    assert one.state.metrics.registry is not two.state.metrics.registry


def test_operation_labels_are_bounded() -> None:
    labels = BoundedLabels(2)
    assert [labels.label(v, "other") for v in ("A", "B", "A", "C")] == ["A", "B", "A", "other"]


def test_the_extension_finds_the_request_in_a_context_object() -> None:
    metrics = Metrics()
    scope: dict[str, Any] = {"type": "http", "state": {}}
    app = SimpleNamespace(state=SimpleNamespace(metrics=metrics))
    context = SimpleNamespace(connection=SimpleNamespace(app=app, scope=scope))
    extension = GraphQLMetrics()
    extension.execution_context = SimpleNamespace(  # type: ignore[assignment]
        context=context, operation_name="Q", pre_execution_errors=None, result=None
    )
    for _ in extension.on_operation():
        pass
    labels = {"operation": "Q", "outcome": "ok"}
    assert metrics.registry.get_sample_value("ckb_graphql_operations_total", labels) == 1
    assert scope["state"]["graphql_operation"] == "Q"


def test_the_extension_records_nothing_outside_an_app() -> None:
    from starlette.requests import Request

    request = Request({"type": "http", "state": {}, "headers": []})
    extension = GraphQLMetrics()
    extension.execution_context = SimpleNamespace(  # type: ignore[assignment]
        context=SimpleNamespace(connection=request), operation_name="Q",
        pre_execution_errors=None, result=None,
    )  # fmt: skip
    for _ in extension.on_operation():  # must not raise (request.app would: no app in scope)
        pass


# ------------------------------------------------------------------ instrumented store


def test_the_instrumented_store_behaves_as_the_store(tmp_path: Path) -> None:
    metrics = Metrics()
    raw = EmbeddedStore(tmp_path / "kb.sqlite")
    raw.apply_schema()
    store = InstrumentedStore(raw, metrics.store_seconds)
    assert isinstance(store, GraphStore)
    assert store.description == raw.description
    store.upsert_nodes("Customer", [{"id": "C1", "name": "Ann"}])
    assert store.get_node("Customer", "C1") == raw.get_node("Customer", "C1")
    with pytest.raises(SchemaError, match="unknown node label"):
        store.get_node("Nope", "x")

    def count(method: str) -> float | None:
        return metrics.registry.get_sample_value(
            "ckb_store_call_duration_seconds_count", {"method": method}
        )

    assert count("upsert_nodes") == 1
    assert count("get_node") == 2  # the failed call is timed too
    assert count("description") is None  # a property, not a call
    assert run_query(store, "customer_value", customerId="C1") == run_query(
        raw, "customer_value", customerId="C1"
    )
    raw.close()


class _CypherStore(EmbeddedStore):
    """Stands in for Neo4j: answers named queries with Cypher."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.asked: list[str] = []

    def read_query(self, name: str, text: str, params: dict[str, Any]) -> list[Any]:
        self.asked.append(name)
        return []


def test_named_queries_reach_cypher_through_the_proxy(tmp_path: Path) -> None:
    metrics = Metrics()
    raw = _CypherStore(tmp_path / "kb.sqlite")
    store = InstrumentedStore(raw, metrics.store_seconds)
    assert run_query(store, "customer_sources", customerId="C1") == []
    assert raw.asked == ["customer_sources"]
    timed = metrics.registry.get_sample_value(
        "ckb_store_call_duration_seconds_count", {"method": "read_query"}
    )
    assert timed == 1
    raw.close()


# ------------------------------------------------------------------ access log


def test_one_json_access_line_per_request(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        r = httpx.post(
            f"{server.url}/graphql",
            json={"query": CUSTOMER_QUERY, "variables": {"id": "CUST-1"}},
            headers={"X-Request-ID": "log-1", "Authorization": f"Bearer {AGENT_KEY}"},
        )
        assert r.status_code == 200
        assert r.json()["data"]["customer"]["name"] == "Ann Lee"
        deadline = time.monotonic() + 5
        while not any('"log-1"' in rec.getMessage() for rec in caplog.records):
            assert time.monotonic() < deadline, "no access line"
            time.sleep(0.01)
    [line] = [
        json.loads(rec.getMessage()) for rec in caplog.records if '"log-1"' in rec.getMessage()
    ]
    assert line["request_id"] == "log-1"
    assert line["status"] == 200
    assert (line["method"], line["path"], line["operation"]) == ("POST", "/graphql", "CustomerName")
    assert isinstance(line["duration_ms"], float)
    assert "time" in line
    assert "Ann Lee" not in json.dumps(line)  # no bodies, no personal data
    assert "CUST-1" not in json.dumps(line)
    assert AGENT_KEY not in json.dumps(line)


def test_configure_access_log_writes_json_lines_once() -> None:
    logger = logging.getLogger(LOGGER)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    stream = io.StringIO()
    try:
        configure_access_log(stream)
        configure_access_log(stream)
        logger.info('{"request_id": "x"}')
        assert stream.getvalue() == '{"request_id": "x"}\n'
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


# ------------------------------------------------------------------ CORS


def _preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(
        f"{url}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-request-id",
        },
    )


def test_cors_preflight_only_for_allowed_origins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CKB_CORS_ORIGINS", f"{ORIGIN}, https://other-allowed.example")
    with LiveServer(_app(tmp_path)) as live:
        allowed = _preflight(live.url, ORIGIN)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in allowed.headers["access-control-allow-methods"]
        assert "x-request-id" in allowed.headers["access-control-allow-headers"].lower()
        refused = _preflight(live.url, "https://evil.example")
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        simple = httpx.get(f"{live.url}/healthz", headers={"Origin": ORIGIN})
        assert simple.headers["access-control-allow-origin"] == ORIGIN
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


def test_cors_is_off_when_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CKB_CORS_ORIGINS", raising=False)
    with LiveServer(_app(tmp_path)) as live:
        r = _preflight(live.url, ORIGIN)
        assert r.status_code == 405
        assert "access-control-allow-origin" not in r.headers
