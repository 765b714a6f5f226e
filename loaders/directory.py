"""Which files of a directory ``ckb load-dir`` loads, as which kind, from which system.

Naming convention: ``<kind>.<ext>`` or ``<system>.<kind>.<ext>``, where ext is csv,
jsonl or ndjson, optionally gzip-compressed (``.gz``). Files load in dependency order
(product lines before products before holdings ...), whatever their names sort as.
EPCIS events (``epcis.jsonl`` or ``<system>.epcis.jsonl``, not compressed) are captured
after every record file, so their sales find the purchases they name. Purchased
demographics not yet matched to anyone (``ckb enrich`` input, whatever the file's name)
are recognised by their fields and left for ``ckb enrich``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from graph.errors import CkbError
from loaders.kinds import KINDS
from loaders.models import CustomerRef, DemographicRecord
from loaders.sources import SourceFileError, read_records
from loaders.system_names import SystemNameError, check_system_name

_EXTENSIONS = (".csv", ".jsonl", ".ndjson")
ENRICHMENT = "enrichment data (purchased demographics), not loaded here"


class PlannedLoad(NamedTuple):
    """One record file to load: as which kind, from which source system."""

    kind: str
    path: Path
    system: str


@dataclass(frozen=True, slots=True)
class DirectoryPlan:
    """A directory's files: the record files to load, in dependency order, and the rest."""

    loads: list[PlannedLoad]
    skipped: list[tuple[Path, str]]  # every file not loaded, and why
    captures: list[Path] = field(default_factory=list)  # EPCIS event files, in name order
    enrichments: list[Path] = field(default_factory=list)  # skipped ones for ckb enrich


def is_enrichment_file(path: Path) -> bool:
    """Whether a file holds purchased demographics for ``ckb enrich``: its first record has
    the fields a DemographicRecord needs and no customer reference (a third_party file,
    already matched, has one)."""
    needed = {name for name, f in DemographicRecord.model_fields.items() if f.is_required()}
    records = read_records(path)
    try:
        first = next(records, None)
    except SourceFileError:
        return False
    finally:
        if isinstance(records, Generator):
            records.close()  # and with it the file
    fields = set(first.data or ()) if first else set()
    return needed <= fields and not fields & set(CustomerRef.model_fields)


def plan_directory(directory: Path, default_system: str | None) -> DirectoryPlan:
    if not directory.is_dir():
        raise CkbError(f"{directory} is not a directory")
    order = {name: i for i, name in enumerate(KINDS)}
    loads: list[PlannedLoad] = []
    skipped: list[tuple[Path, str]] = []
    captures: list[Path] = []
    enrichments: list[Path] = []
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
            if is_enrichment_file(path):
                enrichments.append(path)
                skipped.append((path, ENRICHMENT))
            else:
                skipped.append((path, "name is not <kind> or <system>.<kind>"))
            continue
        system = parts[0] if len(parts) == 2 else default_system
        if not system:
            skipped.append((path, "no source system: name it <system>.<kind> or pass --source"))
            continue
        try:
            check_system_name(system)
        except SystemNameError as exc:
            skipped.append((path, str(exc)))
            continue
        loads.append(PlannedLoad(kind, path, system))
    loads.sort(key=lambda p: (order[p.kind], p.path.name))
    return DirectoryPlan(loads, skipped, captures, enrichments)
