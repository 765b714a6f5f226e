"""Validation of one batch of raw records: which are valid, which are rejected and why.

Pure (no store, no files), so the same code runs in the loading process and in the
second process of a parallel file load (loaders/parallel.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from pydantic import ValidationError

from loaders.kinds import CustomerKey, Kind, Ref
from loaders.models import Record
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
    """A valid record and what it refers to (both pure functions of the record)."""

    line: int
    raw: Any  # None when the raw form stayed with a reading process
    record: Record
    customers: list[CustomerKey]
    refs: list[Ref]


@dataclass(slots=True)
class CheckedBatch:
    read: int = 0
    rejects: list[tuple[int, Any, list[str]]] = field(default_factory=list)
    valid: list[Checked] = field(default_factory=list)
    ignored_fields: set[str] = field(default_factory=set)


def check_batch(kind: Kind, system: str, batch: list[RawRecord]) -> CheckedBatch:
    checked = CheckedBatch(read=len(batch))
    model = kind.model
    fields = model.model_fields.keys()
    customers, refs = kind.customers, kind.refs
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
        checked.valid.append(
            Checked(raw.line, data, record, customers(record, system), refs(record, system))
        )
    return checked
