"""One batch of raw records checked: which are valid (with the customers and references
they name and the graph rows they map to), which are rejected and why.

Pure (no store, no files), so the same code runs in the loading process and in the
second process of a parallel file load (loaders/parallel.py).

Field names match whatever their case, surrounding spaces or separators (``EMAIL``,
`` Phone ``, ``postal code``). A field the record does not have at all (no such column,
no such key) leaves what the graph holds unchanged: its property is left out of the rows,
not sent as null. A field given empty (an empty cell, ``""``, ``null``) clears it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

import orjson
from pydantic import ValidationError

from loaders.models import ID_PATTERN
from loaders.record_rows import Context, CustomerKey, Kind, Props, RecordRows, Ref, RelGroup
from loaders.sources import RawRecord, canonical_name


def validation_reasons(error: ValidationError) -> list[str]:
    reasons = []
    for e in error.errors(include_url=False):
        msg = _READABLE.get(e["msg"], e["msg"]).removeprefix("Value error, ")
        loc = ".".join(str(p) for p in e["loc"])
        if loc:
            got = e.get("input")
            shown = _got(got) if got is not None and not isinstance(got, dict) else ""
            reasons.append(f"{loc}: {msg}{shown}")
        else:
            reasons.append(msg)
    return reasons


# Messages that name a regular expression, said as a person would read them.
_READABLE = {
    f"String should match pattern '{ID_PATTERN}'": "must not contain control characters",
}


def _got(value: Any) -> str:
    try:
        return f" (got {value!r})"
    except RecursionError:  # a JSON line may nest 1,024 levels deep
        return " (got a value nested too deeply to show)"


def writable(record: Any) -> Any:
    """A rejected record as a rejects file (and the pipe from a reading process) can hold
    it: as it is, or, nested deeper than orjson writes (255 levels; a JSON line may nest
    1,024), as its JSON text."""
    if isinstance(record, dict | list):
        try:
            orjson.dumps(record, default=str)
        except TypeError:  # orjson.JSONEncodeError: "Recursion limit reached"
            try:
                return json.dumps(record, default=str)
            except RecursionError:
                return "(not shown: nested too deeply to write back)"
    return record


def batches(items: Iterable[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class Checked(NamedTuple):
    """A valid record: what it refers to and the rows it maps to (with placeholders for
    its customers, which only the store can resolve)."""

    line: int
    raw: Any  # None when the raw form stayed with a reading process
    customers: list[CustomerKey]
    refs: list[Ref]
    nodes: list[tuple[str, Props]]
    rels: list[tuple[RelGroup, str, str, Props]]


@dataclass(slots=True)
class CheckedBatch:
    read: int = 0
    rejects: list[tuple[int, Any, list[str]]] = field(default_factory=list)
    valid: list[Checked] = field(default_factory=list)
    ignored_fields: set[str] = field(default_factory=set)
    shared: list[tuple[str, Props]] = field(default_factory=list)  # see Context.shared


class _Names:
    """A record's keys as the model's field names (see the module doc); a batch's records
    mostly share their keys, so each is worked out once."""

    def __init__(self, fields: frozenset[str]) -> None:
        self.fields = fields
        self._known: dict[str, str | None] = {}

    def field(self, key: str) -> str | None:
        if key not in self._known:
            name = canonical_name(key)
            self._known[key] = name if name in self.fields else None
        return self._known[key]

    def renamed(self, data: dict[str, Any]) -> tuple[dict[str, Any], set[str], list[str]]:
        """The record under field names, the keys that name no field, and clashes (two
        keys naming one field)."""
        out: dict[str, Any] = {}
        unknown: set[str] = set()
        given: dict[str, str] = {}
        clashes = []
        for key, value in data.items():
            name = self.field(key)
            if name is None:
                unknown.add(key)
            elif name in given:
                clashes.append(f"{given[name]!r} and {key!r} both give {name}")
            else:
                given[name] = key
                out[name] = value
        return out, unknown, clashes


def _leave_absent(rows: RecordRows, absent: frozenset[str]) -> None:
    """Leave out of a record's rows the properties of fields it does not have (the
    mapping made them None): the graph keeps what it holds for them."""
    for _, props in rows.nodes:
        for name in absent.intersection(props):
            if props[name] is None:
                del props[name]
    for _, _, _, props in rows.rels:
        for name in absent.intersection(props):
            if props[name] is None:
                del props[name]


def check_batch(kind: Kind, system: str, batch: list[RawRecord]) -> CheckedBatch:
    checked = CheckedBatch(read=len(batch))
    model = kind.model
    fields = frozenset(model.model_fields)
    names = _Names(fields)
    customers, refs, to_rows = kind.customers, kind.refs, kind.to_rows
    ctx = Context(system)
    for raw in batch:
        data = raw.data
        if data is None:
            checked.rejects.append((raw.line, raw.text, [raw.error or "unreadable"]))
            continue
        given = data
        if not fields.issuperset(data):
            given, extra, clashes = names.renamed(data)
            if clashes:
                checked.rejects.append((raw.line, writable(data), clashes))
                continue
            checked.ignored_fields.update(extra)
        try:
            record = model.model_validate(given)
        except ValidationError as exc:
            checked.rejects.append((raw.line, writable(data), validation_reasons(exc)))
            continue
        rows = ctx.rows = RecordRows()
        to_rows(record, ctx)
        absent = fields - record.model_fields_set
        if absent:
            _leave_absent(rows, absent)
        checked.valid.append(
            Checked(
                raw.line,
                data,
                customers(record, system),
                refs(record, system),
                rows.nodes,
                rows.rels,
            )
        )
    checked.shared = [(label, props) for (label, _), props in ctx.shared.items()]
    return checked
