"""Opening an embedded store and answering one question, as a command-line call does.

    .venv/bin/python bench/reopen.py STORE [STORE ...] [--runs 5]

For each store file, in fresh processes (nothing cached in Python; the OS file cache is
warm after the first run, as it is for a user asking twice):
- open: open the store, read one node, close — the store's own cost, timed inside;
- cli: the whole ``ckb query customer_360 customerId=<id> first=5`` command, wall time
  (interpreter start and imports included) — what a user waits for.
Medians of ``--runs``. The customer count says how big each store is.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CKB = Path(sys.executable).parent / "ckb"

_OPEN = """
import json, sys, time
started = time.perf_counter()
from graph.embedded import EmbeddedStore
imported = time.perf_counter()
store = EmbeddedStore(sys.argv[1])
opened = time.perf_counter()
node = store.get_node("Customer", sys.argv[2])
read = time.perf_counter()
store.close()
print(json.dumps({"open_ms": (opened - imported) * 1e3, "read_ms": (read - opened) * 1e3,
                  "found": node is not None}))
"""


def probe_customer(path: Path) -> tuple[str, int]:
    sys.path.insert(0, str(REPO))
    from graph.embedded import EmbeddedStore

    with EmbeddedStore(path) as store:
        count = store.counts().nodes["Customer"]
        # A customer from the middle of the key space, not the first page.
        keys = store.keys_page("Customer", after="C8", limit=1) or store.keys_page("Customer")
    return keys[0], count


def _args(customer: str) -> list[str]:
    return [f"customerId={customer}", "first=5"]


def measure(path: Path, runs: int) -> dict[str, object]:
    customer, count = probe_customer(path)
    opens, reads, clis = [], [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _OPEN, str(path), customer],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        figures = json.loads(out.stdout)
        assert figures["found"], f"{customer} not found in {path}"
        opens.append(figures["open_ms"])
        reads.append(figures["read_ms"])
        started = time.perf_counter()
        subprocess.run(
            [str(CKB), "--graph", f"embedded:{path}", "query", "customer_360", *_args(customer)],
            capture_output=True,
            check=True,
            cwd=REPO,
        )
        clis.append(time.perf_counter() - started)
    return {
        "store": str(path),
        "customers": count,
        "file_mb": round(path.stat().st_size / 2**20),
        "open_ms": round(statistics.median(opens), 2),
        "first_read_ms": round(statistics.median(reads), 2),
        "customer_360_cli_s": round(statistics.median(clis), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stores", type=Path, nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    rows = [measure(path, args.runs) for path in args.stores]
    for row in rows:
        print(
            f"{row['customers']:>10,} customers  {row['file_mb']:>6} MB  "
            f"open {row['open_ms']:>6} ms  first read {row['first_read_ms']:>6} ms  "
            f"ckb query customer_360 {row['customer_360_cli_s']} s"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
