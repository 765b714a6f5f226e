"""Helper for test_crash_safety: writes batches forever, announcing each acknowledged one.

Run as ``python crash_writer.py STORE_PATH BATCH_SIZE``. After each upsert call returns it
prints ``committed N``; the test kills it with SIGKILL at an arbitrary moment.
"""

from __future__ import annotations

import sys

from graph.embedded import EmbeddedStore
from graph.store import RelRow


def main() -> None:
    path, size = sys.argv[1], int(sys.argv[2])
    store = EmbeddedStore(path)
    store.upsert_nodes("Household", [{"id": "h"}])
    batch = 0
    while True:
        rows = [
            {"id": f"b{batch}-{i}", "name": f"batch {batch}", "lifetime_value": float(i)}
            for i in range(size)
        ]
        store.upsert_nodes("Customer", rows)
        store.upsert_relationships(
            "MEMBER_OF",
            "Customer",
            "Household",
            [RelRow(r["id"], "h", {"role": "other"}) for r in rows],  # type: ignore[arg-type]
        )
        print(f"committed {batch}", flush=True)
        batch += 1


if __name__ == "__main__":
    main()
