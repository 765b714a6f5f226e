"""The ``ckb`` command line. Errors become one line on stderr here, nowhere else."""

from __future__ import annotations

import argparse
import errno
import json
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from graph.config import DEFAULT_GRAPH, open_store, settings_from_env
from graph.docs import render_schema_doc
from graph.errors import CkbError, StoreConfigError
from graph.store import GraphCounts, GraphStore
from loaders.directory import plan_directory
from loaders.kinds import KINDS
from loaders.pipeline import DEFAULT_BATCH, LoadSummary, load_file
from loaders.system_names import check_system_name

DEFAULT_SCHEMA_DOC = Path("docs/schema.md")
_ENCODING_HELP = (
    "the file's text encoding when it is not UTF-8, e.g. gb18030, cp1252, utf-16 "
    "(default: UTF-8, or what a byte-order mark says)"
)

DESCRIPTION = f"""\
ckb - a graph-based customer knowledge base.

The store is chosen by CKB_GRAPH (or --graph):
  embedded:PATH          a graph in one SQLite file, no server (default: {DEFAULT_GRAPH})
  neo4j://HOST:7687      Neo4j 5, with NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE
"""


def _open(args: argparse.Namespace) -> GraphStore:
    return open_store(settings_from_env(graph=args.graph))


def cmd_schema_apply(args: argparse.Namespace) -> int:
    with closing(_open(args)) as store:
        actions = store.apply_schema()
        print(f"schema applied to {store.description}")
        if args.verbose:
            for action in actions:
                print(f"  {action}")
        else:
            print(f"  {len(actions)} statement(s); --verbose lists them")
    return 0


def cmd_store_upgrade(args: argparse.Namespace) -> int:
    from graph.sqlite_upgrade import upgrade_first_design

    settings = settings_from_env(graph=args.graph)
    if settings.kind != "embedded":
        raise StoreConfigError(f"{settings.describe()} is a Neo4j store; only files upgrade")
    print(upgrade_first_design(settings.target))
    return 0


def cmd_schema_docs(args: argparse.Namespace) -> int:
    text = render_schema_doc()
    out: Path = args.out
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is out of date; run: ckb schema docs", file=sys.stderr)
            return 1
        print(f"{out} is current")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def cmd_schema_cypher(args: argparse.Namespace) -> int:
    from queries.lint import lint_payload

    payload = lint_payload()
    if args.json:
        text = json.dumps(payload, indent=1, ensure_ascii=False)
    else:
        text = "\n\n".join(
            f"// {s['name']} ({s['origin']}; parameters: {', '.join(s['parameters']) or 'none'})\n"
            f"{s['text']};"
            for s in payload["statements"]
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def _format_counts(description: str, counts: GraphCounts, show_all: bool) -> str:
    lines = [f"store: {description}"]
    for title, table in (("nodes", counts.nodes), ("relationships", counts.relationships)):
        total = sum(table.values())
        lines.append(f"{title}: {total:,}")
        rows = [(name, n) for name, n in table.items() if n or show_all]
        width = max((len(name) for name, _ in rows), default=0)
        lines += [f"  {name:<{width}}  {n:>12,}" for name, n in rows]
    return "\n".join(lines)


def cmd_stats(args: argparse.Namespace) -> int:
    with closing(_open(args)) as store:
        counts = store.counts()
        if args.json:
            print(
                json.dumps(
                    {
                        "store": store.description,
                        "nodes": counts.nodes,
                        "relationships": counts.relationships,
                    },
                    indent=2,
                )
            )
        else:
            print(_format_counts(store.description, counts, args.all))
    return 0


PROGRESS_DELAY = 2.0  # seconds a step runs before its progress is drawn


def _progress(
    label: str,
    total: int | None = None,
    unit: str = " rec",
    delay: float = PROGRESS_DELAY,
    leave: bool = True,
) -> Any:
    from tqdm import tqdm

    # Shown only on a terminal, and only once a step has taken more than ``delay`` seconds;
    # off a terminal the step's summary line is all there is.
    return tqdm(
        desc=label,
        total=total,
        unit=unit,
        unit_scale=True,
        disable=None,
        delay=delay,
        leave=leave,
        file=sys.stderr,
    )


class _PhaseBars:
    """Draws a long command's ``progress(phase, done, total)`` callback: on a terminal, once
    the command has run ``PROGRESS_DELAY`` seconds, a bar for the running phase with its
    percentage and ETA (each bar cleared when its phase ends). Nothing off a terminal."""

    def __init__(self, command: str, units: dict[str, str]) -> None:
        self._command = command
        self._units = units
        self._show_at = time.monotonic() + PROGRESS_DELAY
        self._phase: str | None = None
        self._bar: Any = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self._phase or self._bar is None:
            self.close()
            self._phase = phase
            self._bar = _progress(
                f"{self._command}: {phase}",
                total,
                self._units.get(phase, ""),
                delay=max(0.0, self._show_at - time.monotonic()),
                leave=False,
            )
        self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> _PhaseBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    with _progress(f"{path.name}") as bar:
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
    with closing(_open(args)) as store:
        result = _capture_file(store, args.file, args.rejects, quiet=args.json)
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


def _capture_file(
    store: GraphStore, path: Path, rejects_path: Path | None, quiet: bool
) -> dict[str, Any]:
    """Capture one EPCIS file; print what happened unless ``quiet``; the summary as JSON."""
    import time

    from epcis.capture import capture, read_documents
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
    with closing(_open(args)) as store:
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
    with closing(_open(args)) as store:
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

    today = datetime.now(UTC).date()
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


def cmd_query(args: argparse.Namespace) -> int:
    import dataclasses

    from queries.base import QueryParameterError
    from queries.named import QUERIES, run_query

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
    with closing(_open(args)) as store:
        result = run_query(store, args.name, **params)

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    print(json.dumps(plain(result), indent=2, ensure_ascii=False))
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    import csv

    from identity.resolve import evaluate, resolve_store, truth_clusters

    if args.explain:
        return _explain(args)
    started = time.perf_counter()
    units = {"reading": " records", "comparing": " pairs", "merging": " merges"}
    with closing(_open(args)) as store, _PhaseBars("resolve", units) as bars:
        summary = resolve_store(store, progress=bars)
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


def cmd_review(args: argparse.Namespace) -> int:
    import dataclasses

    from identity.resolve import decide_review, list_review

    with closing(_open(args)) as store:
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


def cmd_enrich(args: argparse.Namespace) -> int:
    from datetime import date

    from loaders.enrich import enrich

    unmatched = args.unmatched or Path("data/enrich") / f"{args.file.name}.unmatched.csv"
    rejects = args.rejects or Path("data/rejects") / f"{args.file.name}.rejects.jsonl"
    with closing(_open(args)) as store, _progress("enrich", unit=" rows", leave=False) as bar:
        s = enrich(
            store,
            args.file,
            unmatched,
            rejects,
            date.today(),
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


def cmd_quality(args: argparse.Namespace) -> int:
    from datetime import date

    from identity.quality import quality_report, render_text

    today = date.fromisoformat(args.as_of) if args.as_of else date.today()
    with closing(_open(args)) as store:
        report = quality_report(store, today, args.rejects)
    print(json.dumps(report, indent=2) if args.json else render_text(report))
    return 0


def cmd_unmerge(args: argparse.Namespace) -> int:
    from identity.unmerge import find_merge_event, unmerge

    with closing(_open(args)) as store:
        event = args.event or find_merge_event(store, args.record)
        result = unmerge(store, event, args.actor)
    print(
        f"undid merge {result.merge_event}: {', '.join(result.restored)} restored beside "
        f"{result.survivor} (split event {result.split_event})"
    )
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    from datetime import date

    from scoring.segments import AT_RISK_SCORE, assign_segments

    if args.list:
        return _list_segments(args)
    as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    units = {"scoring": " customers", "writing": " customers"}
    with closing(_open(args)) as store, _PhaseBars("segment", units) as bars:
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

    with closing(_open(args)) as store:
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


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.auth import AuthSettings
    from api.http.access_log import configure_access_log
    from api.http.app import create_app

    settings = settings_from_env(graph=args.graph)
    # Fail before binding the port if the store cannot be opened or credentials are bad.
    open_store(settings).close()
    auth = AuthSettings.from_env()
    if not auth.enabled:
        print(
            "warning: no credentials configured (CKB_API_KEYS, CKB_JWT_SECRET): every GraphQL "
            "request will be refused",
            file=sys.stderr,
        )
    app = create_app(lambda: open_store(settings), auth_settings=auth)
    print(f"ckb API on http://{args.host}:{args.port} ({settings.describe()})")
    configure_access_log()  # JSON lines on stderr, in place of uvicorn's access log
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    return 0


def _explain(args: argparse.Namespace) -> int:
    from identity.resolve import explain_pair

    first, second = args.explain
    with closing(_open(args)) as store:
        found = explain_pair(store, first, second, datetime.now(UTC).date())
    link = found.link
    print(
        f"{first} ~ {second}: weight {link.weight:+.2f} (probability {link.probability:.6f}), "
        f"rule {link.rule}: {found.verdict}"
    )
    print(f"  {'field':<12} {'level':<10} {'weight':>8}")
    for name, (level, weight) in link.evidence.items():
        print(f"  {name:<12} {level or 'missing':<10} {weight:>+8.2f}")
    if found.review:
        print(f"  worth a person's look: {found.review}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ckb", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--graph", metavar="SPEC", help="store to use; overrides CKB_GRAPH for this command"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    schema_p = sub.add_parser("schema", help="apply, document or list the graph schema")
    schema_sub = schema_p.add_subparsers(dest="schema_command", metavar="ACTION", required=True)
    apply_p = schema_sub.add_parser(
        "apply", help="create constraints and indexes in the store (idempotent)"
    )
    apply_p.add_argument("-v", "--verbose", action="store_true", help="list each statement")
    apply_p.set_defaults(func=cmd_schema_apply)
    docs_p = schema_sub.add_parser("docs", help="write docs/schema.md from graph/schema.py")
    docs_p.add_argument("--out", type=Path, default=DEFAULT_SCHEMA_DOC, help="output file")
    docs_p.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs instead of writing it"
    )
    docs_p.set_defaults(func=cmd_schema_docs)
    cypher_p = schema_sub.add_parser(
        "cypher", help="print every Cypher statement ckb sends or ships (what the linter checks)"
    )
    cypher_p.add_argument("--json", action="store_true", help="linter input: schema + statements")
    cypher_p.add_argument("--out", type=Path, help="write to a file instead of stdout")
    cypher_p.set_defaults(func=cmd_schema_cypher)

    store_p = sub.add_parser("store", help="embedded store file maintenance")
    store_sub = store_p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    upgrade_p = store_sub.add_parser(
        "upgrade", help="convert a store file of the first design (ckb-embedded/1) in place"
    )
    upgrade_p.set_defaults(func=cmd_store_upgrade)

    stats_p = sub.add_parser("stats", help="node and relationship counts per label and type")
    stats_p.add_argument("--json", action="store_true", help="machine-readable output")
    stats_p.add_argument("--all", action="store_true", help="also list labels and types at zero")
    stats_p.set_defaults(func=cmd_stats)

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
    load_p.add_argument("--encoding", metavar="NAME", help=_ENCODING_HELP)
    load_p.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH, help="records per write batch"
    )
    load_p.add_argument("--json", action="store_true", help="print the summary as JSON")
    load_p.set_defaults(func=cmd_load)

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
    dir_p.add_argument("--encoding", metavar="NAME", help=_ENCODING_HELP + " (every file)")
    dir_p.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH, help="records per write batch"
    )
    dir_p.add_argument("--json", action="store_true", help="print the summaries as JSON")
    dir_p.set_defaults(func=cmd_load_dir)

    from queries.named import QUERIES

    query_p = sub.add_parser(
        "query",
        help="answer a named question: ckb query customer_value customerId=C1 (docs/queries.md)",
    )
    query_p.add_argument("name", choices=list(QUERIES), metavar="NAME", help=", ".join(QUERIES))
    query_p.add_argument("params", nargs="*", metavar="PARAM=VALUE", help="the query's parameters")
    query_p.set_defaults(func=cmd_query)

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

    enrich_p = sub.add_parser(
        "enrich",
        help="match a purchased demographics file to customers; attach it where consent allows",
    )
    enrich_p.add_argument("file", type=Path, help="CSV or JSON Lines (docs/formats.md)")
    enrich_p.add_argument("--unmatched", type=Path, help="where unmatched rows go")
    enrich_p.add_argument("--rejects", type=Path, help="where malformed rows go")
    enrich_p.set_defaults(func=cmd_enrich)

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

    unmerge_p = sub.add_parser(
        "unmerge", help="undo a merge exactly, from its merge event or one of its source records"
    )
    which = unmerge_p.add_mutually_exclusive_group(required=True)
    which.add_argument("event", nargs="?", help="merge event ID (M...)")
    which.add_argument("--record", help="a source record the merge brought in, e.g. webshop:W1")
    unmerge_p.add_argument("--actor", default="cli", help="who did it (audited)")
    unmerge_p.set_defaults(func=cmd_unmerge)

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

    serve_p = sub.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve_p.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve_p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve_p.set_defaults(func=cmd_serve)

    from api.cli.analyst import add_analyst_commands

    add_analyst_commands(sub)  # cypher, export neo4j, copy
    return parser


def _disk_fault(exc: OSError) -> str | None:
    """One line for a file a command could not write (a sample, a report) for want of
    space or rights; None for any other OSError (it goes on as it is). The store and
    the rejects files say so themselves (StoreError, RejectsWriteError)."""
    where = exc.filename or "a file"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk holding {where} is full: free space on it and run the command again"
    if exc.errno == errno.EROFS:
        return f"{where} is on a file system mounted read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied: {where}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except CkbError as exc:
        print(f"ckb: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`ckb quality | head`); say nothing more.
        sys.stderr.close()
        return 0
    except OSError as exc:
        message = _disk_fault(exc)
        if message is None:
            raise
        print(f"ckb: error: {message}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
