"""Candidate pairs compared in forked worker processes (identity/parallel.py) give what one
process gives: the same levels in the same order, the same clusters and weights; a
worker's failure fails the call; no worker outlives it."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.errors import CkbError
from identity import clustering, parallel
from identity.blocking import candidate_codes
from identity.clustering import _levels, resolve
from identity.comparison import Comparer
from identity.model import estimate_model
from identity.profile import Profile, profile
from tests.support.identity_fixtures import TODAY
from tests.support.paths import REPO

GIVEN = ["Ann", "Anne", "Bill", "William", "Will", "James", "John", "Jon", "Rebecca", "Bec"]
FAMILY = ["Lee", "Li", "Stone", "Berryman", "Nguyen", "Taylor", "Wang", "Okafor"]
STREETS = ["Elm Street", "Elm St", "Oak Lane", "Quay Road", "Birch Way"]


def _records(people: int, seed: int) -> dict[str, dict[str, Any]]:
    """``people`` people with one to three records each in three systems, spelt with
    slips now and then, many sharing names, birth years and streets (so blocking finds
    several hundred candidate pairs)."""
    rng = random.Random(seed)
    records: dict[str, dict[str, Any]] = {}
    for person in range(people):
        name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        born = f"19{rng.randint(60, 69)}-0{rng.randint(1, 3)}-1{rng.randint(0, 2)}"
        street = f"{rng.randint(1, 9)} {rng.choice(STREETS)}"
        postal = f"1011{rng.randint(0, 3)}"
        for system in rng.sample(["crm", "web", "shop"], rng.randint(1, 3)):
            slip = rng.random()
            records[f"{system}:{person}"] = {
                "name": name.replace("e", "a", 1) if slip < 0.2 else name,
                "birth_date": born if slip > 0.1 else born[:-1] + "9",
                "email": f"p{person}@example.com" if rng.random() < 0.5 else "",
                "phone": f"+4930{person:06d}" if rng.random() < 0.5 else "",
                "address": street,
                "postal_code": postal,
                "national_id": "",
                "country": "DE",
                "source_system": system,
            }
    return records


def _profiles(people: int = 240, seed: int = 3) -> list[Profile]:
    return [profile(key, props, TODAY) for key, props in sorted(_records(people, seed).items())]


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Comparing shared by this process and a forked worker whatever the number of pairs,
    in chunks of 50 (the worker has the first two); yields the number of pairs each
    shared comparison was given."""
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    monkeypatch.setattr(parallel, "PARALLEL_LEAST", 0)
    monkeypatch.setattr(clustering, "PROGRESS_EVERY", 50)
    forks: list[int] = []
    real = parallel._forked

    def spied(work: Any, bounds: list[tuple[int, int]], count: int, done: Any) -> Any:
        forks.append(bounds[-1][1])
        return real(work, bounds, count, done)

    monkeypatch.setattr(parallel, "_forked", spied)
    yield forks
    assert multiprocessing.active_children() == []  # every worker waited for


def _serial_levels(profiles: list[Profile]) -> tuple[list[int], list[int]]:
    pairs, _ = candidate_codes(profiles, estimate_model(profiles).generic)
    return list(pairs), list(_levels(Comparer(profiles), pairs, len(profiles), None))


def test_forked_levels_are_one_process_levels(
    forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = _profiles()
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    pairs, serial = _serial_levels(profiles)
    assert len(pairs) > 500  # more than ten chunks of 50
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    told: list[tuple[int, int]] = []
    levels = _levels(Comparer(profiles), pairs, len(profiles), lambda d, t: told.append((d, t)))
    assert forked == [len(pairs)]
    assert list(levels) == serial
    # As one process tells it: 0 first, then after each chunk, the last all of them.
    done = [d for d, _ in told]
    assert done == [0, *range(50, len(pairs), 50), len(pairs)]
    assert {t for _, t in told} == {len(pairs)}


def test_forked_resolution_is_one_process_resolution(
    forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = _profiles(seed=5)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    serial = resolve(profiles, estimate_model(profiles))
    assert forked == []
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    again = resolve(profiles, estimate_model(profiles))
    assert forked  # compared in workers (once more where the data hold no households)
    assert again.clusters == serial.clusters
    assert any(len(cluster) > 1 for cluster in serial.clusters)
    assert list(again.links.weighed()) == list(serial.links.weighed())
    assert list(again.links.kept()) == list(serial.links.kept())
    assert (again.review, again.refused, again.one_record) == (
        serial.review,
        serial.refused,
        serial.one_record,
    )


def _where(start: int, stop: int) -> tuple[int, int, int]:
    return start, stop, os.getpid()


def _slowly(start: int, stop: int) -> tuple[int, int, int]:
    time.sleep(0.01)  # long enough for the pool to hand workers a chunk
    return _where(start, stop)


def test_chunks_run_here_and_in_workers_and_come_back_in_order() -> None:
    told: list[int] = []
    results = parallel.chunked(_slowly, 1000, 30, told.append, workers=3, least=0)
    assert [(a, b) for a, b, _ in results] == [(a, min(a + 30, 1000)) for a in range(0, 1000, 30)]
    assert told == [b for _, b, _ in results]
    pids = {pid for _, _, pid in results}
    assert os.getpid() in pids
    assert len(pids) > 1
    assert multiprocessing.active_children() == []


def test_below_the_least_or_off_a_main_thread_chunks_run_here() -> None:
    assert {pid for *_, pid in parallel.chunked(_where, 100, 10, workers=2, least=101)} == {
        os.getpid()
    }
    assert {pid for *_, pid in parallel.chunked(_where, 100, 10, workers=1, least=0)} == {
        os.getpid()
    }
    found: list[tuple[int, int, int]] = []
    thread = threading.Thread(
        target=lambda: found.extend(parallel.chunked(_where, 100, 10, workers=2, least=0))
    )
    thread.start()
    thread.join()
    assert len(found) == 10
    assert {pid for *_, pid in found} == {os.getpid()}


PARENT = os.getpid()


def _fails_in_a_worker(start: int, stop: int) -> int:
    if os.getpid() != PARENT:
        raise ValueError(f"no levels for chunk {start}")
    time.sleep(0.01)  # long enough for the pool to hand the worker a chunk
    return start


def _dies_in_a_worker(start: int, stop: int) -> int:
    if os.getpid() != PARENT:
        os._exit(3)  # as a worker killed (out of memory) would
    time.sleep(0.01)
    return start


def test_a_worker_error_is_raised_here() -> None:
    with pytest.raises(ValueError, match=r"no levels for chunk \d+"):
        parallel.chunked(_fails_in_a_worker, 1000, 100, workers=2, least=0)
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_fails_the_call() -> None:
    with pytest.raises(parallel.WorkerFailedError, match="worker process stopped"):
        parallel.chunked(_dies_in_a_worker, 1000, 100, workers=2, least=0)
    assert multiprocessing.active_children() == []
    # The next call forks afresh.
    results = parallel.chunked(_slowly, 400, 100, workers=2, least=0)
    assert [(a, b) for a, b, _ in results] == [(a, a + 100) for a in range(0, 400, 100)]
    assert multiprocessing.active_children() == []


ORPHANED = """
import os, signal, sys, time
from identity import parallel

parent = os.getpid()


def work(start: int, stop: int) -> None:
    if os.getpid() != parent:
        print(os.getpid(), flush=True)
        time.sleep(60)
    time.sleep(0.5)
    os.kill(parent, signal.SIGKILL)


parallel.chunked(work, 10, 1, workers=2, least=0)
"""


def test_a_worker_leaves_when_its_parent_is_killed() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", ORPHANED], stdout=subprocess.PIPE, text=True, cwd=REPO
    ) as process:
        assert process.stdout is not None
        worker = int(process.stdout.readline())
        assert process.wait(timeout=30) == -signal.SIGKILL
    deadline = time.monotonic() + 10 * parallel.PARENT_CHECK_SECONDS
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_worker_count_setting() -> None:
    assert parallel.worker_count({parallel.WORKERS_ENV: "3"}) == 3
    assert parallel.worker_count({}) == max(1, min(parallel.MOST_WORKERS, os.cpu_count() or 1))
    for wrong in ("0", "two", "-1", "17"):
        with pytest.raises(CkbError, match=parallel.WORKERS_ENV):
            parallel.worker_count({parallel.WORKERS_ENV: wrong})
