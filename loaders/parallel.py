"""Read, validate and map a file in a second process while this one writes.

A file load is two kinds of Python work: reading, validating and mapping records to graph
rows, and writing those rows to the store. Each holds the interpreter lock, so threads
cannot overlap them; a second process can, and on a two-core machine the store's writes
then no longer wait for the next batch. What crosses between the processes is each valid
record's rows (customers still as placeholders: only the store can resolve them) and the
customers and references it names, the reject reasons, and rejected records' raw form;
for the embedded store the rows are staged already (loaders/staging.py): flat tuples of
key and JSON text, cheap to unpickle and ready for the store's staging tables.
Raw forms of valid records stay behind; the few that the writer later rejects (an unknown
customer or product) are read again from the file at the end (``raw_records``).
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph.errors import CkbError
from graph.memory import gc_paused
from loaders.checking import CheckedBatch, batches, check_batch
from loaders.kinds import KINDS
from loaders.pipes import children, received, send
from loaders.record_rows import Kind
from loaders.sources import read_records
from loaders.staging import StagedBatch, Stager

# Below this size a file loads in a few seconds; starting a process would cost more.
PARALLEL_MIN_BYTES = 8 << 20


class ReaderFailedError(CkbError):
    """The reading process died without saying why (killed, out of memory)."""


def worth_parallel(path: Path) -> bool:
    """A second process pays off on a big file and a machine with a core to spare;
    ``CKB_LOAD_PARALLEL=0`` turns it off, ``=1`` forces it (tests)."""
    setting = os.environ.get("CKB_LOAD_PARALLEL", "").strip()
    if setting in {"0", "1"}:
        return setting == "1"
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if path.name.lower().endswith(".gz"):
        size *= 5  # the samples' CSV and JSON Lines compress about five to one
    return size >= PARALLEL_MIN_BYTES and (os.cpu_count() or 1) > 1


def _without_raw(checked: CheckedBatch, stager: Stager | None) -> CheckedBatch | StagedBatch:
    """What crosses the pipe: the batch staged when the load stages rows, else checked;
    valid records' raw forms stay here."""
    staged = stager.stage(checked, keep_raw=False) if stager is not None else None
    if staged is not None:
        return staged
    checked.valid = [c._replace(raw=None) for c in checked.valid]
    return checked


def _checked_share(argv: list[str]) -> Iterator[CheckedBatch | StagedBatch]:
    """A reading process's share of the file's batches, checked (and staged, with ``now``
    as the load's time), in order; ``argv`` as :func:`checked_batches` writes it."""
    kind_name, system, path, batch_size, share, encoding, now = argv
    mine, readers = (int(n) for n in share.split("/"))
    kind = KINDS[kind_name]
    stager = Stager(now) if now else None
    pending = batches(read_records(Path(path), encoding=encoding or None), int(batch_size))
    for i in itertools.count():
        # Paused while a batch is read, checked and sent, as in Loader.run_checked; freed
        # before the collector resumes, so the collection that sets off walks none of it.
        with gc_paused():
            batch = next(pending, None)
            if batch is None:
                break
            if i % readers == mine:
                yield _without_raw(check_batch(kind, system, batch), stager)
            del batch


def reader_count(kind: Kind) -> int:
    """Reading processes per load: ``CKB_LOAD_READERS``, else one per core beyond the
    writer's, or one per core for kinds whose mapping outweighs writing (at least one, at
    most four). More readers than cores cost little: a reader that is ahead blocks on its
    full pipe and leaves the core to the others."""
    setting = os.environ.get("CKB_LOAD_READERS", "").strip()
    if setting:
        if not setting.isdigit() or not 1 <= int(setting) <= 16:
            raise CkbError(f"CKB_LOAD_READERS must be a number from 1 to 16, not {setting!r}")
        return int(setting)
    cores = os.cpu_count() or 1
    return max(1, min(4, cores if kind.heavy_mapping else cores - 1))


def checked_batches(
    kind: Kind,
    system: str,
    path: Path,
    batch_size: int,
    encoding: str | None = None,
    now: str | None = None,
) -> Iterator[CheckedBatch | StagedBatch]:
    """The file's checked batches, in order, read and validated by other processes;
    staged (loaders/staging.py) with ``now`` as the load's time when it is given.

    Reader k of n checks batches k, k + n, k + 2n ... (each parses the whole file, which
    is cheap next to validating and mapping); they are taken from each in turn.
    """
    # Child processes over pipes (loaders/pipes.py): a reader blocks while the writer is busy.
    count = reader_count(kind)
    commands = [
        ["-m", "loaders.parallel", kind.name, system, str(path), str(batch_size),
         f"{k}/{count}", encoding or "", now or ""]
        for k in range(count)
    ]  # fmt: skip
    with children(commands) as readers:
        streams = [
            received(
                reader,
                f"a process reading {path} stopped",
                f"reading {path} failed",
                ReaderFailedError,
            )
            for reader in readers
        ]
        for turn in itertools.count():
            item = next(streams[turn % count], None)
            if item is None:
                return  # the batch due next does not exist, so neither does any later one
            yield item


def raw_records(path: Path, lines: set[int], encoding: str | None = None) -> dict[int, Any]:
    """The raw form of the records starting on ``lines``, read from the file again."""
    found: dict[int, Any] = {}
    if not lines:
        return found
    last = max(lines)
    for raw in read_records(path, lines, encoding):
        found[raw.line] = raw.data if raw.data is not None else raw.text
        if raw.line >= last:
            break
    return found


def main(argv: list[str]) -> int:
    send(_checked_share(argv), sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    # Run the module's importable copy, so the module is not loaded twice (as __main__
    # and as loaders.parallel) and whatever it pickles names its importable name.
    from loaders.parallel import main as module_main

    sys.exit(module_main(sys.argv[1:]))
