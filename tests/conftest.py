from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from hypothesis import settings
from starlette.applications import Starlette

from graph.embedded import EmbeddedStore
from graph.store import GraphStore
from tests.support.serve import free_port

REPO = Path(__file__).resolve().parent.parent
NEO4J_URI = os.environ.get("CKB_TEST_NEO4J_URI")
NEO4J_SKIP = "Neo4j store not tested: set CKB_TEST_NEO4J_URI (e.g. bolt://localhost:7687)"

# No timing asserts in tests: hypothesis's default 200 ms deadline per example fails a
# property on a busy machine (CI, two cores shared with other suites), not on bad code.
settings.register_profile("ckb", deadline=None)
settings.load_profile("ckb")


def open_neo4j() -> GraphStore:
    from graph.neo4j_store import Neo4jStore

    assert NEO4J_URI
    return Neo4jStore.connect(
        NEO4J_URI,
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD"),
        database=os.environ.get("NEO4J_DATABASE", "neo4j"),
        batch_size=3,  # small batches so the tests cross batch boundaries
    )


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


def run_ckb(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``ckb`` console script as a user would."""
    ckb = Path(sys.executable).parent / "ckb"
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(ckb), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, app: Starlette) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
