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

import contextlib
import itertools
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from graph.errors import CkbError
from graph.memory import gc_paused
from loaders.checking import CheckedBatch, batches, check_batch
from loaders.kinds import KINDS, Kind
from loaders.sources import read_records
from loaders.staging import StagedBatch, Stager

# Below this size a file loads in a few seconds; starting a process would cost more.
PARALLEL_MIN_BYTES = 8 << 20
_PROTOCOL = 5
Share = tuple[int, int]  # this reader's number, how many readers
_PIPE_BUFFER = 1 << 20


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


@dataclass(slots=True)
class _Done:
    pass


@dataclass(slots=True)
class _Failed:
    error: BaseException | None
    text: str


def _without_raw(checked: CheckedBatch, stager: Stager | None) -> CheckedBatch | StagedBatch:
    """What crosses the pipe: the batch staged when the load stages rows, else checked;
    valid records' raw forms stay here."""
    staged = stager.stage(checked, keep_raw=False) if stager is not None else None
    if staged is not None:
        return staged
    checked.valid = [c._replace(raw=None) for c in checked.valid]
    return checked


def _read_and_check(
    kind_name: str,
    system: str,
    path: Path,
    batch_size: int,
    share: Share,
    out: IO[bytes],
    encoding: str | None = None,
    now: str | None = None,
) -> None:
    """A reading process: its share of the file's batches, checked (and staged, with
    ``now`` as the load's time), in order; then _Done."""
    mine, readers = share
    try:
        kind = KINDS[kind_name]
        stager = Stager(now) if now else None
        pending = batches(read_records(path, encoding=encoding), batch_size)
        for i in itertools.count():
            # Paused while a batch is read and checked, as in Loader.run_checked; freed
            # before the collector resumes, so the collection that sets off walks none of it.
            with gc_paused():
                batch = next(pending, None)
                if batch is None:
                    break
                if i % readers == mine:
                    pickle.dump(
                        _without_raw(check_batch(kind, system, batch), stager),
                        out,
                        protocol=_PROTOCOL,
                    )
                del batch
        pickle.dump(_Done(), out, protocol=_PROTOCOL)
        out.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        # The loading process stopped reading: it failed or was interrupted, and says so.
        _silence(out)
    except BaseException as exc:  # reported to the loading process, which raises it
        try:
            failed = pickle.dumps(_Failed(exc, str(exc)), protocol=_PROTOCOL)
        except Exception:
            failed = pickle.dumps(_Failed(None, f"{type(exc).__name__}: {exc}"))
        try:
            out.write(failed)
            out.flush()
        except OSError:
            _silence(out)


def _silence(out: IO[bytes]) -> None:
    """Point the pipe's descriptor at /dev/null so exiting does not report a broken pipe
    for what is still buffered."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())


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
    # Plain child processes over pipes rather than multiprocessing: spawn would re-import
    # the caller's main module, and fork would copy a process holding SQLite and threads.
    # A pipe's buffer is the backpressure: a reader blocks while the writer is busy.
    count = reader_count(kind)
    readers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "loaders.parallel",
                kind.name,
                system,
                str(path),
                str(batch_size),
                f"{k}/{count}",
                encoding or "",
                now or "",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            bufsize=_PIPE_BUFFER,
        )
        for k in range(count)
    ]
    try:
        for turn in itertools.count():
            reader = readers[turn % count]
            assert reader.stdout is not None
            try:
                # Our own child process writes this pipe; nothing else can.
                item = pickle.load(reader.stdout)  # noqa: S301
            except EOFError:
                raise ReaderFailedError(
                    f"a process reading {path} stopped (exit code {reader.wait()})"
                ) from None
            if isinstance(item, _Done):
                return  # the batch due next does not exist, so neither does any later one
            if isinstance(item, _Failed):
                if item.error is not None:
                    raise item.error
                raise ReaderFailedError(f"reading {path} failed: {item.text}")
            yield item
    finally:
        for reader in readers:
            if reader.stdout is not None:
                reader.stdout.close()
            if reader.poll() is None:
                reader.terminate()
            reader.wait()


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
    kind_name, system, path, batch_size, share, encoding, now = argv
    mine, readers = (int(n) for n in share.split("/"))
    _read_and_check(
        kind_name,
        system,
        Path(path),
        int(batch_size),
        (mine, readers),
        sys.stdout.buffer,
        encoding or None,
        now or None,
    )
    return 0


if __name__ == "__main__":
    # Run the module's importable copy, so what it pickles names loaders.parallel's
    # classes rather than __main__'s.
    from loaders.parallel import main as module_main

    sys.exit(module_main(sys.argv[1:]))
