"""CPU and wall seconds of each phase of ``ckb resolve`` on a copy of a loaded embedded store.

    .venv/bin/python bench/resolve_phases.py /path/to/loaded.sqlite [--keep out.sqlite]

The store file is copied first (resolve writes), resolved with ``resolve_store`` and, at
each phase change — reading, comparing, merging — the CPU time of this process
(``time.process_time``: the machine's other work does not count), that of the processes
it forked to compare pairs (identity/parallel.py; ``CKB_RESOLVE_WORKERS=1`` forks none)
and the wall clock printed, with the peak RSS. "reading" runs until the first pair is
compared: it holds the model's estimate and blocking too.
For an A/B of a change, run it alternately with the old and the new code
(``PYTHONPATH=<a copy of the old tree>``) on the same file, at least twice each.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from calibration import calibration

from graph.embedded.store import EmbeddedStore
from identity.resolve import resolve_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="a loaded, unresolved embedded store file")
    parser.add_argument("--keep", type=Path, help="keep the resolved copy here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ckb-resolve-phases-") as work:
        copy = args.keep or Path(work) / "store.sqlite"
        shutil.copyfile(args.store, copy)
        started = _clocks()
        marks: dict[str, tuple[float, float, float]] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in marks:
                marks[phase] = _clocks()
            if done == total:
                marks[f"{phase} done"] = _clocks()

        with EmbeddedStore(copy) as store:
            summary = resolve_store(store, progress=progress)
        ended = _clocks()
    phases = [p for p in marks if not p.endswith(" done")]
    for phase, after in zip(phases, [*phases[1:], None], strict=True):
        until = marks[after] if after else marks.get(f"{phase} done", ended)
        print(f"{phase:10s} {_spent(marks[phase], until)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"total      {_spent(started, ended)}; {summary.records:,} records "
        f"({summary.records / (ended[2] - started[2]):,.0f}/s wall), {summary.merges:,} "
        f"merges absorbing {summary.absorbed:,}; peak RSS {peak:,} MB (this process); "
        f"calibration {calibration():.2f} s CPU"
    )


def _clocks() -> tuple[float, float, float]:
    """This process's CPU, its finished children's CPU, the wall clock."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime, time.perf_counter()


def _spent(start: tuple[float, float, float], end: tuple[float, float, float]) -> str:
    mine, forked, wall = (b - a for a, b in zip(start, end, strict=True))
    return f"{mine:7.2f} s CPU + {forked:6.2f} s CPU forked, {wall:7.2f} s wall"


if __name__ == "__main__":
    main()
