"""Fixtures every test directory shares: each store adapter, empty; and hypothesis's
settings for this suite. Shared helpers that are not fixtures live in tests/support/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from graph.embedded import EmbeddedStore
from graph.store import GraphStore
from tests.support.named_fixture import one_way_world
from tests.support.real_neo4j import NEO4J_SKIP, NEO4J_URI, open_neo4j

# No timing asserts in tests: hypothesis's default 200 ms deadline per example fails a
# property on a busy machine (CI, two cores shared with other suites), not on bad code.
settings.register_profile("ckb", deadline=None)
settings.load_profile("ckb")


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """Each store adapter, empty, with the schema applied."""
    opened: GraphStore
    if request.param == "embedded":
        opened = EmbeddedStore(tmp_path / "store.sqlite")
    else:
        if not NEO4J_URI:
            pytest.skip(NEO4J_SKIP)
        opened = open_neo4j()
        opened.clear()
    opened.apply_schema()
    yield opened
    opened.close()


@pytest.fixture
def one_way_graph(tmp_path: Path) -> Iterator[EmbeddedStore]:
    """An embedded store holding ``one_way_world``: the one-way reads' tests."""
    opened = EmbeddedStore(tmp_path / "store.sqlite")
    opened.apply_schema()
    one_way_world(opened)
    yield opened
    opened.close()
