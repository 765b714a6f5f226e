"""A writer killed with SIGKILL mid-stream loses nothing it had acknowledged.

The store alone, at a random moment; every command, at chosen commits, is
tests/test_fault_injection.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from tests.support.paths import REPO
from tests.support.worlds import check_file

pytestmark = pytest.mark.faults

BATCH = 400


@pytest.mark.parametrize("kill_after", [3, 25])
def test_sigkill_keeps_every_acknowledged_batch(tmp_path: Path, kill_after: int) -> None:
    path = tmp_path / "crash.sqlite"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "tests" / "support" / "crash_writer.py"),
            str(path),
            str(BATCH),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    acknowledged: list[int] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while len(acknowledged) < kill_after:
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"writer died early: {proc.stderr.read() if proc.stderr else ''}")
        acknowledged.append(int(line.split()[1]))
        assert time.monotonic() < deadline, "writer too slow"
    # Kill while the writer is busy with its next batches, not between them.
    time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    rest = proc.stdout.read()
    acknowledged += [
        int(line.split()[1]) for line in rest.splitlines() if line.startswith("committed")
    ]
    proc.stdout.close()
    if proc.stderr:
        proc.stderr.close()

    assert check_file(path) == []  # integrity_check, and the stored counts match the rows

    store = EmbeddedStore(path)  # reopens cleanly: the dead writer's lock is gone
    try:
        for batch in acknowledged:
            keys = [f"b{batch}-{i}" for i in range(BATCH)]
            found = store.get_nodes("Customer", keys)
            assert len(found) == BATCH, f"acknowledged batch {batch} lost nodes"
            assert found[keys[-1]].props["lifetime_value"] == float(BATCH - 1)
            assert store.degree("Customer", keys[0], "MEMBER_OF") == 1
        counts = store.counts()
        # Batches are atomic: the one in flight at the kill is whole or absent.
        assert counts.nodes["Customer"] % BATCH == 0
        assert counts.nodes["Customer"] >= len(acknowledged) * BATCH
        assert counts.relationships["MEMBER_OF"] <= counts.nodes["Customer"]
        assert (
            store.degree("Household", "h", "MEMBER_OF", "in") == counts.relationships["MEMBER_OF"]
        )
        store.upsert_nodes("Customer", [{"id": "after-crash"}])
    finally:
        store.close()
