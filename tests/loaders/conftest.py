"""Fixtures of the loader tests: an empty embedded store, and each way a load runs (in
this process, or with a parallel reader)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[EmbeddedStore]:
    """An empty embedded store in ``tmp_path``."""
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        yield store


@pytest.fixture(params=["0", "1"], ids=["one-process", "parallel"])
def parallel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way a load runs: ``CKB_LOAD_PARALLEL`` off and on, one reader."""
    monkeypatch.setenv("CKB_LOAD_PARALLEL", request.param)
    monkeypatch.setenv("CKB_LOAD_READERS", "1")
    return str(request.param)
