"""The ``ckb`` command line: the parser, assembled from the command groups, and the one
place errors become one line on stderr. Each group (api/cli/store_cmds.py, load.py,
identity.py, read.py, serve.py, analyst.py) adds its commands' parsers and runs them."""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence

from api.cli import analyst, identity, load, read, serve, store_cmds
from api.cli.common import Subparsers
from graph.config import DEFAULT_GRAPH
from graph.errors import CkbError

DESCRIPTION = f"""\
ckb - a graph-based customer knowledge base.

The store is chosen by CKB_GRAPH (or --graph):
  embedded:PATH          a graph in one SQLite file, no server (default: {DEFAULT_GRAPH})
  neo4j://HOST:7687      Neo4j 5, with NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE
"""

# In the order ``ckb --help`` lists the commands.
COMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    store_cmds.add_schema,
    store_cmds.add_store,
    store_cmds.add_stats,
    load.add_load,
    load.add_load_dir,
    read.add_query,
    identity.add_resolve,
    identity.add_review,
    load.add_enrich,
    identity.add_quality,
    identity.add_unmerge,
    read.add_segment,
    load.add_sample,
    serve.add_serve,
    analyst.add_cypher,
    analyst.add_export,
    analyst.add_copy,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ckb", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--graph", metavar="SPEC", help="store to use; overrides CKB_GRAPH for this command"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(sub)
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
