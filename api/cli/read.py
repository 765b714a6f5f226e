"""Answers and scores: ``ckb query`` (a named question) and ``ckb segment`` (the scores
and co-ownership rules the queries read)."""

from __future__ import annotations

import argparse
import json
from contextlib import closing
from typing import Any

from api.cli.common import PhaseBars, Subparsers, open_graph
from graph import clock


def cmd_query(args: argparse.Namespace) -> int:
    import dataclasses

    from queries.base import QueryParameterError
    from queries.engine import QUERIES, run_query

    declared = {p.name: p.type for p in QUERIES[args.name].file.params}
    params: dict[str, Any] = {}
    for item in args.params:
        name, sep, value = item.partition("=")
        if not sep:
            raise QueryParameterError(f"write parameters as NAME=VALUE, got {item!r}")
        if declared.get(name) == "int":
            try:
                params[name] = int(value)
            except ValueError:
                raise QueryParameterError(f"{name} must be a whole number, got {value!r}") from None
        elif declared.get(name) == "float":
            try:
                params[name] = float(value)
            except ValueError:
                raise QueryParameterError(f"{name} must be a number, got {value!r}") from None
        else:
            params[name] = value
    with closing(open_graph(args)) as store:
        result = run_query(store, args.name, **params)

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    print(json.dumps(plain(result), indent=2, ensure_ascii=False))
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    from datetime import date

    from scoring.segments import AT_RISK_SCORE, assign_segments

    if args.list:
        return _list_segments(args)
    as_of = date.fromisoformat(args.as_of) if args.as_of else clock.today()
    units = {"scoring": " customers", "writing": " customers"}
    with closing(open_graph(args)) as store, PhaseBars("segment", units) as bars:
        summary = assign_segments(store, as_of, progress=bars)
    tiers = ", ".join(f"{tier} {n:,}" for tier, n in sorted(summary.by_tier.items()))
    print(f"scored {summary.customers:,} customers as of {as_of}")
    print(f"  value tiers: {tiers}")
    print(
        f"  churn: {summary.at_risk:,} at risk (score >= {AT_RISK_SCORE}), "
        f"{summary.lapsed:,} lapsed (held products, none active)"
    )
    print(f"  RFM: {summary.rfm_scored:,} customers with purchases in the last year")
    print(f"  next best product: {summary.line_rules:,} product-line co-ownership rules")
    return 0


def _list_segments(args: argparse.Namespace) -> int:
    from scoring.segments import list_segments

    with closing(open_graph(args)) as store:
        segments = list_segments(store)
    width = max(len("segment"), *(len(s.name) for s in segments))
    print(f"{'segment':<{width}}  {'customers':>10}  rule (best tier first; the first met counts)")
    for s in segments:
        print(f"{s.name:<{width}}  {s.customers:>10,}  {s.definition}")
    if not any(s.customers for s in segments):
        print("no customer is in a segment yet: run ckb segment")
    else:
        print("members: ckb query segment_members tier=NAME after= first=50")
    return 0


def add_query(sub: Subparsers) -> None:
    """ckb query NAME PARAM=VALUE..."""
    from queries.engine import QUERIES

    query_p = sub.add_parser(
        "query",
        help="answer a named question: ckb query customer_value customerId=C1 (docs/queries.md)",
    )
    query_p.add_argument("name", choices=list(QUERIES), metavar="NAME", help=", ".join(QUERIES))
    query_p.add_argument("params", nargs="*", metavar="PARAM=VALUE", help="the query's parameters")
    query_p.set_defaults(func=cmd_query)


def add_segment(sub: Subparsers) -> None:
    """ckb segment"""
    segment_p = sub.add_parser(
        "segment",
        help="score every customer: value tier, lifetime value, churn risk, RFM; and the "
        "co-ownership rules behind next best product (docs/queries.md)",
    )
    segment_p.add_argument("--as-of", metavar="DATE", help="score as of this date (default today)")
    segment_p.add_argument(
        "--list", action="store_true", help="list the segments, their rules and sizes only"
    )
    segment_p.set_defaults(func=cmd_segment)
