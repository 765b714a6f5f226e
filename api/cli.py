"""The ``ckb`` command line. Errors become one line on stderr here, nowhere else."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from graph.config import DEFAULT_GRAPH, open_store, settings_from_env
from graph.docs import render_schema_doc
from graph.errors import CkbError
from graph.store import GraphCounts, GraphStore

DEFAULT_SCHEMA_DOC = Path("docs/schema.md")

DESCRIPTION = f"""\
ckb - a graph-based customer knowledge base.

The store is chosen by CKB_GRAPH (or --graph):
  embedded:PATH          networkx + SQLite, no server (default: {DEFAULT_GRAPH})
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


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    settings = settings_from_env(graph=args.graph)
    # Fail before binding the port if the store cannot be opened.
    open_store(settings).close()
    app = create_app(lambda: open_store(settings))
    print(f"ckb API on http://{args.host}:{args.port} ({settings.describe()})")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
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

    stats_p = sub.add_parser("stats", help="node and relationship counts per label and type")
    stats_p.add_argument("--json", action="store_true", help="machine-readable output")
    stats_p.add_argument("--all", action="store_true", help="also list labels and types at zero")
    stats_p.set_defaults(func=cmd_stats)

    serve_p = sub.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve_p.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve_p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve_p.set_defaults(func=cmd_serve)
    return parser


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
    return code


if __name__ == "__main__":
    sys.exit(main())
