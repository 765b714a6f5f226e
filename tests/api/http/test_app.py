"""Health endpoints over real HTTP against uvicorn."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.http.app import create_app
from graph.embedded import EmbeddedStore
from graph.errors import StoreUnavailableError
from tests.support.serve import LiveServer


def test_health_and_readiness(tmp_path: Path) -> None:
    app = create_app(lambda: EmbeddedStore(tmp_path / "kb.sqlite"))
    with LiveServer(app) as server:
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert "kb.sqlite" in ready.json()["store"]


class _DownStore(EmbeddedStore):
    def ping(self) -> None:
        raise StoreUnavailableError("Neo4j went away")


def test_readiness_reports_an_unavailable_store(tmp_path: Path) -> None:
    app = create_app(lambda: _DownStore(tmp_path / "kb.sqlite"))
    with LiveServer(app) as server:
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "reason": "Neo4j went away"}
