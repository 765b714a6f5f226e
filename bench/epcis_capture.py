"""EPCIS capture rate, journey latency and shelf interactions on the embedded store.

    .venv/bin/python bench/epcis_capture.py --events 20000
    .venv/bin/python bench/epcis_capture.py --events 1000000      # the issue's figure: ~10 minutes
    CKB_LOAD_PARALLEL=0 .venv/bin/python bench/epcis_capture.py --events 1000000   # in one process

Streams N events to a JSON Lines file, over 90 days of event time: by default half are
item journeys (items observed at readers across sites, 100 events per item, CBV steps and
dispositions, every event with a bizLocation), half are shelf pick-ups and put-downs
(ckb's shelf steps, docs/formats.md) of 20 products at 8 shelves in each of 10 stores,
with store purchases of those products beside them. Captures the file (streamed, in
batches; validation against GS1's schema included; a file of 8 MB or more is read and
validated by a second process, epcis/readers.py) and times it; then asks
product_journey and current_location for random items with 100 events each, and
shelf_interactions for one store over one month (every product, then one product).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from common import percentile

from epcis.capture import capture
from epcis.documents import read_documents
from epcis.epc import canonical_epc
from epcis.shelf_signals import SHELF_PICKUP, SHELF_PUTDOWN, store_bucket
from epcis.store_sales import rebuild
from graph.embedded import EmbeddedStore
from graph.store import RelRow
from loaders.rejects import RejectsFile
from queries.engine import run_query

STEPS = ("commissioning", "shipping", "receiving", "stocking", "retail_selling")
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
STORES, SHELVES, PRODUCTS = 10, 8, 20
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=90)


def store_id(i: int) -> str:
    return f"urn:epc:id:sgln:0614141.{200 + i:05d}.0"


def write_stream(path: Path, events: int, shelf_share: float, rnd: random.Random) -> int:
    """The events, one JSON object per line; returns how many journey items there are."""
    items = max(1, round(events * (1 - shelf_share)) // 100)
    journeys = 0
    step = SPAN / max(events, 1)
    with path.open("wb") as f:
        for n in range(events):
            when = (START + step * n).isoformat()
            event: dict[str, Any] = {
                "@context": CONTEXT,
                "type": "ObjectEvent",
                "eventID": f"urn:uuid:bench-{n}",
                "eventTime": when,
                "eventTimeZoneOffset": "+00:00",
                "action": "OBSERVE",
            }
            if rnd.random() < shelf_share:
                shop = rnd.randrange(STORES)
                product = rnd.randrange(PRODUCTS)
                event |= {
                    "epcList": [f"urn:epc:id:sgtin:0614141.2{product:05d}.{rnd.randrange(500)}"],
                    "bizStep": SHELF_PICKUP if rnd.random() < 0.6 else SHELF_PUTDOWN,
                    "readPoint": {"id": store_id(shop)[:-1] + str(product % SHELVES + 1)},
                    "bizLocation": {"id": store_id(shop)},
                }
            else:
                item = journeys % items
                event |= {
                    "epcList": [f"urn:epc:id:sgtin:0614141.107346.{item}"],
                    "bizStep": STEPS[(journeys // items) % len(STEPS)],
                    "disposition": "in_progress",
                    "readPoint": {"id": f"urn:epc:id:sgln:0614141.{rnd.randint(1, 500):05d}.0"},
                    "bizLocation": {"id": f"urn:epc:id:sgln:0614141.{rnd.randint(1, 50):05d}.0"},
                }
                journeys += 1
            f.write(orjson.dumps(event) + b"\n")
    return items


def catalogue(store: EmbeddedStore, rnd: random.Random, purchases: int) -> None:
    """The shelf products, the stores, and store purchases over the same 90 days."""
    gtins = {
        f"B-{p:02d}": canonical_epc(f"urn:epc:id:sgtin:0614141.2{p:05d}.1").split("/")[4]
        for p in range(PRODUCTS)
    }
    store.upsert_nodes("Product", [{"id": k, "name": k, "gtin": g} for k, g in gtins.items()])
    store.upsert_nodes("Location", [{"id": canonical_epc(store_id(i))} for i in range(STORES)])
    rows, lines, places = [], [], []
    for n in range(purchases):
        pid = f"BP{n:07d}"
        when = (START + SPAN * rnd.random()).isoformat().replace("+00:00", "Z")
        place = canonical_epc(store_id(rnd.randrange(STORES)))
        # As the purchases loader writes a store purchase: with its store|time sale key.
        rows.append({"id": pid, "purchased_at": when, "store_sale": store_bucket(place, when)})
        lines.append(RelRow(pid, f"B-{rnd.randrange(PRODUCTS):02d}", {"quantity": 1}))
        places.append(RelRow(pid, place))
    store.upsert_nodes("Purchase", rows)
    store.upsert_relationships("INCLUDES", "Purchase", "Product", lines)
    store.upsert_relationships("AT", "Purchase", "Location", places)
    # Written around the purchase loader: their daily store sales made as it keeps them.
    rebuild(store)


def _cpu() -> tuple[float, float]:
    """User + system CPU seconds of this process and of its ended children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


class ChildPeaks:
    """The peak RSS of this process's children (the reading process), read from
    /proc while they run: ru_maxrss of children counts the pages a child shared with
    this process when it was started, so it says this process's size, not the child's."""

    def __init__(self) -> None:
        self.kib: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ChildPeaks:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        tasks = Path(f"/proc/{os.getpid()}/task")
        while not self._stop.wait(0.2):
            for task in tasks.iterdir():
                try:
                    kids = (task / "children").read_text().split()
                except OSError:
                    continue
                for kid in kids:
                    try:
                        status = Path(f"/proc/{kid}/status").read_text()
                    except OSError:
                        continue
                    for line in status.splitlines():
                        if line.startswith("VmHWM:"):
                            self.kib[kid] = max(self.kib.get(kid, 0), int(line.split()[1]))


def timed(calls: int, ask: Any) -> tuple[float, float]:
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        ask()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), percentile(times, 0.99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--shelf-share", type=float, default=0.5)
    args = parser.parse_args()
    rnd = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="ckb-epcis-"))
    path = work / "events.jsonl"
    t = time.perf_counter()
    items = write_stream(path, args.events, args.shelf_share, rnd)
    print(f"wrote {args.events:,} events in {time.perf_counter() - t:.1f} s to {path}")
    store = EmbeddedStore(work / "kb.sqlite", synchronous="NORMAL")
    catalogue(store, rnd, purchases=max(100, int(args.events * args.shelf_share * 0.2)))
    rejects = RejectsFile(work / "rejects.jsonl", str(path), "epcis")
    t, cpu = time.perf_counter(), _cpu()
    with ChildPeaks() as peaks:
        summary = capture(store, read_documents(path), rejects, keep_captured=False)
    elapsed = time.perf_counter() - t
    own, reader = (after - before for after, before in zip(_cpu(), cpu, strict=True))
    rejects.close()
    print(
        f"captured {summary.captured:,} of {summary.events:,} events in {elapsed:.1f} s: "
        f"{summary.captured / elapsed:,.0f} events/s"
    )
    # On a shared machine the wall clock says how busy the others were; CPU seconds say
    # what capture costs: the writing process bounds the rate when the reader has a core.
    per_event = 1e6 / max(summary.captured, 1)
    print(
        f"  CPU: this process {own:.1f} s ({summary.captured / own:,.0f} events per CPU-second, "
        f"{own * per_event:.1f} us an event), the reading process {reader:.1f} s "
        f"({reader * per_event:.1f} us an event)"
    )
    counts = store.counts()
    print(
        f"  ShelfActivity buckets: {counts.nodes.get('ShelfActivity', 0):,}, "
        f"ShelfDay buckets: {counts.nodes.get('ShelfDay', 0):,}, "
        f"StoreSalesDay rows: {counts.nodes.get('StoreSalesDay', 0):,}"
    )
    for name, extra in (("product_journey", {"first": 100}), ("current_location", {})):
        p50, p99 = timed(
            500,
            lambda name=name, extra=extra: run_query(
                store, name, epc=f"urn:epc:id:sgtin:0614141.107346.{rnd.randrange(items)}", **extra
            ),
        )
        print(f"{name} (100 events per item): p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    month = {"from": "2026-02-01", "to": "2026-03-01"}
    answer = run_query(store, "shelf_interactions", store=store_id(3), product="", **month)
    key = canonical_epc(store_id(3))
    buckets = len(
        store.find_range(
            "ShelfActivity", "store_bucket", f"{key}|2026-02-01", f"{key}|2026-03-01", limit=10**7
        )
    )
    days = len(
        store.find_range(
            "ShelfDay", "store_day", f"{key}|2026-02-01", f"{key}|2026-03-01", limit=10**7
        )
    )
    print(
        f"shelf_interactions, one store-month ({buckets:,} hourly buckets, read as {days:,} days, "
        f"{sum(i.pickups + i.putdowns for i in answer):,} reads, {len(answer)} products):"
    )
    for label, product in (("every product", ""), ("one product", "B-05")):
        p50, p99 = timed(
            50,
            lambda product=product: run_query(
                store, "shelf_interactions", store=store_id(3), product=product, **month
            ),
        )
        print(f"  {label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    store.close()
    # ru_maxrss is in KiB on Linux; the reading process (big files) is a child.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    reader = max(peaks.kib.values(), default=0) // 1024
    print(f"peak RSS: this process {own:,} MB, the reading process {reader:,} MB")


if __name__ == "__main__":
    main()
