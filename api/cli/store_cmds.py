"""The store's commands: ``ckb schema`` (apply, docs, cypher), ``ckb store upgrade``
and ``ckb stats``."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import closing
from pathlib import Path

from api.cli.common import Subparsers, open_graph
from graph.config import settings_from_env
from graph.docs import render_schema_doc
from graph.errors import StoreConfigError
from graph.store import GraphCounts

DEFAULT_SCHEMA_DOC = Path("docs/schema.md")


def cmd_schema_apply(args: argparse.Namespace) -> int:
    with closing(open_graph(args)) as store:
        actions = store.apply_schema()
        print(f"schema applied to {store.description}")
        if args.verbose:
            for action in actions:
                print(f"  {action}")
        else:
            print(f"  {len(actions)} statement(s); --verbose lists them")
    return 0


def cmd_store_upgrade(args: argparse.Namespace) -> int:
    from graph.embedded.upgrade import upgrade_first_design

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
    with closing(open_graph(args)) as store:
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


def add_schema(sub: Subparsers) -> None:
    """ckb schema apply | docs | cypher"""
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


def add_store(sub: Subparsers) -> None:
    """ckb store upgrade"""
    store_p = sub.add_parser("store", help="embedded store file maintenance")
    store_sub = store_p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    upgrade_p = store_sub.add_parser(
        "upgrade", help="convert a store file of the first design (ckb-embedded/1) in place"
    )
    upgrade_p.set_defaults(func=cmd_store_upgrade)


def add_stats(sub: Subparsers) -> None:
    """ckb stats"""
    stats_p = sub.add_parser("stats", help="node and relationship counts per label and type")
    stats_p.add_argument("--json", action="store_true", help="machine-readable output")
    stats_p.add_argument("--all", action="store_true", help="also list labels and types at zero")
    stats_p.set_defaults(func=cmd_stats)
