"""Getting data in: ``ckb load`` (one file, records or EPCIS), ``ckb load-dir``,
``ckb enrich`` (purchased demographics) and ``ckb sample`` (files to load)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

from api.cli.common import Subparsers, open_graph, progress_bar
from graph import clock
from graph.errors import CkbError
from graph.store import GraphStore
from loaders.directory import plan_directory
from loaders.kinds import KINDS
from loaders.pipeline import DEFAULT_BATCH, LoadSummary, load_file
from loaders.system_names import check_system_name

_ENCODING_HELP = (
    "the file's text encoding when it is not UTF-8, e.g. gb18030, cp1252, utf-16 "
    "(default: UTF-8, or what a byte-order mark says)"
)


def _print_summary(summary: LoadSummary) -> None:
    if summary.empty:
        print(f"{summary.origin}: {summary.empty} — nothing loaded")
        return
    where = f"; rejects in {summary.rejects_path}" if summary.rejected else ""
    print(
        f"{summary.origin}: {summary.kind} from {summary.system}: read {summary.read:,}, "
        f"loaded {summary.loaded:,}, rejected {summary.rejected:,}{where}; "
        f"{summary.seconds:.1f} s, {summary.rate:,.0f} records/s"
    )
    if summary.ignored_fields:
        print(f"  ignored unknown fields: {', '.join(sorted(summary.ignored_fields))}")
    if summary.unlinked:
        print(f"  {summary.unlinked} relationship(s) lost an endpoint during the load")


def _load_one(
    store: GraphStore, kind: str, path: Path, system: str, args: argparse.Namespace
) -> LoadSummary:
    with progress_bar(f"{path.name}") as bar:
        return load_file(
            store,
            kind,
            path,
            system,
            rejects_path=getattr(args, "rejects", None),
            batch_size=args.batch_size,
            on_batch=bar.update,
            encoding=args.encoding,
        )


def cmd_load_epcis(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise CkbError(f"no such file: {args.file}")
    with closing(open_graph(args)) as store:
        result = _capture_file(store, args.file, args.rejects, quiet=args.json)
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


def _capture_file(
    store: GraphStore, path: Path, rejects_path: Path | None, quiet: bool
) -> dict[str, Any]:
    """Capture one EPCIS file; print what happened unless ``quiet``; the summary as JSON."""
    from epcis.capture import capture
    from epcis.documents import read_documents
    from loaders.rejects import RejectsFile

    rejects_path = rejects_path or Path("data/rejects") / f"{path.name}.rejects.jsonl"
    started = time.perf_counter()
    rejects = RejectsFile(rejects_path, str(path), "epcis")
    try:
        summary = capture(store, read_documents(path), rejects, keep_captured=False)
    finally:
        rejects.close()
    elapsed = time.perf_counter() - started
    result = {**summary.__dict__, "file": str(path), "seconds": round(elapsed, 3)}
    if quiet:
        return result
    refused = summary.rejected or summary.refused_documents or summary.master_data_rejected
    print(
        f"{path}: epcis: {summary.documents:,} document(s), {summary.describe()}; {elapsed:.2f} s"
        + (f"; rejects in {rejects_path}" if refused else "")
    )
    for outcome in summary.results:
        if outcome["status"] == "rejected":
            where = f"event {outcome['event']}" if "event" in outcome else f"line {outcome['line']}"
            print(f"  {where}: {'; '.join(outcome['reasons'])}")
    return result


def cmd_load(args: argparse.Namespace) -> int:
    if args.kind == "epcis":
        if args.encoding:
            raise CkbError("EPCIS files are UTF-8 JSON; --encoding is for record files")
        return cmd_load_epcis(args)
    if not args.source:
        raise CkbError("name the source system: --source SYSTEM")
    check_system_name(args.source)
    with closing(open_graph(args)) as store:
        summary = _load_one(store, args.kind, args.file, args.source, args)
        if args.json:
            print(json.dumps(summary.as_dict(), indent=2))
        else:
            _print_summary(summary)
    return 0


def cmd_load_dir(args: argparse.Namespace) -> int:
    plan = plan_directory(args.directory, args.source)
    for path, why in plan.skipped:
        if path in plan.enrichments:  # not a problem: input for another command
            print(f"{path.name}: {why}; after ckb resolve, run: ckb enrich {path}", file=sys.stderr)
        else:
            print(f"skipped {path.name}: {why}", file=sys.stderr)
    if not plan.loads and not plan.captures:
        raise CkbError(f"nothing to load in {args.directory}")
    summaries = []
    with closing(open_graph(args)) as store:
        for item in plan.loads:
            summary = _load_one(store, item.kind, item.path, item.system, args)
            summaries.append(summary)
            if not args.json:
                _print_summary(summary)
        # After the records, so the sales the events name find their purchases.
        captures = [_capture_file(store, path, None, quiet=args.json) for path in plan.captures]
    read = sum(s.read for s in summaries)
    loaded = sum(s.loaded for s in summaries)
    rejected = sum(s.rejected for s in summaries)
    seconds = sum(s.seconds for s in summaries)
    if args.json:
        print(
            json.dumps(
                {
                    "files": [s.as_dict() for s in summaries],
                    "epcis": [{k: v for k, v in c.items() if k != "results"} for c in captures],
                    "read": read,
                    "loaded": loaded,
                    "rejected": rejected,
                },
                indent=2,
            )
        )
    else:
        rate = read / seconds if seconds else 0.0
        print(
            f"total: {len(summaries)} file(s), read {read:,}, loaded {loaded:,}, "
            f"rejected {rejected:,}; {seconds:.1f} s, {rate:,.0f} records/s"
        )
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from sample.generator import generate_sample

    today = clock.today()
    as_of = args.as_of or today
    if as_of > today:
        raise CkbError(
            f"--as-of {as_of.isoformat()} is after today: the loaders refuse times in the future"
        )
    counts = generate_sample(args.customers, args.seed, args.out, as_of)
    loadable = {n: c for n, c in counts.items() if not n.startswith("truth/")}
    print(
        f"wrote {sum(loadable.values()):,} records in {len(loadable)} files to {args.out} "
        f"(history up to {as_of.isoformat()})"
    )
    for name, count in loadable.items():
        print(f"  {name:<34} {count:>10,}")
    print(f"ground truth in {args.out / 'truth'}; load with: ckb load-dir {args.out}")
    return 0


def cmd_enrich(args: argparse.Namespace) -> int:
    from loaders.enrich import enrich

    unmatched = args.unmatched or Path("data/enrich") / f"{args.file.name}.unmatched.csv"
    rejects = args.rejects or Path("data/rejects") / f"{args.file.name}.rejects.jsonl"
    with (
        closing(open_graph(args)) as store,
        progress_bar("enrich", unit=" rows", leave=False) as bar,
    ):
        s = enrich(
            store,
            args.file,
            unmatched,
            rejects,
            clock.today(),
            lambda rows: bar.update(rows - bar.n),
        )
    print(
        f"{args.file}: {s.rows:,} rows, {s.rejected:,} rejected; matched {s.matched:,} "
        f"({s.match_rate:.1%} of valid rows): {s.attached:,} attached, {s.no_consent:,} "
        f"without consent for third-party data (left out)"
    )
    print(
        f"  unmatched {s.unmatched:,} ({s.ambiguous:,} ambiguous) -> {unmatched}"
        + (f"; rejects -> {rejects}" if s.rejected else "")
    )
    return 0


def add_load(sub: Subparsers) -> None:
    """ckb load KIND FILE"""
    kinds_help = "record kinds: " + ", ".join(KINDS)
    load_p = sub.add_parser(
        "load",
        help="load one CSV / JSON Lines file (optionally .gz) of one record kind",
        description=f"Load one file. {kinds_help}. See docs/formats.md.",
    )
    load_p.add_argument(
        "kind", choices=[*KINDS, "epcis"], metavar="KIND", help=kinds_help + ", epcis"
    )
    load_p.add_argument("file", type=Path, metavar="FILE")
    load_p.add_argument(
        "--source", metavar="SYSTEM", help="source system, e.g. billing (not for epcis)"
    )
    load_p.add_argument("--rejects", type=Path, metavar="PATH", help="rejects file (JSON Lines)")
    _add_load_options(load_p, _ENCODING_HELP, "print the summary as JSON")
    load_p.set_defaults(func=cmd_load)


def add_load_dir(sub: Subparsers) -> None:
    """ckb load-dir DIR"""
    dir_p = sub.add_parser(
        "load-dir",
        help="load every <kind>.csv / <system>.<kind>.jsonl ... file of a directory",
        description="Files are named <kind>.<ext> or <system>.<kind>.<ext> (ext: csv, jsonl, "
        "ndjson, optionally .gz) and load in dependency order. Rejects go to data/rejects/.",
    )
    dir_p.add_argument("directory", type=Path, metavar="DIR")
    dir_p.add_argument(
        "--source", metavar="SYSTEM", help="system for files named just <kind>.<ext>"
    )
    _add_load_options(dir_p, _ENCODING_HELP + " (every file)", "print the summaries as JSON")
    dir_p.set_defaults(func=cmd_load_dir)


def _add_load_options(parser: argparse.ArgumentParser, encoding: str, json_help: str) -> None:
    """--encoding, --batch-size and --json, which load and load-dir share."""
    parser.add_argument("--encoding", metavar="NAME", help=encoding)
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH, help="records per write batch"
    )
    parser.add_argument("--json", action="store_true", help=json_help)


def add_enrich(sub: Subparsers) -> None:
    """ckb enrich FILE"""
    enrich_p = sub.add_parser(
        "enrich",
        help="match a purchased demographics file to customers; attach it where consent allows",
    )
    enrich_p.add_argument("file", type=Path, help="CSV or JSON Lines (docs/formats.md)")
    enrich_p.add_argument("--unmatched", type=Path, help="where unmatched rows go")
    enrich_p.add_argument("--rejects", type=Path, help="where malformed rows go")
    enrich_p.set_defaults(func=cmd_enrich)


def add_sample(sub: Subparsers) -> None:
    """ckb sample"""
    sample_p = sub.add_parser(
        "sample",
        help="write a realistic sample of every source file (deterministic per seed)",
    )
    sample_p.add_argument("--customers", type=int, default=10_000, help="people (default 10000)")
    sample_p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    sample_p.add_argument("--out", type=Path, default=Path("data/sample"), help="output directory")
    sample_p.add_argument(
        "--as-of",
        metavar="DATE",
        type=date.fromisoformat,
        help="the day the sample's history ends (default today), so that 'within N days' "
        "questions find data",
    )
    sample_p.set_defaults(func=cmd_sample)
