"""Processes released at the same instant on one embedded store file, for real: two
writing the same keys lose no update; several creating a new store all succeed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from graph.embedded import EmbeddedStore
from tests.support.paths import REPO
from tests.support.store_file import row_counts

# Each process: open the store, say ready, wait for the start time, then write.
_WRITER = """
import sys, time
from graph.embedded import EmbeddedStore

path, prop, tag = sys.argv[1:4]
store = EmbeddedStore(path, busy_timeout=30)
print("ready", flush=True)
start = float(sys.stdin.readline())
while time.time() < start:
    pass
for batch in range(50):
    store.upsert_nodes(
        "Customer", [{"id": f"K{i:03d}", prop: f"{tag}{batch}"} for i in range(100)]
    )
store.close()
print("done", flush=True)
"""


def _started_together(script: str, argvs: list[list[str]]) -> list[subprocess.Popen[str]]:
    """One process per argv running ``script``, released together once all are ready: a
    start time on stdin they spin until, closer together than waking each one would be."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for argv in argvs
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line != "ready\n":
            proc.kill()
            raise AssertionError(f"not ready: {line!r} {proc.communicate()[1]}")
    start = f"{time.time() + 0.2}\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(start)
        proc.stdin.flush()
    return procs


def test_two_processes_writing_the_same_keys_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    EmbeddedStore(path).close()
    procs = _started_together(_WRITER, [[str(path), "email", "a"], [str(path), "city", "b"]])
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out == "done\n"
    with EmbeddedStore(path) as store:
        keys = [f"K{i:03d}" for i in range(100)]
        nodes = store.get_nodes("Customer", keys)
        assert sorted(nodes) == keys
        for key, node in nodes.items():
            assert node.props == {"id": key, "email": "a49", "city": "b49"}, node
        assert store.counts().nodes["Customer"] == 100
    assert row_counts(path)[0] == {"Customer": 100}


_OPENER = """
import sys, time
from graph.embedded import EmbeddedStore

print("ready", flush=True)
start = float(sys.stdin.readline())
while time.time() < start:
    pass
EmbeddedStore(sys.argv[1], busy_timeout=30).close()
"""


def test_processes_opening_a_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    for trial in range(15):
        path = tmp_path / f"new{trial}.sqlite"
        procs = _started_together(_OPENER, [[str(path)]] * 3)
        for proc in procs:
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, f"trial {trial}: {err.strip().splitlines()[-1:]}"
