"""Servers the HTTP fault tests share: an ingest-only app on an empty store, and the
GraphQL test graph (tests/support/graphql_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.auth import AuthSettings
from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from tests.support.graphql_server import ServedGraph, served
from tests.support.push_client import INGEST_TOKEN, MAX_BYTES
from tests.support.serve import LiveServer


@pytest.fixture
def ingest_server(tmp_path: Path) -> Iterator[LiveServer]:
    """An app taking pushes with ``INGEST_TOKEN``, bodies up to ``MAX_BYTES``, on an empty
    store in ``tmp_path`` (its ``tmp``)."""
    settings = IngestSettings(max_bytes=MAX_BYTES, rejects_dir=tmp_path / "rejects")
    auth = AuthSettings.from_env({"CKB_INGEST_TOKENS": INGEST_TOKEN})
    with LiveServer(
        create_app(lambda: EmbeddedStore(tmp_path / "kb.sqlite"), settings, auth)
    ) as live:
        live.tmp = tmp_path  # type: ignore[attr-defined]
        yield live


@pytest.fixture(scope="module")
def graph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedGraph]:
    """The GraphQL test graph behind a server of this module's own."""
    with served(tmp_path_factory.mktemp("faults")) as live:
        yield live
