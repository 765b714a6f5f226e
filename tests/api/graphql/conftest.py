"""The GraphQL test graph (tests/support/graphql_server.py) behind a live server, one per
test module; a module that needs another graph (test_graphql_batching.py) defines its own
``server``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.graphql_server import ServedGraph, served


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedGraph]:
    """The test graph served for this module: tests that write see each other's writes."""
    with served(tmp_path_factory.mktemp("graphql")) as live:
        yield live
