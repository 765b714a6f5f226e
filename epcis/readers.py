"""Read, validate and build an EPCIS file's rows in a second process while this one writes.

EPCIS capture is two kinds of Python work: parsing, validating against GS1's schema and
building graph rows, and writing those rows to the store. Each holds the interpreter lock,
so threads cannot overlap them; a second process can (as loaders/parallel.py does for
record files). What crosses the pipe is each batch as :func:`epcis.batches.checked_batches`
makes it: rows, counts, results and rejects, in file order. Its busiest rows are staged
already (epcis/staging.py): flat tuples of strings, cheap to send and to receive.
"""

from __future__ import annotations

import copyreg
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from epcis.batches import CheckedBatch, checked_batches
from epcis.documents import read_documents
from graph.errors import CkbError
from loaders.pipes import children, received, send


class EpcisReaderFailedError(CkbError):
    """The reading process died without saying why (killed, out of memory)."""


def _read_only(props: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(props)


def _reduce_proxy(proxy: MappingProxyType[str, Any]) -> tuple[Any, tuple[dict[str, Any]]]:
    # A relationship without properties carries the shared read-only empty mapping, which
    # pickle cannot write as it is; it crosses as a dict and is read-only again on arrival.
    return _read_only, (dict(proxy),)


def checked_apart(path: Path, batch: int, keep_captured: bool) -> Iterator[CheckedBatch]:
    """The file's checked batches, in order, read and validated by another process."""
    # A child process over a pipe (loaders/pipes.py), as loaders/parallel.py: the pipe's
    # buffer is the backpressure (the reader blocks while the writer is busy).
    command = ["-m", "epcis.readers", str(path), str(batch), str(keep_captured)]
    with children([command]) as (reader,):
        yield from received(
            reader,
            f"the process reading {path} stopped",
            f"reading {path} failed",
            EpcisReaderFailedError,
        )


def _checked(path: Path, batch: int, keep_captured: bool) -> Iterator[CheckedBatch]:
    """The reading process's batches; opening the file is part of reading it, so a file
    that cannot be read fails as a reported error, not a dead process."""
    yield from checked_batches(read_documents(path), batch, keep_captured)


def main(argv: list[str]) -> int:
    path, batch, keep_captured = argv
    copyreg.pickle(MappingProxyType, _reduce_proxy)
    send(_checked(Path(path), int(batch), keep_captured == "True"), sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    # Run the module's importable copy, so what it pickles names epcis.readers'
    # functions (_read_only) rather than __main__'s.
    from epcis.readers import main as module_main

    sys.exit(module_main(sys.argv[1:]))
