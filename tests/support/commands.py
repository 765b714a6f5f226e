"""The installed ``ckb`` console script, run in a subprocess as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CKB = Path(sys.executable).parent / "ckb"


def run_ckb(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``ckb *args`` (``env`` added to this environment, in ``cwd``, reading ``input``);
    what it printed and its exit code."""
    return subprocess.run(
        [str(CKB), *args],
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def demo_store(root: Path, customers: int, seed: int) -> Path:
    """A sample of ``customers`` (``seed``) made, loaded, resolved and segmented by the CLI,
    as ``make demo`` does, working in ``root``: the store file (``root``/ckb.sqlite)."""
    store = root / "ckb.sqlite"
    env = {"CKB_GRAPH": f"embedded:{store}"}
    for args in (
        (
            "sample",
            "--customers",
            str(customers),
            "--seed",
            str(seed),
            "--out",
            str(root / "sample"),
        ),
        ("load-dir", str(root / "sample")),
        ("resolve",),
        ("segment",),
    ):
        done = run_ckb(*args, env=env, cwd=root)
        assert done.returncode == 0, done.stderr
    return store
