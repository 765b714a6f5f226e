"""CPU seconds of each phase of ``ckb resolve`` on a copy of a loaded embedded store.

    .venv/bin/python bench/resolve_phases.py /path/to/loaded.sqlite [--keep out.sqlite]

The store file is copied first (resolve writes), resolved with ``resolve_store`` and the
CPU time of this process (``time.process_time``: the machine's other work does not
count) printed at each phase change — reading, comparing, merging — with the peak RSS.
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
        started = time.process_time()
        marks: dict[str, float] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in marks:
                marks[phase] = time.process_time()
            if done == total:
                marks[f"{phase} done"] = time.process_time()

        with EmbeddedStore(copy) as store:
            summary = resolve_store(store, progress=progress)
        ended = time.process_time()
    phases = [p for p in marks if not p.endswith(" done")]
    for phase, after in zip(phases, [*phases[1:], None], strict=True):
        until = marks[after] if after else marks.get(f"{phase} done", ended)
        print(f"{phase:10s} {until - marks[phase]:7.2f} s CPU")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"total      {ended - started:7.2f} s CPU; {summary.records:,} records, "
        f"{summary.merges:,} merges absorbing {summary.absorbed:,}; peak RSS {peak:,} MB"
    )


if __name__ == "__main__":
    main()
