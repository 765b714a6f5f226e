"""Items streamed from a child process to its parent over the child's standard output.

A file load reads and checks in child processes while the parent writes (loaders/parallel.py
for record files, epcis/readers.py for EPCIS). Both speak this protocol: the child
pickles each item in turn, then a ``Done`` marker, or a ``Failed`` report carrying what it
raised; the parent reads until ``Done`` and raises the child's failure as its own.

Plain child processes over pipes rather than multiprocessing: spawn would re-import the
caller's main module, and fork would copy a process holding SQLite and threads. A pipe's
buffer is the backpressure: a child blocks while the parent is busy writing.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from graph.errors import CkbError

PROTOCOL = 5
PIPE_BUFFER = 1 << 20


@dataclass(slots=True)
class Done:
    """The child sent every item."""


@dataclass(slots=True)
class Failed:
    """The child stopped on an exception: the exception when it pickles, else its text."""

    error: BaseException | None
    text: str


def send(items: Iterable[Any], out: IO[bytes]) -> None:
    """In the child: pickle each of ``items`` to ``out``, then ``Done``; whatever producing
    them raises goes to the parent as ``Failed``."""
    try:
        for item in items:
            pickle.dump(item, out, protocol=PROTOCOL)
            # Dropped before the producer resumes: it may free its batch and let the
            # garbage collector run, which should find nothing of it left.
            del item
        pickle.dump(Done(), out, protocol=PROTOCOL)
        out.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        # The parent stopped reading: it failed or was interrupted, and says so.
        silence(out)
    except BaseException as exc:  # reported to the parent, which raises it
        try:
            failed = pickle.dumps(Failed(exc, str(exc)), protocol=PROTOCOL)
        except Exception:
            failed = pickle.dumps(Failed(None, f"{type(exc).__name__}: {exc}"))
        try:
            out.write(failed)
            out.flush()
        except OSError:
            silence(out)


def silence(out: IO[bytes]) -> None:
    """Point the pipe's descriptor at /dev/null so exiting does not report a broken pipe
    for what is still buffered."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())


@contextlib.contextmanager
def children(commands: Sequence[Sequence[str]]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``python -m``-style children, one per command (its arguments after the interpreter),
    each writing to a pipe; stopped and waited for on leaving, whether they finished or not."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        for command in commands:
            started.append(
                subprocess.Popen(
                    [sys.executable, *command],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    bufsize=PIPE_BUFFER,
                )
            )
        yield started
    finally:
        for child in started:
            if child.stdout is not None:
                child.stdout.close()
            if child.poll() is None:
                child.terminate()
            child.wait()


def received(
    child: subprocess.Popen[bytes], stopped: str, failed: str, error: type[CkbError]
) -> Iterator[Any]:
    """In the parent: the child's items until its ``Done``. Its failure is raised here: the
    exception it sent, else ``error`` saying ``failed`` and its text; a child that died
    without a word (killed, out of memory) raises ``error`` saying ``stopped``."""
    assert child.stdout is not None
    while True:
        try:
            # Our own child process writes this pipe; nothing else can.
            item = pickle.load(child.stdout)  # noqa: S301
        except EOFError:
            raise error(f"{stopped} (exit code {child.wait()})") from None
        if isinstance(item, Done):
            return
        if isinstance(item, Failed):
            if item.error is not None:
                raise item.error
            raise error(f"{failed}: {item.text}")
        yield item
