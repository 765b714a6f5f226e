"""Identity resolution's commands: ``ckb resolve`` (with ``--explain`` and
``--evaluate``), ``ckb review``, ``ckb unmerge`` and ``ckb quality``."""

from __future__ import annotations

import argparse
import json
import time
from contextlib import closing
from pathlib import Path

from api.cli.common import PhaseBars, Subparsers, open_graph
from graph import clock


def cmd_resolve(args: argparse.Namespace) -> int:
    import csv

    from identity.evaluate import evaluate, truth_clusters
    from identity.model_store import load_model
    from identity.resolve import resolve_store

    if args.explain:
        return _explain(args)
    started = time.perf_counter()
    units = {"reading": " records", "comparing": " pairs", "merging": " merges"}
    with closing(open_graph(args)) as store, PhaseBars("resolve", units) as bars:
        summary = resolve_store(store, progress=bars)
        model = load_model(store)
    elapsed = time.perf_counter() - started
    rate = summary.records / elapsed if elapsed else 0.0
    print(
        f"resolved {summary.records:,} source records: {summary.customers_before:,} customers "
        f"-> {summary.customers_after:,} ({summary.merges:,} merges, {summary.absorbed:,} IDs "
        f"retired); {elapsed:.1f} s, {rate:,.0f} records/s"
    )
    print(
        f"  review queue: {summary.review:,} open ({summary.new_review:,} new; `ckb review "
        f"list`); over-merge guards refused {summary.refused:,} links; "
        f"{summary.skipped_blocks:,} oversized blocks skipped"
    )
    if summary.flags:
        flags = ", ".join(f"{name} {n:,}" for name, n in sorted(summary.flags.items()))
        print(f"  flagged values: {flags}")
    homes = "found" if model.households else "none (no household corrections)"
    version = "new" if summary.new_model else "unchanged"
    print(
        f"  model: version {summary.model_version} ({version}), m fitted to the data "
        f"(`ckb resolve --explain A B` shows it per field); households {homes}"
    )
    if args.evaluate and summary.resolution is not None:
        # Every record of the truth counts: one rejected at load or never loaded is a
        # record whose pairs were all missed.
        with args.evaluate.open(newline="", encoding="utf-8") as f:
            truth = truth_clusters(csv.DictReader(f))
        found = evaluate(summary.resolution.clusters, truth)
        if found.absent == found.truth_records:
            print(f"  {args.evaluate} names none of these records")
            return 0
        scores, people = found.pairs, found.people
        print(
            f"  against {args.evaluate}: pairwise precision {scores.precision:.4f}, recall "
            f"{scores.recall:.4f}, F1 {scores.f1:.4f}; {people.exact:,} of {people.people:,} "
            f"people resolved exactly ({people.exact / people.people:.1%}), {people.split:,} "
            f"split over several customers, {people.mixed:,} customers mixing people"
        )
        if found.absent:
            print(
                f"  {found.absent:,} of {found.truth_records:,} truth records not in the store "
                f"(rejected at load or never loaded): their {found.absent_pairs:,} true pairs "
                "count as missed"
            )
    return 0


def _explain(args: argparse.Namespace) -> int:
    from identity.explain import explain_pair

    first, second = args.explain
    with closing(open_graph(args)) as store:
        found = explain_pair(store, first, second, clock.today())
    link = found.link
    print(
        f"{first} ~ {second}: weight {link.weight:+.2f} (probability {link.probability:.6f}), "
        f"rule {link.rule}: {found.verdict}"
    )
    print(f"  {'field':<12} {'level':<11} {'weight':>7}  {'m':>7} {'u':>9}")
    for name, (level, weight) in link.evidence.items():
        m_u = found.chances.get(name)
        chances = f"  {m_u[0]:>7.4f} {m_u[1]:>9.2e}" if m_u else ""
        print(f"  {name:<12} {level or 'missing':<11} {weight:>+7.2f}{chances}")
    if found.review:
        print(f"  worth a person's look: {found.review}")
    print(f"  model: {found.model}")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    import dataclasses

    from identity.review import decide_review, list_review

    with closing(open_graph(args)) as store:
        if args.review_command == "list":
            items = list_review(store, args.status, args.limit)
            if args.json:
                print(
                    json.dumps([dataclasses.asdict(i) for i in items], indent=2, ensure_ascii=False)
                )
                return 0
            for item in items:
                names = " / ".join(str(n) for n in item.evidence.get("names", []))
                fields = ", ".join(
                    f"{f} {v['level']} ({v['weight']:+.1f})"
                    for f, v in sorted(item.evidence.get("fields", {}).items())
                )
                weight = float(item.evidence.get("weight", 0.0))
                print(f"{item.id}  weight {weight:+.1f}  {' + '.join(item.records)}  {names}")
                if item.evidence.get("reason"):
                    print(f"    why: {item.evidence['reason']}")
                print(f"    {fields}")
            print(f"{len(items)} {args.status} item(s)")
            return 0
        item = decide_review(store, args.id, args.review_command == "accept", args.actor)
    print(f"{item.id}: {item.status}")
    return 0


def cmd_quality(args: argparse.Namespace) -> int:
    from datetime import date

    from identity.quality import quality_report, render_text

    today = date.fromisoformat(args.as_of) if args.as_of else clock.today()
    with closing(open_graph(args)) as store:
        report = quality_report(store, today, args.rejects)
    print(json.dumps(report, indent=2) if args.json else render_text(report))
    return 0


def cmd_unmerge(args: argparse.Namespace) -> int:
    from identity.unmerge import find_merge_event, unmerge

    with closing(open_graph(args)) as store:
        event = args.event or find_merge_event(store, args.record)
        result = unmerge(store, event, args.actor)
    print(
        f"undid merge {result.merge_event}: {', '.join(result.restored)} restored beside "
        f"{result.survivor} (split event {result.split_event})"
    )
    return 0


def add_resolve(sub: Subparsers) -> None:
    """ckb resolve"""
    resolve_p = sub.add_parser(
        "resolve",
        help="identity resolution over every source record: merge the customers found to be "
        "one person (re-running changes nothing)",
    )
    resolve_p.add_argument(
        "--evaluate",
        type=Path,
        metavar="TRUTH",
        help="CSV of source_system,source_record_id,person_id: print pairwise precision/recall/F1 "
        "and how many people came out whole, split or mixed",
    )
    resolve_p.add_argument(
        "--explain",
        nargs=2,
        metavar="SYSTEM:ID",
        help="resolve nothing; show how two source records compare, field by field, under the "
        "model the last run estimated, and whether they would merge",
    )
    resolve_p.set_defaults(func=cmd_resolve)


def add_review(sub: Subparsers) -> None:
    """ckb review list | accept | reject"""
    review_p = sub.add_parser(
        "review", help="possible matches waiting for a person: list, accept, reject"
    )
    review_sub = review_p.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    list_p = review_sub.add_parser("list", help="review items with their evidence")
    list_p.add_argument("--status", default="open", choices=["open", "accepted", "rejected"])
    list_p.add_argument("--limit", type=int, default=50)
    list_p.add_argument("--json", action="store_true")
    for action, what in (
        ("accept", "merge the two records' customers"),
        ("reject", "never merge them (later ckb resolve runs respect it)"),
    ):
        decide_p = review_sub.add_parser(action, help=what)
        decide_p.add_argument("id", help="review item ID, e.g. R3F2A...")
        decide_p.add_argument("--actor", default="cli", help="who decided (audited)")
    review_p.set_defaults(func=cmd_review)


def add_quality(sub: Subparsers) -> None:
    """ckb quality"""
    quality_p = sub.add_parser(
        "quality",
        help="data-quality report per source system: duplicates, invalid and missing values, "
        "records rejected at load",
    )
    quality_p.add_argument("--json", action="store_true", help="JSON for a front end")
    quality_p.add_argument(
        "--rejects", type=Path, default=Path("data/rejects"), help="the rejects directory"
    )
    quality_p.add_argument("--as-of", metavar="DATE", help="for future-date checks (default today)")
    quality_p.set_defaults(func=cmd_quality)


def add_unmerge(sub: Subparsers) -> None:
    """ckb unmerge"""
    unmerge_p = sub.add_parser(
        "unmerge", help="undo a merge exactly, from its merge event or one of its source records"
    )
    which = unmerge_p.add_mutually_exclusive_group(required=True)
    which.add_argument("event", nargs="?", help="merge event ID (M...)")
    which.add_argument("--record", help="a source record the merge brought in, e.g. webshop:W1")
    unmerge_p.add_argument("--actor", default="cli", help="who did it (audited)")
    unmerge_p.set_defaults(func=cmd_unmerge)
