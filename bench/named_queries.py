"""Named query latency on the embedded store (p50 / p99 per query).

    .venv/bin/python bench/named_queries.py --customers 10000        # sample, load, then query
    .venv/bin/python bench/named_queries.py --store data/ckb.sqlite  # an already loaded store

Picks random billing customers (and their households) from the store and answers every
named query for each, timing each call. With CKB_BENCH_NEO4J_URI set (and NEO4J_USER /
NEO4J_PASSWORD), the same graph is copied into that Neo4j (cleared first) and the same
calls are timed there.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path
from typing import Any

from common import bench_neo4j, billing_customers, percentile, sample_store

from graph.copy import copy_graph
from graph.embedded import EmbeddedStore
from graph.store import GraphStore
from queries.engine import run_query
from sample.generator import AS_OF
from scoring.segments import assign_segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--store", type=Path, help="an already loaded embedded store file")
    parser.add_argument("--calls", type=int, default=2000, help="calls per query")
    args = parser.parse_args()
    if args.store:
        store = EmbeddedStore(args.store)
    else:
        store, _ = sample_store(args.customers, "ckb-queries-", resolve=True)
        started = time.perf_counter()
        assign_segments(store, AS_OF)
        print(f"ckb segment: {time.perf_counter() - started:.1f} s")
    rnd = random.Random(1)
    customers = sorted(billing_customers(store).values())
    households = sorted(store.keys("Household"))
    picks = [rnd.choice(customers) for _ in range(args.calls)]
    calls: dict[str, list[dict[str, Any]]] = {
        "customer_360": [{"customerId": c, "first": 20} for c in picks],
        "customer_sources": [{"customerId": c} for c in picks],
        "household_members": [{"customerId": c} for c in picks],
        "customer_value": [{"customerId": c} for c in picks],
        "customer_holdings": [{"customerId": c} for c in picks],
        "customer_touchpoints": [{"customerId": c, "channel": "", "first": 20} for c in picks],
        "churn_risk": [{"customerId": c, "asOf": AS_OF.isoformat()} for c in picks],
        "next_best_products": [{"customerId": c, "first": 5} for c in picks],
        "channel_preference": [
            {"customerId": c, "from": "2025-11-01", "to": "2026-11-02"} for c in picks
        ],
        "ego_network": [{"customerId": c, "hops": 2, "limit": 100} for c in picks],
        "search_customers": [{"text": "wang", "first": 20} for _ in picks[:200]],
        "at_risk": [
            {"tier": tier, "minScore": 0.3, "first": 50} for tier in ("gold", "silver") * 50
        ],
        "segment_members": [{"tier": "gold", "after": "", "first": 100} for _ in picks[:100]],
        "household_value": [{"householdId": rnd.choice(households)} for _ in picks],
        "household_white_space": [
            {"householdId": rnd.choice(households), "first": 5} for _ in picks
        ],
        "relationship_path": [
            {"fromId": c, "toId": rnd.choice(customers), "maxHops": 4}
            for c in picks[: args.calls // 4]
        ],
    }
    counts = store.counts()
    print(f"{counts.total_nodes:,} nodes, {counts.total_relationships:,} relationships")
    _time_queries(store, calls)
    neo = bench_neo4j()
    if neo is not None:
        # The same graph and the same calls on Neo4j: the queries/*.cypher files.
        started = time.perf_counter()
        nodes, rels = copy_graph(store, neo)
        seconds = time.perf_counter() - started
        print(f"neo4j: copied {nodes:,} nodes, {rels:,} relationships in {seconds:.0f} s")
        _time_queries(neo, calls)
        neo.close()
    store.close()


def _time_queries(store: GraphStore, calls: dict[str, list[dict[str, Any]]]) -> None:
    for name, param_list in calls.items():
        times = []
        for params in param_list:
            t = time.perf_counter()
            run_query(store, name, **params)
            times.append((time.perf_counter() - t) * 1000)
        print(
            f"{name:<20} calls {len(times):>5}  p50 {statistics.median(times):7.3f} ms  "
            f"p99 {percentile(times, 0.99):7.3f} ms"
        )


if __name__ == "__main__":
    main()
