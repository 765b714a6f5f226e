"""One batch of raw records checked: which are valid (with the customers and references
they name and the graph rows they map to), which are rejected and why.

Pure (no store, no files), so the same code runs in the loading process and in the
second process of a parallel file load (loaders/parallel.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from pydantic import ValidationError

from loaders.kinds import Context, CustomerKey, Kind, Props, RecordRows, Ref, RelGroup
from loaders.sources import RawRecord


def validation_reasons(error: ValidationError) -> list[str]:
    reasons = []
    for e in error.errors(include_url=False):
        msg = e["msg"].removeprefix("Value error, ")
        loc = ".".join(str(p) for p in e["loc"])
        if loc:
            got = e.get("input")
            shown = f" (got {got!r})" if got is not None and not isinstance(got, dict) else ""
            reasons.append(f"{loc}: {msg}{shown}")
        else:
            reasons.append(msg)
    return reasons


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


def check_batch(kind: Kind, system: str, batch: list[RawRecord]) -> CheckedBatch:
    checked = CheckedBatch(read=len(batch))
    model = kind.model
    fields = model.model_fields.keys()
    customers, refs, to_rows = kind.customers, kind.refs, kind.to_rows
    ctx = Context(system)
    for raw in batch:
        data = raw.data
        if data is None:
            checked.rejects.append((raw.line, raw.text, [raw.error or "unreadable"]))
            continue
        try:
            record = model.model_validate(data)
        except ValidationError as exc:
            checked.rejects.append((raw.line, data, validation_reasons(exc)))
            continue
        extra = data.keys() - fields
        if extra:
            checked.ignored_fields.update(extra)
        rows = ctx.rows = RecordRows()
        to_rows(record, ctx)
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
