"""The README's commands, run as a user runs them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, free_port


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_creates_the_store_and_prints_stats(tmp_path: Path) -> None:
    store = tmp_path / "demo.sqlite"
    result = subprocess.run(
        ["make", "demo", "DEMO_CUSTOMERS=300", f"DEMO_SAMPLE={tmp_path / 'sample'}"],
        cwd=REPO,
        env={**os.environ, "CKB_GRAPH": f"embedded:{store}"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "schema applied to embedded store" in result.stdout
    assert f"store: embedded store {store}" in result.stdout
    assert "nodes: " in result.stdout
    assert "total: 21 file(s)" in result.stdout
    assert store.exists()


def test_ckb_serve_answers_health_checks(tmp_path: Path) -> None:
    port = free_port()
    ckb = Path(sys.executable).parent / "ckb"
    proc = subprocess.Popen(
        [str(ckb), "--graph", f"embedded:{tmp_path / 'kb.sqlite'}", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "ckb serve did not start"
                time.sleep(0.1)
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        if proc.stdout:
            proc.stdout.close()
