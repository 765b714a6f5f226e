"""The analysts' commands: ``ckb cypher`` (ad-hoc Cypher on Neo4j, one statement or an
interactive prompt), ``ckb export neo4j DIR`` (files for neo4j-admin's offline import) and
``ckb copy --to neo4j://...`` (online, resumable)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, TextIO

from api.cli.common import PhaseBars, Subparsers
from graph.config import open_store, settings_from_env
from graph.cypher_shell import (
    DEFAULT_TIMEOUT,
    CypherQueryError,
    CypherSession,
    parse_param,
    parse_params,
    split_statements,
)
from graph.errors import CkbError

HISTORY_FILE = Path("~/.ckb_cypher_history")
PROMPT_HELP = """\
Statements end with ';' and may span lines. Commands:
  :param NAME=VALUE   set a parameter (42 int, 4.2 float, true, null, [..] / {..} JSON, text)
  :params             list the parameters set
  :format table|json|csv
  :help               this text
  :exit               leave (or Ctrl-D)"""


# ----------------------------------------------------------------------- ckb cypher


class _Output:
    """Where results go: stdout, or the --out file (each result after the last)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._file: TextIO | None = None
        self._count = 0

    def write(self, text: str) -> None:
        if self._path is None:
            print(text)
            return
        if self._file is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._path.open("w", encoding="utf-8", newline="")
        self._file.write(("\n" if self._count else "") + text + "\n")
        self._file.flush()
        self._count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class _Shell:
    def __init__(self, session: CypherSession, args: argparse.Namespace, out: _Output) -> None:
        self.session = session
        self.params: dict[str, Any] = parse_params(args.param)
        self.format: str = args.format
        self.write = bool(args.write)
        self.timeout = float(args.timeout)
        self.out = out
        self.failed = 0

    def run(self, statement: str, quiet: bool = False) -> None:
        from api.cli.cypher_render import footer, render

        result = self.session.run(
            statement, dict(self.params), write=self.write, timeout=self.timeout
        )
        text = render(result, self.format)
        if text or self.format != "table":
            self.out.write(text)
        if not quiet:
            print(footer(result), file=sys.stderr)

    def run_reporting(self, statement: str) -> None:
        """Interactive: a refused statement is reported and the prompt goes on."""
        try:
            self.run(statement)
        except CkbError as exc:
            self.failed += 1
            print(f"error: {exc}", file=sys.stderr)

    def command(self, line: str) -> bool:
        """A ``:command`` line; False to leave."""
        name, _, rest = line[1:].strip().partition(" ")
        if name in ("exit", "quit", "q"):
            return False
        if name == "help":
            print(PROMPT_HELP, file=sys.stderr)
        elif name == "param":
            try:
                key, value = parse_param(rest)
            except CkbError as exc:
                print(f"error: {exc}", file=sys.stderr)
            else:
                self.params[key] = value
                print(f"${key} = {json.dumps(value, ensure_ascii=False)}", file=sys.stderr)
        elif name == "params":
            for key, value in sorted(self.params.items()):
                print(f"${key} = {json.dumps(value, ensure_ascii=False)}", file=sys.stderr)
        elif name == "format" and rest.strip() in ("table", "json", "csv"):
            self.format = rest.strip()
        else:
            print(f"unknown command {line.strip()!r}; :help lists them", file=sys.stderr)
        return True


def _lines_from_terminal(
    session: CypherSession, pending: Callable[[], bool]
) -> Iterator[tuple[str, bool]]:
    """Lines read with history and line editing; ``pending()`` says whether a statement
    is being continued (the prompt shows it). Ctrl-C drops the statement being typed."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history = Path(os.environ.get("CKB_CYPHER_HISTORY", str(HISTORY_FILE))).expanduser()
    prompt: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
    print(f"connected to {session.description}; :help for help, :exit to leave", file=sys.stderr)
    while True:
        try:
            line = prompt.prompt("   ...> " if pending() else "cypher> ")
        except EOFError:
            return
        except KeyboardInterrupt:
            yield "", True
            continue
        yield line, False


def _lines_from(stream: TextIO) -> Iterator[tuple[str, bool]]:
    for line in stream:
        yield line.rstrip("\n"), False


class _Statements:
    """Lines in, complete statements out; a line ``(text, True)`` drops the one pending."""

    def __init__(self) -> None:
        self.buffer = ""

    def pending(self) -> bool:
        return bool(self.buffer.strip())

    def feed(self, line: str, drop: bool) -> list[str]:
        if drop:
            self.buffer = ""
            return []
        statements, self.buffer = split_statements(self.buffer + line + "\n")
        return statements


def _interactive(shell: _Shell, statements: _Statements, lines: Iterator[tuple[str, bool]]) -> None:
    for line, drop in lines:
        if not statements.pending() and line.strip().startswith(":"):
            if not shell.command(line):
                return
            continue
        for statement in statements.feed(line, drop):
            shell.run_reporting(statement)
    if statements.pending():  # the last statement may omit its ';'
        shell.run_reporting(statements.buffer.strip())


def cmd_cypher(args: argparse.Namespace) -> int:
    settings = settings_from_env(graph=args.graph)
    parse_params(args.param)  # bad parameters fail before connecting
    out = _Output(args.out)
    with closing(CypherSession.open(settings)) as session:
        shell = _Shell(session, args, out)
        try:
            if args.query is not None:
                query = sys.stdin.read() if args.query == "-" else args.query
                statements, rest = split_statements(query)
                if rest.strip():
                    statements.append(rest.strip())
                if not statements:
                    raise CypherQueryError("no statement to run")
                for statement in statements:
                    shell.run(statement)
                return 0
            typed = _Statements()
            tty = sys.stdin.isatty() and sys.stdout.isatty()
            lines = _lines_from_terminal(session, typed.pending) if tty else _lines_from(sys.stdin)
            _interactive(shell, typed, lines)
        finally:
            out.close()
    return 1 if shell.failed else 0


# ----------------------------------------------------------------------- ckb export neo4j


def cmd_export_neo4j(args: argparse.Namespace) -> int:
    from graph.export import export_neo4j, import_arguments
    from graph.schema import schema

    started = time.perf_counter()
    units = dict.fromkeys(schema().labels, " nodes")
    with closing(open_store(settings_from_env(graph=args.graph))) as store:
        with PhaseBars("export", units) as bars:
            summary = export_neo4j(store, args.directory, progress=bars, page_size=args.page_size)
        counts = store.counts()
    elapsed = time.perf_counter() - started
    exported = summary.exported
    print(
        f"exported {exported.total_nodes:,} nodes and {exported.total_relationships:,} "
        f"relationships from {store.description} to {args.directory} "
        f"({len(summary.files)} files; {elapsed:.1f} s)"
    )
    drift = [
        f"{name} {summary.exported.nodes.get(name, 0):,} (store now {n:,})"
        for name, n in counts.nodes.items()
        if summary.exported.nodes.get(name, 0) != n
    ] + [
        f"{name} {summary.exported.relationships.get(name, 0):,} (store now {n:,})"
        for name, n in counts.relationships.items()
        if summary.exported.relationships.get(name, 0) != n
    ]
    if drift:
        print(
            "  the store changed while exporting (a load ran?): " + "; ".join(drift),
            file=sys.stderr,
        )
    print(f"  import (Neo4j stopped): {args.directory / 'import.sh'}, i.e.")
    print(f"    {' '.join(import_arguments(summary)[:7])} ... neo4j")
    print(f"  then apply constraints and indexes: {args.directory / 'schema.cypher'}")
    return 0


# ----------------------------------------------------------------------- ckb copy


def _default_checkpoint(source: str, target: str, source_path: Path | None) -> Path:
    digest = hashlib.sha256(f"{source}\n{target}".encode()).hexdigest()[:12]
    where = source_path.parent if source_path is not None else Path()
    return where / f".ckb-copy-{digest}.checkpoint.json"


def cmd_copy(args: argparse.Namespace) -> int:
    from graph.copy import copy_graph

    env = dict(os.environ)
    if args.user:
        env["NEO4J_USER"] = args.user
    if args.password:
        env["NEO4J_PASSWORD"] = args.password
    if args.database:
        env["NEO4J_DATABASE"] = args.database
    env["CKB_NEO4J_BATCH_SIZE"] = str(args.batch_size)
    target_settings = settings_from_env(env, graph=args.to)
    source_settings = settings_from_env(graph=args.graph)
    if target_settings.describe() == source_settings.describe():
        raise CkbError(f"--to names the store being copied ({source_settings.describe()})")
    checkpoint: Path = args.checkpoint or _default_checkpoint(
        source_settings.describe(),
        target_settings.describe(),
        Path(source_settings.target) if source_settings.kind == "embedded" else None,
    )
    if args.restart and checkpoint.exists():
        checkpoint.unlink()
    started = time.perf_counter()
    with (
        closing(open_store(source_settings)) as source,
        closing(open_store(target_settings)) as target,
    ):
        if checkpoint.exists():
            print(f"resuming the copy recorded in {checkpoint} (--restart starts over)")
        target.apply_schema()
        units = {"nodes": " nodes", "relationships": " nodes"}
        with PhaseBars("copy", units) as bars:
            progress: Callable[[str, int, int], None] = bars
            nodes, rels = copy_graph(
                source, target, batch=args.batch_size, checkpoint=checkpoint, progress=progress
            )
        print(
            f"copied {nodes:,} nodes and {rels:,} relationships from {source.description} "
            f"to {target.description}; {time.perf_counter() - started:.1f} s"
        )
    return 0


# ----------------------------------------------------------------------- parsers


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_cypher(sub: Subparsers) -> None:
    """ckb cypher [QUERY]"""
    cypher_p = sub.add_parser(
        "cypher",
        help="run Cypher on Neo4j: one statement, or an interactive prompt without QUERY",
        description="Runs in a read transaction unless --write. Parameters are typed: 42 is "
        "an integer, 4.2 a float, true/false booleans, null, [..] and {..} JSON lists and "
        'maps, "42" (JSON) a string; anything else is text. With QUERY - the statements are '
        "read from stdin. Cookbook: docs/analysts.md.",
    )
    cypher_p.add_argument("query", nargs="?", metavar="QUERY", help="statement(s), ';'-separated")
    cypher_p.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a query parameter (repeat for more)",
    )
    cypher_p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    cypher_p.add_argument("--out", type=Path, metavar="FILE", help="write results to FILE")
    cypher_p.add_argument(
        "--write", action="store_true", help="run in a write transaction (needs a role that may)"
    )
    cypher_p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"the server ends a statement running longer (default {DEFAULT_TIMEOUT:g})",
    )
    cypher_p.set_defaults(func=cmd_cypher)


def add_export(sub: Subparsers) -> None:
    """ckb export neo4j DIR"""
    export_p = sub.add_parser(
        "export", help="write the graph as files another tool imports (neo4j-admin)"
    )
    export_sub = export_p.add_subparsers(dest="export_format", metavar="FORMAT", required=True)
    neo4j_p = export_sub.add_parser(
        "neo4j",
        help="CSV files for `neo4j-admin database import full`, the import command and the "
        "schema to apply after (from either store)",
    )
    neo4j_p.add_argument("directory", type=Path, metavar="DIR")
    neo4j_p.add_argument(
        "--page-size", type=_positive, default=1000, help="nodes read per page (default 1000)"
    )
    neo4j_p.set_defaults(func=cmd_export_neo4j)


def add_copy(sub: Subparsers) -> None:
    """ckb copy --to URI"""
    copy_p = sub.add_parser(
        "copy",
        help="copy the whole graph into a running Neo4j (batched MERGE; a re-run resumes)",
    )
    copy_p.add_argument("--to", required=True, metavar="URI", help="e.g. neo4j://localhost:7687")
    copy_p.add_argument("--user", help="Neo4j user (default NEO4J_USER, else neo4j)")
    copy_p.add_argument("--password", help="Neo4j password (default NEO4J_PASSWORD)")
    copy_p.add_argument("--database", help="Neo4j database (default NEO4J_DATABASE, else neo4j)")
    copy_p.add_argument(
        "--batch-size", type=_positive, default=1000, help="nodes per page and rows per MERGE batch"
    )
    copy_p.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="progress file for resuming (default: a hidden file beside the source store)",
    )
    copy_p.add_argument(
        "--restart", action="store_true", help="ignore an earlier interrupted copy's checkpoint"
    )
    copy_p.set_defaults(func=cmd_copy)
