"""Write a store's graph as ``neo4j-admin database import full`` CSV files.

One file per label (``nodes/<Label>.csv``) and per relationship type and endpoint labels
(``relationships/<TYPE>__<From>__<To>.csv``), each with a typed header derived from
graph/schema.py: the key is the ``:ID`` in an ID space per label (keys are unique per
label, not across labels), relationships name the spaces of their ends in ``:START_ID`` and
``:END_ID``. Beside them: ``import.sh`` (the exact import command), ``schema.cypher`` (the
constraints and indexes to apply once Neo4j runs), ``manifest.json`` (rows per file) and a
README. Read page by page through the store port, so memory stays flat at any size.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from graph.cypher import adapter_statements
from graph.errors import CkbError
from graph.schema import GraphSchema, NodeType, RelType, schema
from graph.store import GraphCounts, GraphStore, PropertyValue
from graph.walk import is_hub, pages, starts_relationships

ARRAY_DELIMITER = ";"
PAGE_SIZE = 1000

# Schema property types -> neo4j-admin header types. Dates and times travel as ISO 8601
# strings in both stores (graph/store.py), so they stay strings in Neo4j too: the named
# queries and the cookbook compare them as strings.
_HEADER_TYPES = {"int": "long", "float": "double", "bool": "boolean", "list": "string[]"}

Progress = Callable[[str, int, int], None]


class ExportError(CkbError):
    """The graph cannot be written as import files (a value the format cannot carry)."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str  # string | long | double | boolean | string[]

    @property
    def header(self) -> str:
        return f"{self.name}:{self.kind}"


def header_type(declared: str) -> str:
    return _HEADER_TYPES.get(declared, "string")


def node_columns(node: NodeType) -> list[Column]:
    """The node's properties but its key (the ``:ID`` column), provenance included."""
    declared = {p.name: p.type for p in node.props}
    return [
        Column(name, header_type(declared.get(name, "string")))
        for name in node.property_names
        if name != node.key
    ]


def rel_columns(rel: RelType) -> list[Column]:
    return [Column(p.name, header_type(p.type)) for p in rel.props]


def node_header(node: NodeType) -> list[str]:
    return [
        f"{node.key}:ID({node.label})",
        *(c.header for c in node_columns(node)),
        ":LABEL",
    ]


def rel_header(rel: RelType, src: str, dst: str) -> list[str]:
    return [f":START_ID({src})", f":END_ID({dst})", ":TYPE", *(c.header for c in rel_columns(rel))]


def node_file(label: str) -> str:
    return f"nodes/{label}.csv"


def rel_file(rel_type: str, src: str, dst: str) -> str:
    return f"relationships/{rel_type}__{src}__{dst}.csv"


# ----------------------------------------------------------------------- CSV fields
# Written by hand rather than with the csv module: neo4j-admin reads an empty field as
# "no property" and a quoted empty field as the empty string, and the csv module cannot
# tell those apart on Python 3.11 (QUOTE_NOTNULL is 3.12+).


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _number(value: PropertyValue, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExportError(f"{where}: {value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ExportError(f"{where}: {value!r} is not a finite number")
    return repr(value)


def encode(value: PropertyValue | None, kind: str, where: str) -> str:
    """One CSV field of a column of neo4j-admin type ``kind``."""
    if value is None:
        return ""
    if kind == "string":
        if not isinstance(value, str):
            raise ExportError(f"{where}: {value!r} is not a string (the schema says string)")
        return _quoted(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ExportError(f"{where}: {value!r} is not a boolean")
        return "true" if value else "false"
    if kind == "long":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ExportError(f"{where}: {value!r} is not a whole number")
        return str(value)
    if kind == "double":
        return _number(value, where)
    # string[]: one field, elements joined by the array delimiter
    if not isinstance(value, list):
        raise ExportError(f"{where}: {value!r} is not a list")
    items = [str(v) if not isinstance(v, str) else v for v in value]
    if any(ARRAY_DELIMITER in item for item in items):
        raise ExportError(
            f"{where}: a list element holds the array delimiter {ARRAY_DELIMITER!r}, "
            "which neo4j-admin would split"
        )
    if len(items) == 1 and not items[0]:
        raise ExportError(f"{where}: a list of one empty string cannot be told from an empty list")
    return _quoted(ARRAY_DELIMITER.join(items))


def _row(fields: Iterable[str]) -> str:
    return ",".join(fields) + "\n"


# ----------------------------------------------------------------------- the export


@dataclass
class ExportSummary:
    directory: Path
    exported: GraphCounts = field(default_factory=GraphCounts)  # rows per label and type
    files: dict[str, int] = field(default_factory=dict)  # rows per file written


class _RelFiles:
    """One open file per relationship type and endpoint labels, opened on first use."""

    def __init__(self, root: Path, model: GraphSchema) -> None:
        self._root = root
        self._model = model
        self._open: dict[tuple[str, str, str], IO[str]] = {}
        self.rows: dict[tuple[str, str, str], int] = {}

    def write(self, rel_type: str, src: str, dst: str, line: str) -> None:
        handle = self._open.get((rel_type, src, dst))
        if handle is None:
            rel = self._model.check_endpoints(rel_type, src, dst)
            path = self._root / rel_file(rel_type, src, dst)
            handle = path.open("w", encoding="utf-8", newline="")
            handle.write(_row(rel_header(rel, src, dst)))
            self._open[(rel_type, src, dst)] = handle
            self.rows[(rel_type, src, dst)] = 0
        handle.write(line)
        self.rows[(rel_type, src, dst)] += 1

    def close(self) -> None:
        for handle in self._open.values():
            handle.close()
        self._open.clear()


def export_neo4j(
    store: GraphStore,
    directory: Path,
    progress: Progress | None = None,
    page_size: int = PAGE_SIZE,
    model: GraphSchema | None = None,
) -> ExportSummary:
    """Write every node and relationship of ``store`` under ``directory`` (created; files
    of an earlier export there are replaced). Labels and types without rows get no file."""
    model = model or schema()
    if page_size < 1:
        raise ExportError(f"the page size must be at least 1, got {page_size}")
    directory.mkdir(parents=True, exist_ok=True)
    if any(p for p in directory.iterdir() if p.name not in _OWN_NAMES):
        raise ExportError(
            f"{directory} holds files that are not a ckb export; name an empty or new directory"
        )
    for sub in ("nodes", "relationships"):
        (directory / sub).mkdir(exist_ok=True)
        for old in (directory / sub).glob("*.csv"):
            old.unlink()
    counts = store.counts()
    summary = ExportSummary(directory)
    rel_files = _RelFiles(directory, model)
    try:
        for node in model.nodes:
            summary.exported.nodes[node.label] = _export_label(
                store, node, model, directory, rel_files, page_size, counts, progress
            )
    finally:
        rel_files.close()
    for (rel_type, src, dst), n in sorted(rel_files.rows.items()):
        exported = summary.exported.relationships
        exported[rel_type] = exported.get(rel_type, 0) + n
        summary.files[rel_file(rel_type, src, dst)] = n
    for node in model.nodes:
        if summary.exported.nodes[node.label]:
            summary.files[node_file(node.label)] = summary.exported.nodes[node.label]
        else:
            (directory / node_file(node.label)).unlink()
    for rel_type in model.relationship_types:
        summary.exported.relationships.setdefault(rel_type, 0)
    _write_companions(directory, summary, model)
    return summary


def _export_label(
    store: GraphStore,
    node: NodeType,
    model: GraphSchema,
    directory: Path,
    rel_files: _RelFiles,
    page_size: int,
    counts: GraphCounts,
    progress: Progress | None,
) -> int:
    columns = node_columns(node)
    rel_columns_of = {r.type: rel_columns(r) for r in model.relationships}
    label_field = _quoted(node.label)
    total = counts.nodes.get(node.label, 0)
    written = 0
    with (directory / node_file(node.label)).open("w", encoding="utf-8", newline="") as out:
        out.write(_row(node_header(node)))
        if progress:
            progress(node.label, 0, total)
        outgoing = starts_relationships(model, node.label)
        hub = is_hub(model, counts, node.label)
        for page in pages(store, node.label, page_size, with_relationships=outgoing, hub=hub):
            for key in page.keys:
                found = page.nodes.get(key)
                if found is None:  # deleted between the key page and the read
                    continue
                props = found.props
                unknown = set(props) - {node.key, *(c.name for c in columns)}
                if unknown:
                    raise ExportError(
                        f"{node.label} {key}: properties not in graph/schema.py: "
                        f"{', '.join(sorted(unknown))}"
                    )
                where = f"{node.label} {key}"
                fields = [_quoted(key)]
                fields += [encode(props.get(c.name), c.kind, f"{where}.{c.name}") for c in columns]
                fields.append(label_field)
                out.write(_row(fields))
                written += 1
            for edge in page.outgoing:
                where = f"{edge.type} {edge.src_key}->{edge.dst_key}"
                fields = [_quoted(edge.src_key), _quoted(edge.dst_key), _quoted(edge.type)]
                fields += [
                    encode(edge.props.get(c.name), c.kind, f"{where}.{c.name}")
                    for c in rel_columns_of[edge.type]
                ]
                rel_files.write(edge.type, edge.src_label, edge.dst_label, _row(fields))
            if progress:
                progress(node.label, written, max(total, written))
    return written


_OWN_NAMES = frozenset(
    {"nodes", "relationships", "import.sh", "schema.cypher", "manifest.json", "README.md"}
)


def import_arguments(summary: ExportSummary, database: str = "neo4j") -> list[str]:
    """``neo4j-admin database import full`` with every file written, relative to the
    export directory."""
    args = [
        "neo4j-admin",
        "database",
        "import",
        "full",
        "--overwrite-destination=true",
        f"--array-delimiter={ARRAY_DELIMITER}",
        "--multiline-fields=true",
        # Any bad entry (a relationship to a missing node, a duplicate key) fails the import
        # instead of being skipped into a report: nothing is lost silently.
        "--bad-tolerance=0",
    ]
    args += [f"--nodes={name}" for name in summary.files if name.startswith("nodes/")]
    args += [f"--relationships={name}" for name in summary.files if name.startswith("relation")]
    return [*args, database]


def schema_statements(model: GraphSchema | None = None) -> list[str]:
    return [s.text for s in adapter_statements(model).values() if s.mode == "schema"]


def _write_companions(directory: Path, summary: ExportSummary, model: GraphSchema) -> None:
    exported = summary.exported
    args = import_arguments(summary)
    lines = " \\\n  ".join(shlex.quote(a) for a in args[4:-1])
    script = f"""#!/bin/sh
# Import this ckb export into Neo4j 5 (written by `ckb export neo4j`).
# Neo4j must be stopped (an offline import replaces the database). Then start Neo4j and
# apply the constraints and indexes: cypher-shell -u neo4j -p ... -f schema.cypher
#   NEO4J_DATABASE  database to create or replace (default neo4j)
#   NEO4J_ADMIN     the neo4j-admin command (default: neo4j-admin on PATH)
set -eu
cd "$(dirname "$0")"
exec "${{NEO4J_ADMIN:-neo4j-admin}}" database import full \\
  {lines} \\
  --report-file="${{TMPDIR:-/tmp}}/ckb-import.report" \\
  "${{NEO4J_DATABASE:-neo4j}}"
"""
    (directory / "import.sh").write_text(script, encoding="utf-8")
    (directory / "import.sh").chmod(0o755)
    (directory / "schema.cypher").write_text(
        "".join(f"{text};\n" for text in schema_statements(model)), encoding="utf-8"
    )
    manifest = {
        "format": "neo4j-admin database import full",
        "array_delimiter": ARRAY_DELIMITER,
        "nodes": summary.exported.nodes,
        "relationships": summary.exported.relationships,
        "files": summary.files,
        "import": args,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (directory / "README.md").write_text(
        f"""# ckb graph export for neo4j-admin

{exported.total_nodes:,} nodes and {exported.total_relationships:,} relationships, one CSV file
per label (`nodes/`) and per relationship type and endpoint labels (`relationships/`), with
typed headers (`manifest.json` lists the rows of each file).

1. Stop Neo4j, then from this directory run `./import.sh` (NEO4J_DATABASE picks the
   database; it is replaced). The command it runs:

       {" ".join(shlex.quote(a) for a in args)}

2. Start Neo4j and apply the constraints and indexes of graph/schema.py:

       cypher-shell -u neo4j -p "$NEO4J_PASSWORD" -f schema.cypher

   (or `CKB_GRAPH=neo4j://localhost:7687 ckb schema apply`).

With Docker, `docker compose` does both: see docs/analysts.md.
""",
        encoding="utf-8",
    )
