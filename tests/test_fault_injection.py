"""SIGKILL at chosen store commits of every writing command, then recovery: the file is
intact, and the command run again ends where an uninterrupted run does.

Each case copies the world the command starts from (tests/support/faults.py), kills the
command just before its N-th commit (``CKB_FAULT_KILL_AT_COMMIT``), runs ``PRAGMA
integrity_check`` and compares the stored counts with the rows, runs the command again
to the end and compares a digest of the store (nodes, relationships and index terms by
name, clock values left out) and of the files beside it with the digest of the same
command run once, uninterrupted. A few points per command here (``-m faults`` selects
them); ``bench/crash_points.py`` tries every commit and random moments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.store import RelRow
from tests.support.faults import Lab, Trial, traces
from tests.support.worlds import content, files

pytestmark = pytest.mark.faults

# Where to kill, per command: just before its first commit, its middle one or its last.
# What the commits are: load, three that create the store (tables, names, indexes: "mid"
# leaves it half made), then the file's one batch; load-dir, the store's three and one
# per file, the EPCIS capture last; load epcis, the store's three and the capture;
# resolve, the model, the merges, the review items with their candidates; enrich 2; erase 2
# (what its file scrub will remove, then its graph transaction, after the files); push,
# the batch, then one per record resolved on arrival.
# Every kind of file the sample writes, Wang Wei among them, in a small store.
SAMPLE_CUSTOMERS = 60
CASES = [
    ("load", "mid"),
    ("load", "last"),
    ("load-dir", "mid"),
    ("load epcis", "last"),
    ("resolve", "mid"),
    ("resolve", "last"),
    ("enrich", "first"),
    ("enrich", "last"),
    ("push", "mid"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return Lab(tmp_path_factory.mktemp("faults"), customers=SAMPLE_CUSTOMERS)


def kill_point(lab: Lab, command: str, where: str) -> int:
    total = lab.reference(command).outcome.commits
    assert total >= 1, f"{command} made no commit"
    return {"first": 1, "mid": (total + 1) // 2, "last": total}[where]


def recovered(lab: Lab, command: str, kill_at: int) -> Trial:
    """The trial, checked up to the comparison: killed there, file intact, re-run done."""
    trial = lab.trial(command, kill_at=kill_at)
    assert trial.first.killed, f"not killed at commit {kill_at}:\n{trial.first.output[-2000:]}"
    assert trial.first.commits == kill_at
    assert trial.problems == []
    assert trial.digest is not None, f"the re-run failed:\n{trial.rerun.output[-2000:]}"
    return trial


@pytest.mark.parametrize(("command", "where"), CASES)
def test_killed_command_converges_when_run_again(lab: Lab, command: str, where: str) -> None:
    reference = lab.reference(command)
    assert reference.outcome.before == 0  # a server's start commits nothing: points are exact
    trial = recovered(lab, command, kill_point(lab, command, where))
    assert trial.digest is not None
    assert trial.digest == reference.digest, "\n".join(trial.digest.differences(reference.digest))


# ------------------------------------------------------------------------------ erasure


@pytest.fixture(scope="module")
def erasure(lab: Lab) -> tuple[Trial, list[str]]:
    """Erasure killed before its one commit, then run again; and what identifies her."""
    from governance.person import find_person
    from sample.showcase import WANG_WEI

    before = lab.reference("enrich").world
    with EmbeddedStore(before.store) as store:
        person = find_person(store, WANG_WEI, datetime.now(UTC).date())
    # The ID the request named stays, in the erasure's audit entry (governance/erase.py).
    needles = sorted(
        (person.records | person.customers | person.identity.emails | person.identity.national_ids)
        - {WANG_WEI}
    )
    assert len(person.records) >= 2
    # Not vacuous: before the erasure each of them is there, and the rejects files name her.
    assert traces(before, needles) == needles
    rejects = b"".join(files(before.root).values()).decode()
    assert any(record.split(":")[1] in rejects for record in person.records)
    return recovered(lab, "erase", kill_point(lab, "erase", "last")), needles


def test_killed_erasure_run_again_leaves_nothing_of_her(
    lab: Lab, erasure: tuple[Trial, list[str]]
) -> None:
    from sample.showcase import WANG_WEI

    trial, needles = erasure
    assert traces(trial.world, needles) == []
    assert traces(lab.reference("erase").world, needles) == []
    named = [row for row in content(trial.world.store) if WANG_WEI in "".join(row)]
    assert [row[:3] for row in named] == [("node", "AuditEntry", "AU-<run>")]
    assert '"action":"erase customer"' in named[0][3]


def test_killed_erasure_run_again_equals_an_uninterrupted_one(
    lab: Lab, erasure: tuple[Trial, list[str]]
) -> None:
    trial, _ = erasure
    reference = lab.reference("erase")
    assert trial.digest is not None
    assert trial.digest == reference.digest, "\n".join(trial.digest.differences(reference.digest))


# ------------------------------------------------------------------------- the digest


def test_the_digest_leaves_out_clock_values_and_nothing_else(tmp_path: Path) -> None:
    """Clock values go by label or type: a source system's Touchpoint.resolved_at is data."""

    def graph(at: str, resolved: str) -> list[tuple[str, ...]]:
        path = tmp_path / f"{at}{resolved}.sqlite"
        with EmbeddedStore(path) as store:
            store.upsert_nodes("Customer", [{"id": "c", "name": "Ann", "updated_at": at}])
            store.upsert_nodes("SourceRecord", [{"id": "s:1", "loaded_at": at}])
            store.upsert_nodes("Touchpoint", [{"id": "t", "resolved_at": resolved}])
            store.upsert_relationships(
                "RESOLVED_TO", "SourceRecord", "Customer", [RelRow("s:1", "c", {"resolved_at": at})]
            )
        return content(path)

    assert graph("2026-01-01", "2025-05-05") == graph("2026-02-02", "2025-05-05")
    assert graph("2026-01-01", "2025-05-05") != graph("2026-01-01", "2025-06-06")
