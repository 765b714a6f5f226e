"""Churn early warning against the sample's ground truth: precision at k.

    .venv/bin/python bench/churn_eval.py --customers 10000
    .venv/bin/python bench/churn_eval.py --customers 10000 --as-of 2026-05-05 --horizon 90

An early warning is only worth something before the customer leaves, so the scores are
computed *as of a past date* (``ckb segment --as-of``: holdings as they stood then,
touchpoints up to then) and checked against who actually churned in the ``horizon`` days
after it (truth/churn.csv). Customers already gone by the as-of date (lapsed) are not
ranked. The ranking is at_risk's: churn score, then lifetime value. Precision at k is the
share of the top k who churned; the base rate is what a random pick would score.
"""

from __future__ import annotations

import argparse
import csv
import time
from datetime import date, timedelta

from common import billing_customers, sample_store

from queries.engine import run_query
from scoring.segments import assign_segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--as-of", default="2026-05-05", help="score date (sample ends 2026-11-01)")
    parser.add_argument("--horizon", type=int, default=90, help="days after the as-of date")
    parser.add_argument("--ks", default="25,50,100,200,500")
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of)
    end = as_of + timedelta(days=args.horizon)

    started = time.perf_counter()
    store, work = sample_store(args.customers, "ckb-churn-", resolve=True)
    loaded = time.perf_counter()
    summary = assign_segments(store, as_of)
    scored = time.perf_counter()

    customer_of = billing_customers(store)
    churned: dict[str, bool] = {}
    with (work / "sample" / "truth" / "churn.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            customer = customer_of.get(row["billing_id"])
            if customer is None:
                continue
            on = row["churned_on"]
            churned[customer] = bool(on) and as_of < date.fromisoformat(on) <= end

    nodes = store.get_nodes("Customer", sorted(churned))
    ranked = sorted(
        (
            (-float(n.props["churn_score"]), -float(n.props.get("lifetime_value") or 0), key)
            for key, n in nodes.items()
            if isinstance(n.props.get("churn_score"), float)
        )
    )
    eligible = len(ranked)
    positives = sum(churned[key] for _, _, key in ranked)
    base = positives / eligible if eligible else 0.0
    print(
        f"{args.customers:,} people: scored as of {as_of}, churn counted in ({as_of}, {end}]; "
        f"load {loaded - started:.1f} s, ckb segment {scored - loaded:.1f} s"
    )
    print(
        f"ranked {eligible:,} active billing customers ({summary.lapsed:,} customers lapsed); "
        f"{positives:,} churned in the horizon: base rate {base:.3f}"
    )
    print(f"{'k':>5} {'precision':>9} {'lift':>5} {'recall':>6}")
    for k in (int(x) for x in args.ks.split(",")):
        top = ranked[:k]
        hits = sum(churned[key] for _, _, key in top)
        precision = hits / len(top) if top else 0.0
        recall = hits / positives if positives else 0.0
        lift = precision / base if base else 0.0
        print(f"{k:>5} {precision:>9.3f} {lift:>5.1f} {recall:>6.3f}")
    for tier in ("gold", "silver"):
        risky = run_query(store, "at_risk", tier=tier, minScore=0.3, first=50)
        hits = sum(churned.get(r.customer_id, False) for r in risky)
        print(f"at_risk({tier}, first 50, score >= 0.3): {len(risky)} customers, {hits} churned")
    store.close()


if __name__ == "__main__":
    main()
