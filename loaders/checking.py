"""Validation of one batch of raw records: which are valid, which are rejected and why.

Pure (no store, no files), so the same code runs in the loading process and in the
second process of a parallel file load (loaders/parallel.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

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


@dataclass(slots=True)
class CheckedBatch:
    read: int = 0
    rejects: list[tuple[int, Any, list[str]]] = field(default_factory=list)
    # (line, the raw record or None when it stayed with the reading process, the record)
    valid: list[tuple[int, Any, Record]] = field(default_factory=list)
    ignored_fields: set[str] = field(default_factory=set)


def check_batch(model: type[Record], batch: list[RawRecord]) -> CheckedBatch:
    checked = CheckedBatch(read=len(batch))
    fields = model.model_fields.keys()
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
        checked.valid.append((raw.line, data, record))
    return checked
