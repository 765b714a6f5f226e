"""The README's commands, run as a user runs them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.paths import REPO
from tests.support.serve import ckb_serve, free_port, wait_ready


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_loads_serves_and_its_printed_queries_work(tmp_path: Path) -> None:
    store = tmp_path / "demo.sqlite"
    port = free_port()
    demo = subprocess.Popen(
        ["make", "demo", "DEMO_CUSTOMERS=300", f"DEMO_SAMPLE={tmp_path / 'sample'}",
         f"DEMO_PORT={port}"],
        cwd=REPO,
        env={**os.environ, "CKB_GRAPH": f"embedded:{store}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # make and the server it starts: one group to stop
    )  # fmt: skip
    try:
        printed = demo.stdout.read if demo.stdout else str
        ready = wait_ready(f"http://127.0.0.1:{port}", demo, printed, timeout=600, pause=0.5)
        ready.raise_for_status()
        auth = {"authorization": "Bearer ckb-demo-key"}
        url = f"http://127.0.0.1:{port}/graphql"
        # The two queries make demo prints.
        search = '{ searchCustomers(text: "wang wei", first: 3) { customerId name matchedOn } }'
        at_risk = '{ atRisk(tier: "gold", first: 5) { customerId name churnScore signals } }'
        for query in (search, at_risk):
            answer = httpx.post(url, json={"query": query}, headers=auth, timeout=30).json()
            assert "errors" not in answer, answer
        found = httpx.post(url, json={"query": search}, headers=auth, timeout=30).json()
        assert found["data"]["searchCustomers"], "the demo sample has Wangs"
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    assert "schema applied to embedded store" in output
    assert f"store: embedded store {store}" in output
    assert "nodes: " in output
    assert "total: 21 file(s)" in output
    assert "searchCustomers(text:" in output  # the printed example
    assert store.exists()


def test_ckb_serve_answers_health_checks(tmp_path: Path) -> None:
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    with ckb_serve(graph, free_port(), tmp_path / "serve.log", {}) as url:
        ready = httpx.get(f"{url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
