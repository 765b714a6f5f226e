"""Cypher results for people and programs: a table, CSV or JSON.

Nodes read as ``(:Customer {id: "C1", name: "Ann"})``, relationships as
``[:HOLDS {role: "primary"}]`` and paths as the chain of both, the way Cypher writes
them; in JSON they are objects with their labels or type and properties. Temporal and
spatial values print in ISO 8601 / their WKT-like text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from neo4j.graph import Node, Path, Relationship

from graph.cypher_shell import CypherResult

FORMATS = ("table", "json", "csv")
_MAX_CELL = 120  # a table cell longer than this is cut with an ellipsis


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "iso_format"):  # neo4j.time Date, DateTime, Time, Duration
        return str(value.iso_format())
    return str(value)


def _props_text(props: Mapping[str, Any]) -> str:
    if not props:
        return ""
    inner = ", ".join(f"{k}: {literal(v)}" for k, v in sorted(props.items()))
    return f" {{{inner}}}"


def _node_text(node: Node) -> str:
    labels = "".join(f":{label}" for label in sorted(node.labels))
    return f"({labels}{_props_text(dict(node))})"


def _rel_text(rel: Relationship) -> str:
    return f"[:{rel.type}{_props_text(dict(rel))}]"


def _path_text(path: Path) -> str:
    parts = [_node_text(path.start_node)]
    current = path.start_node
    for rel in path.relationships:
        forward = rel.start_node is not None and rel.start_node.element_id == current.element_id
        other = rel.end_node if forward else rel.start_node
        parts.append(f"-{_rel_text(rel)}->" if forward else f"<-{_rel_text(rel)}-")
        if other is not None:
            parts.append(_node_text(other))
            current = other
    return "".join(parts)


def literal(value: Any) -> str:
    """A value as Cypher would write it (strings quoted): inside lists, maps and nodes."""
    if isinstance(value, Node):
        return _node_text(value)
    if isinstance(value, Relationship):
        return _rel_text(value)
    if isinstance(value, Path):
        return _path_text(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return _scalar_text(value)


def cell(value: Any) -> str:
    """A value in a table or CSV cell: text and numbers bare, the rest as literals."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return literal(value)


def plain(value: Any) -> Any:  # noqa: PLR0911 - one return per kind of value
    """A value as JSON data."""
    if isinstance(value, Node):
        return {"labels": sorted(value.labels), "properties": plain(dict(value))}
    if isinstance(value, Relationship):
        ends = (value.start_node, value.end_node)
        return {
            "type": value.type,
            "start": plain(ends[0]) if ends[0] is not None else None,
            "end": plain(ends[1]) if ends[1] is not None else None,
            "properties": plain(dict(value)),
        }
    if isinstance(value, Path):
        return {
            "nodes": [plain(n) for n in value.nodes],
            "relationships": [
                {"type": r.type, "properties": plain(dict(r))} for r in value.relationships
            ],
            "text": _path_text(value),
        }
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "iso_format"):
        return str(value.iso_format())
    return str(value)


def _cut(text: str) -> str:
    flat = " ".join(text.split("\n"))
    return flat if len(flat) <= _MAX_CELL else flat[: _MAX_CELL - 1] + "…"


def render_table(result: CypherResult) -> str:
    if not result.keys:
        return ""
    rows = [[_cut(cell(v)) for v in row] for row in result.rows]
    widths = [max([len(k), *(len(r[i]) for r in rows)]) for i, k in enumerate(result.keys)]
    numeric = [
        bool(result.rows)
        and all(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in result.rows)
        for i in range(len(result.keys))
    ]

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(result.keys), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def render_csv(result: CypherResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.keys)
    writer.writerows([cell(v) for v in row] for row in result.rows)
    return buffer.getvalue().rstrip("\n")


def render_json(result: CypherResult) -> str:
    rows = [{k: plain(v) for k, v in zip(result.keys, row, strict=True)} for row in result.rows]
    return json.dumps(rows, indent=2, ensure_ascii=False)


def render(result: CypherResult, fmt: str) -> str:
    if fmt == "json":
        return render_json(result)
    if fmt == "csv":
        return render_csv(result)
    return render_table(result)


def footer(result: CypherResult) -> str:
    """What a statement did, for a person (stderr): rows, changes, time."""
    rows = len(result.rows)
    parts = [f"{rows:,} row{'s' if rows != 1 else ''}"]
    parts += [f"{name.replace('_', ' ')}: {n:,}" for name, n in result.counters.items()]
    return ", ".join(parts) + f" ({result.seconds * 1000:,.0f} ms)"
