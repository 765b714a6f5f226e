"""Which files of a directory ``ckb load-dir`` loads, as which kind, from which system.

Naming convention: ``<kind>.<ext>`` or ``<system>.<kind>.<ext>``, where ext is csv,
jsonl or ndjson, optionally gzip-compressed (``.gz``). Files load in dependency order
(product lines before products before holdings ...), whatever their names sort as.
EPCIS events (``epcis.jsonl`` or ``<system>.epcis.jsonl``, not compressed) are captured
after every record file, so their sales find the purchases they name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from graph.errors import CkbError
from loaders.kinds import KINDS

_EXTENSIONS = (".csv", ".jsonl", ".ndjson")


@dataclass(frozen=True, slots=True)
class PlannedLoad:
    kind: str
    path: Path
    system: str


@dataclass(frozen=True, slots=True)
class DirectoryPlan:
    loads: list[PlannedLoad]
    skipped: list[tuple[Path, str]]
    captures: list[Path] = field(default_factory=list)  # EPCIS event files, in name order


def plan_directory(directory: Path, default_system: str | None) -> DirectoryPlan:
    if not directory.is_dir():
        raise CkbError(f"{directory} is not a directory")
    order = {name: i for i, name in enumerate(KINDS)}
    loads: list[PlannedLoad] = []
    skipped: list[tuple[Path, str]] = []
    captures: list[Path] = []
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        stem = path.name.removesuffix(".gz")
        ext = next((e for e in _EXTENSIONS if stem.endswith(e)), None)
        if ext is None:
            skipped.append((path, "not .csv / .jsonl / .ndjson"))
            continue
        parts = stem.removesuffix(ext).split(".")
        kind = parts[-1]
        if kind == "epcis" and len(parts) <= 2 and ext != ".csv" and stem == path.name:
            captures.append(path)
            continue
        if kind not in KINDS or len(parts) > 2:
            skipped.append((path, "name is not <kind> or <system>.<kind>"))
            continue
        system = parts[0] if len(parts) == 2 else default_system
        if not system:
            skipped.append((path, "no source system: name it <system>.<kind> or pass --source"))
            continue
        loads.append(PlannedLoad(kind, path, system))
    loads.sort(key=lambda p: (order[p.kind], p.path.name))
    return DirectoryPlan(loads, skipped, captures)
