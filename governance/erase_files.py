"""Erasing a person from files: the rejects files and ``ckb enrich``'s unmatched reports.

Lines of the rejects files (the directories given: push ingest's, which ``ckb load`` and
``ckb enrich`` use by default) that hold one of her identifiers, or that name her records
or customers, are removed; a line names a record by its system, which comes from the
file's name (``ingest.<system>.<kind>``, ``<system>.<kind>.<ext>``) or its
``customer_system`` — without one, IDs alone do not make a line hers. Rows of ``ckb
enrich``'s unmatched reports (no record, no identifier) are hers when they hold one of her
names with her birth date or postal code.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from governance.person import Identity, strings_in
from loaders.rejects import rewrite_rejects

_FIELD = re.compile(r"[,;\t|\"{}\[\]]")


def system_of(rejects_file: Path, kind: str) -> str | None:
    """The source system a rejects file's records came from, when its name tells: push
    ingest's ``ingest.<system>.<kind>``, a load of ``<system>.<kind>.<ext>``."""
    parts = rejects_file.name.removesuffix(".rejects.jsonl").split(".")
    if len(parts) == 3 and parts[0] == "ingest" and parts[2] == kind:
        return parts[1]
    if len(parts) == 3 and parts[1] == kind:
        return parts[0]
    return None


def _names(record: Mapping[str, Any], kind: str, system: str | None) -> set[str]:
    """The source record keys and golden IDs a record refers to."""
    named = {str(record["ckb_customer_id"])} if record.get("ckb_customer_id") else set()
    refs = [(record.get("customer_system") or system, record.get("customer_id"))]
    refs += [(record.get(f"{end}_system") or system, record.get(f"{end}_customer_id"))
             for end in ("from", "to")]  # fmt: skip
    if kind == "customers":
        refs.append((system, record.get("source_record_id")))
    named.update(f"{s}:{i}" for s, i in refs if s and i not in (None, ""))
    return named


def rejects_line_is_hers(
    entry: Any, system: str | None, ids: Mapping[str, str], identity: Identity
) -> bool:
    """A rejected record is hers when it holds one of her identifiers, or her full name
    with her birth date or postal code, or names one of her records or customers (by
    system and ID)."""
    if isinstance(entry, str):
        parts = [part.strip() for part in _FIELD.split(entry)]
        return any(identity.identifies(part) for part in parts) or identity.owns_row(parts)
    record = entry.get("record") if isinstance(entry, dict) else entry
    if isinstance(record, str):
        return rejects_line_is_hers(record, system, ids, identity)
    strings = list(strings_in(record))
    if isinstance(record, dict):
        names = (record.get("given_name"), record.get("family_name"))
        strings.append(" ".join(str(n) for n in names if n))
    if any(identity.identifies(s) for s in strings) or identity.owns_row(strings):
        return True
    kind = str(entry.get("kind")) if isinstance(entry, dict) else ""
    return isinstance(record, dict) and bool(_names(record, kind, system) & ids.keys())


def rejects_drop(path: Path, ids: Mapping[str, str], identity: Identity) -> Callable[[Any], bool]:
    def drop(entry: Any) -> bool:
        kind = str(entry.get("kind")) if isinstance(entry, dict) else ""
        return rejects_line_is_hers(entry, system_of(path, kind), ids, identity)

    return drop


def report_drop(identity: Identity) -> Callable[[Any], bool]:
    def drop(entry: Any) -> bool:
        return isinstance(entry, str) and any(identity.owns_row(r) for r in csv.reader([entry]))

    return drop


def scrub_rejects(path: Path, ids: Mapping[str, str], identity: Identity) -> int:
    """Remove her lines from one rejects file; how many went."""
    return rewrite_rejects(path, rejects_drop(path, ids, identity))


def scrub_report(path: Path, identity: Identity) -> int:
    """Remove her rows from a CSV report of rows matched to nobody; how many went."""
    return rewrite_rejects(path, report_drop(identity))


def files_matching(directories: Sequence[Path], pattern: str) -> list[Path]:
    unique = dict.fromkeys(Path(d).resolve() for d in directories)
    return [path for d in unique if d.is_dir() for path in sorted(d.glob(pattern))]
