"""The customer list on the embedded store: filters, aggregate sorts, aggregates.

    .venv/bin/python bench/customer_list.py --customers 20000
    .venv/bin/python bench/customer_list.py --store data/ckb.sqlite   # e.g. after make demo

Times each list shape (first page of 50, with its total count) a few times after a
warm-up and prints the median: the unfiltered page by ID (the keyset path), property
filters, relationship filters (some/none over touchpoints and holdings), sorts by
aggregates, the README's example (gold, a complaint in the 30 days before the sample's
as-of date, no mobile product, richest first, first 20), and customersAggregate. On the
embedded store each shape is one SQL statement for the page and one for the count
(queries/customer_sql.py); sorts by aggregates read the rollups kept on write.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import sample_store

from graph.embedded import EmbeddedStore
from queries.customer_filter import AllOf, Compare, Order, Related
from queries.customer_list import aggregate_customers, list_customers
from sample.generator import AS_OF
from scoring.segments import assign_segments

RECENT_COMPLAINT = Related(
    "touchpoints",
    "some",
    (Compare("kind", "eq", "complaint"), Compare("occurred_at", "gte", "2026-10-01")),
)
NO_MOBILE = Related("holdings", "none", (Compare("line", "eq", "mobile"),))
# The README example: "withinDays: 30" counted back from the sample's as-of date.
README_LIST = AllOf(
    (
        Compare("value_tier", "eq", "gold"),
        Related(
            "touchpoints",
            "some",
            (
                Compare("kind", "eq", "complaint"),
                Compare("occurred_at", "gte", f"{AS_OF - timedelta(days=30)}T00:00:00Z"),
            ),
        ),
        NO_MOBILE,
    )
)


def _time(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    call()  # warm-up: sorted key caches and the like
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--store", type=Path, help="an already loaded embedded store file")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.store:
        store = EmbeddedStore(args.store)
    else:
        store, _ = sample_store(args.customers, "ckb-list-", resolve=False)
        assign_segments(store, AS_OF)
    total = store.counts().nodes.get("Customer", 0)
    shapes: dict[str, Callable[[], Any]] = {
        "page 50 by ID (no filter)": lambda: list_customers(store, None, [], 50, None),
        "valueTier = gold": lambda: list_customers(
            store, Compare("value_tier", "eq", "gold"), [], 50, None
        ),
        "complaint since Oct 1": lambda: list_customers(store, RECENT_COMPLAINT, [], 50, None),
        "complaint and no mobile": lambda: list_customers(
            store, AllOf((RECENT_COMPLAINT, NO_MOBILE)), [], 50, None
        ),
        "order by total value desc": lambda: list_customers(
            store, None, [Order("total_value", descending=True)], 50, None
        ),
        "README list (first 20)": lambda: list_customers(
            store, README_LIST, [Order("total_value", descending=True)], 20, None
        ),
        "total value desc (first 20)": lambda: list_customers(
            store, None, [Order("total_value", descending=True)], 20, None
        ),
        "gold by touchpoint count": lambda: list_customers(
            store, Compare("value_tier", "eq", "gold"), [Order("touchpoint_count", True)], 50, None
        ),
        "customersAggregate (all)": lambda: aggregate_customers(store, None),
        "customersAggregate (gold)": lambda: aggregate_customers(
            store, Compare("value_tier", "eq", "gold")
        ),
    }
    print(f"{total:,} customers, median of {args.repeat} after a warm-up")
    print(f"{'shape':32} {'ms':>9}  matched")
    for name, call in shapes.items():
        ms, result = _time(call, args.repeat)
        matched = getattr(result, "total", getattr(result, "customers", ""))
        print(f"{name:32} {ms:9.1f}  {matched}")
    store.close()


if __name__ == "__main__":
    main()
