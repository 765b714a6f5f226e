"""EPCIS capture rate and journey latency on the embedded store.

    .venv/bin/python bench/epcis.py --events 20000

Writes N ObjectEvents as JSON Lines (items observed at readers across sites, 100 events
per item, CBV steps and dispositions, every event with a bizLocation), captures them
(validation against GS1's schema included) and times it; then asks product_journey and
current_location for random items, 100 events each.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import percentile

from graph.embedded import EmbeddedStore
from loaders.epcis import capture, read_documents
from loaders.rejects import RejectsFile
from queries.named import run_query

STEPS = ("commissioning", "shipping", "receiving", "stocking", "retail_selling")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    rnd = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="ckb-epcis-"))
    items = max(1, args.events // 100)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    path = work / "events.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for n in range(args.events):
            item = n % items
            when = start + timedelta(minutes=n)
            event = {
                "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "ObjectEvent",
                "eventID": f"urn:uuid:bench-{n}",
                "eventTime": when.isoformat(),
                "eventTimeZoneOffset": "+00:00",
                "action": "OBSERVE",
                "epcList": [f"urn:epc:id:sgtin:0614141.107346.{item}"],
                "bizStep": STEPS[(n // items) % len(STEPS)],
                "disposition": "in_progress",
                "readPoint": {"id": f"urn:epc:id:sgln:0614141.{rnd.randint(1, 500):05d}.0"},
                "bizLocation": {"id": f"urn:epc:id:sgln:0614141.{rnd.randint(1, 50):05d}.0"},
            }
            f.write(json.dumps(event) + "\n")
    store = EmbeddedStore(work / "kb.sqlite", synchronous="NORMAL")
    rejects = RejectsFile(work / "rejects.jsonl", str(path), "epcis")
    t = time.perf_counter()
    summary = capture(store, read_documents(path), rejects)
    elapsed = time.perf_counter() - t
    rejects.close()
    print(
        f"captured {summary.captured:,} of {summary.events:,} events in {elapsed:.1f} s: "
        f"{summary.captured / elapsed:,.0f} events/s"
    )
    for name, extra in (("product_journey", {"first": 100}), ("current_location", {})):
        times = []
        for _ in range(500):
            epc = f"urn:epc:id:sgtin:0614141.107346.{rnd.randrange(items)}"
            t = time.perf_counter()
            run_query(store, name, epc=epc, **extra)
            times.append((time.perf_counter() - t) * 1000)
        print(
            f"{name} (100 events per item): p50 {statistics.median(times):.3f} ms, "
            f"p99 {percentile(times, 0.99):.3f} ms"
        )
    store.close()


if __name__ == "__main__":
    main()
