"""One pure computation over many items, in chunks shared with forked processes.

Why: ``ckb resolve`` compares every candidate pair (100k customers: 2.5M pairs, about
15 s of one core), each pair's levels a pure function of two profiles the process holds
already. Threads cannot share that work (it holds the interpreter lock); processes forked
from this one can, and they inherit the profiles and the comparer copy-on-write: only
each chunk's bounds go to a worker, and only its result comes back. This process works
chunks too. The results are taken in the chunks' order, so the output is the one a
single process makes.

Where forking does not pay or is not safe, the chunks run here, one after another: below
``PARALLEL_LEAST`` items (starting the workers costs more than it saves), on one core,
where ``fork`` does not exist (not POSIX), and from any thread but the main one — the
API answers requests on threads, and a child forked beside another thread can inherit a
lock that thread held. A worker that fails makes the whole call fail; nothing falls back.
This module holds the process mechanics only, so the domain code calling it stays pure.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from graph.errors import CkbError

T = TypeVar("T")

WORKERS_ENV = "CKB_RESOLVE_WORKERS"
MOST_WORKERS = 4  # by default; more than the cores buys nothing
# Items (candidate pairs) below which one process is faster: starting the workers (a
# fork of a process holding the profiles) and their cold caches cost about as much as
# comparing this many pairs.
PARALLEL_LEAST = 200_000
PARENT_CHECK_SECONDS = 1.0  # how often a worker looks whether its parent is alive

# What the forked workers run: held for the length of one ``chunked`` call, inherited at
# fork (a closure over the parent's objects, which could not cross a pipe cheaply).
_work: list[Callable[[int, int], Any]] = []


class WorkerFailedError(CkbError):
    """A worker process died without saying why (killed, out of memory)."""


def worker_count(environ: Mapping[str, str] = os.environ) -> int:
    """Processes to share the work: ``CKB_RESOLVE_WORKERS`` (1: this process alone), else
    one per core, at most ``MOST_WORKERS``."""
    setting = environ.get(WORKERS_ENV, "").strip()
    if setting:
        if not setting.isdigit() or not 1 <= int(setting) <= 16:
            raise CkbError(f"{WORKERS_ENV} must be a number from 1 to 16, not {setting!r}")
        return int(setting)
    return max(1, min(MOST_WORKERS, os.cpu_count() or 1))


def can_fork() -> bool:
    """Whether this process may fork workers now: POSIX, and on the main thread."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
    )


def chunked(
    work: Callable[[int, int], T],
    total: int,
    size: int,
    done: Callable[[int], None] | None = None,
    workers: int | None = None,
    least: int | None = None,
) -> list[T]:
    """``work(start, stop)`` for each chunk of ``range(total)``, ``size`` long, the results
    in the chunks' order; ``done(stop)`` told as each chunk's result is in, in order.
    ``work`` must be a pure function of what the process holds: shared by ``workers``
    processes (default ``worker_count()``: this one and forked ones) when there are
    ``least`` items (default ``PARALLEL_LEAST``) or more and ``can_fork()``, else all
    here. A worker's exception is raised here."""
    bounds = [(start, min(start + size, total)) for start in range(0, total, size)]
    count = worker_count() if workers is None else workers
    if (
        count < 2
        or len(bounds) < 2
        or total < (PARALLEL_LEAST if least is None else least)
        or (os.cpu_count() or 1) < 2
        or not can_fork()
        or _work  # called from within a chunk's work: no forks of forks
    ):
        results = []
        for start, stop in bounds:
            results.append(work(start, stop))
            if done is not None:
                done(stop)
        return results
    return _forked(work, bounds, min(count, len(bounds)), done)


def _forked(
    work: Callable[[int, int], T],
    bounds: list[tuple[int, int]],
    count: int,
    done: Callable[[int], None] | None,
) -> list[T]:
    """``chunked``'s chunks shared by this process and ``count - 1`` forked workers:
    each worker is kept two chunks ahead, and this process works the chunks between
    (rather than waiting: one process fewer to fork, whose copied pages and caches of its
    own would cost memory and time)."""
    _work.append(work)
    executor = ProcessPoolExecutor(
        count - 1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_started,
        initargs=(os.getpid(),),
    )
    try:
        results: list[T] = []
        mine: dict[int, T] = {}  # chunks worked here, by index, until taken in order
        theirs: dict[int, Future[T]] = {}  # chunks handed to the workers
        queued = 2 * (count - 1)  # so a worker finishing one has the next at hand
        for at, (start, stop) in enumerate(bounds):
            # Hand the workers chunks up to ``queued`` not done; work the next one here.
            if sum(not f.done() for f in theirs.values()) < queued:
                theirs[at] = _submit(executor, start, stop)
            else:
                mine[at] = work(start, stop)
            _take(bounds, theirs, mine, results, done, wait=False)
        _take(bounds, theirs, mine, results, done, wait=True)
        return results
    finally:
        # Waits for the workers to exit (none left behind), dropping chunks not started.
        executor.shutdown(wait=True, cancel_futures=True)
        _work.clear()


def _submit(executor: ProcessPoolExecutor, start: int, stop: int) -> Future[Any]:
    with warnings.catch_warnings():
        # Python 3.12 warns of a fork beside other threads (a progress bar's monitor, a
        # test runner's): a child could inherit a lock one of them held. These children
        # take none but their own queues' (made before the fork, held by no thread) and
        # leave by os._exit.
        warnings.filterwarnings("ignore", "This process .* multi-threaded", DeprecationWarning)
        return executor.submit(_run, start, stop)


def _take(
    bounds: list[tuple[int, int]],
    futures: dict[int, Future[T]],
    mine: dict[int, T],
    results: list[T],
    done: Callable[[int], None] | None,
    wait: bool,
) -> None:
    """Move the results that come next in order, worked here or by a worker, to
    ``results`` (telling ``done``); ``wait``: for every one, else for none."""
    while len(results) < len(bounds):
        at = len(results)
        if at in mine:
            results.append(mine.pop(at))
        elif at in futures and (wait or futures[at].done()):
            try:
                results.append(futures.pop(at).result())
            except BrokenProcessPool as exc:
                raise WorkerFailedError(
                    f"a worker process stopped without saying why ({exc})"
                ) from exc
        else:
            return
        if done is not None:
            done(bounds[at][1])


def _worker_started(parent: int) -> None:
    """A forked worker's start. The work builds no cycles, and a collection here would
    walk (so copy) every object inherited from the parent. A worker waits for chunks on a
    pipe it holds both ends of, so it would wait for ever once its parent is killed: it
    leaves when its parent is gone."""
    gc.disable()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="ckb-parent-watch", daemon=True).start()


def _run(start: int, stop: int) -> Any:
    """A worker's share: one chunk of the work inherited at fork."""
    if not _work:
        raise RuntimeError("a worker process without work: it was not forked by chunked()")
    return _work[0](start, stop)
