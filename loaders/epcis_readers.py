"""Read, validate and build an EPCIS file's rows in a second process while this one writes.

EPCIS capture is two kinds of Python work: parsing, validating against GS1's schema and
building graph rows, and writing those rows to the store. Each holds the interpreter lock,
so threads cannot overlap them; a second process can (as loaders/parallel.py does for
record files). What crosses the pipe is each batch as :func:`loaders.epcis.checked_batches`
makes it: rows, counts, results and rejects, in file order.
"""

from __future__ import annotations

import contextlib
import copyreg
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

from graph.errors import CkbError
from loaders.epcis import CheckedBatch, checked_batches, read_documents

_PROTOCOL = 5
_PIPE_BUFFER = 1 << 20


class EpcisReaderFailedError(CkbError):
    """The reading process died without saying why (killed, out of memory)."""


@dataclass(slots=True)
class _Done:
    pass


@dataclass(slots=True)
class _Failed:
    error: BaseException | None
    text: str


def _read_only(props: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(props)


def _reduce_proxy(proxy: MappingProxyType[str, Any]) -> tuple[Any, tuple[dict[str, Any]]]:
    # A relationship without properties carries the shared read-only empty mapping, which
    # pickle cannot write as it is; it crosses as a dict and is read-only again on arrival.
    return _read_only, (dict(proxy),)


def _read_and_check(path: Path, batch: int, keep_captured: bool, out: IO[bytes]) -> None:
    """The reading process: the file's checked batches, in order; then _Done."""
    copyreg.pickle(MappingProxyType, _reduce_proxy)
    try:
        for checked in checked_batches(read_documents(path), batch, keep_captured):
            pickle.dump(checked, out, protocol=_PROTOCOL)
        pickle.dump(_Done(), out, protocol=_PROTOCOL)
        out.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        # The capturing process stopped reading: it failed or was interrupted, and says so.
        _silence(out)
    except BaseException as exc:  # reported to the capturing process, which raises it
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


def checked_apart(path: Path, batch: int, keep_captured: bool) -> Iterator[CheckedBatch]:
    """The file's checked batches, in order, read and validated by another process."""
    # A plain child process over a pipe, as loaders/parallel.py: the pipe's buffer is the
    # backpressure (the reader blocks while the writer is busy).
    reader = subprocess.Popen(
        [sys.executable, "-m", "loaders.epcis_readers", str(path), str(batch), str(keep_captured)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        bufsize=_PIPE_BUFFER,
    )
    assert reader.stdout is not None
    try:
        while True:
            try:
                # Our own child process writes this pipe; nothing else can.
                item = pickle.load(reader.stdout)  # noqa: S301
            except EOFError:
                raise EpcisReaderFailedError(
                    f"the process reading {path} stopped (exit code {reader.wait()})"
                ) from None
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                if item.error is not None:
                    raise item.error
                raise EpcisReaderFailedError(f"reading {path} failed: {item.text}")
            yield item
    finally:
        reader.stdout.close()
        if reader.poll() is None:
            reader.terminate()
        reader.wait()


def main(argv: list[str]) -> int:
    path, batch, keep_captured = argv
    _read_and_check(Path(path), int(batch), keep_captured == "True", sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    # Run the module's importable copy, so what it pickles names loaders.epcis_readers'
    # classes rather than __main__'s.
    from loaders.epcis_readers import main as module_main

    sys.exit(module_main(sys.argv[1:]))
