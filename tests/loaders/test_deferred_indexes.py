"""A bulk load defers the property indexes its rows would enter at random places
(``EmbeddedStore.defer_indexes``): the same graph and the same indexes as a load that
inserts into them row by row; readers get the same answers while stand-ins serve; a load
killed midway leaves stand-ins that the next writer to open the store builds back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from loaders.pipeline import Loader, load_file
from queries.customer_filter import Compare, Order, Related
from queries.customer_list import list_customers
from tests.support.paths import REPO
from tests.support.store_file import dump

NOW = "2026-12-02T06:00:00Z"
KINDS = ("complaint", "inquiry", "visit")
STATUSES = ("open", "resolved", "")
CUSTOMERS = 40
# The indexes of Touchpoint whose values differ from row to row: times.
SCATTERED = ["ix_Touchpoint_kind_occurred_at", "ix_Touchpoint_occurred_at"]


def _files(folder: Path, touchpoints: int) -> tuple[Path, Path]:
    """Customers, and touchpoints numbered in order whose times come in no order."""
    customers = folder / "customers.csv"
    customers.write_text(
        "source_record_id,name,email\n"
        + "".join(f"{i},Person {i},p{i}@example.com\n" for i in range(CUSTOMERS)),
        encoding="utf-8",
    )
    lines = ["touchpoint_id,customer_id,occurred_at,channel,kind,resolution_status,reason"]
    for i in range(touchpoints):
        day, second = (i * 7919) % 360, (i * 104729) % 86400
        at = f"2025-{day // 30 + 1:02d}-{day % 30 + 1:02d}T{second // 3600:02d}:00:{i % 60:02d}Z"
        kind, status = KINDS[i % 3], STATUSES[(i // 3) % 3]
        lines.append(f"t{i:06d},{i % CUSTOMERS},{at},call_center,{kind},{status},r{i % 7}")
    path = folder / "touchpoints.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return customers, path


def _indexes(path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        ).fetchall()


def _check(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM meta WHERE k LIKE 'deferred:%'").fetchone() == (
            0,
        )


def _answers(store: EmbeddedStore) -> list[object]:
    """Reads that name the Touchpoint indexes, as keys."""

    def keys(nodes: list[object]) -> list[str]:
        return [n.key for n in nodes]  # type: ignore[attr-defined]

    since = (Compare("kind", "eq", "complaint"), Compare("occurred_at", "gte", "2025-06-01"))
    complaints_since = Related("touchpoints", "some", since)
    late = Related("touchpoints", "none", (Compare("occurred_at", "gte", "2025-12-01"),))
    return [
        keys(store.find_range("Touchpoint", "occurred_at", "2025-03-01", "2025-04-01", limit=50)),
        keys(
            store.find_range("Touchpoint", "occurred_at", None, "2025-02-01", 30, descending=True)
        ),
        keys(store.find_nodes("Touchpoint", "occurred_at", "2025-01-01T00:00:00Z")),
        keys(store.find_nodes("Touchpoint", "kind", "visit", limit=20, after="t000100")),
        keys(store.find_prefix("Touchpoint", "occurred_at", "2025-07-1", limit=40)),
        *(
            list_customers(store, where, [Order("id")], 100, None).ids
            for where in (complaints_since, late)
        ),
    ]


def _load(folder: Path, customers: Path, touchpoints: Path) -> EmbeddedStore:
    store = EmbeddedStore(folder / "kb.sqlite")
    for kind, path in (("customers", customers), ("touchpoints", touchpoints)):
        load_file(store, kind, path, "callcenter", rejects_path=folder / f"{kind}.rej", now=NOW)
    return store


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """What each ``EmbeddedStore.defer_indexes`` call deferred, in call order."""
    calls: list[tuple[str, ...]] = []
    defer = EmbeddedStore.defer_indexes

    def spy(self: EmbeddedStore, *args: object) -> tuple[str, ...]:
        calls.append(defer(self, *args))  # type: ignore[arg-type]
        return calls[-1]

    monkeypatch.setattr(EmbeddedStore, "defer_indexes", spy)
    return calls


@pytest.mark.parametrize("parallel", ["0", "1"], ids=["one-process", "parallel"])
def test_deferred_load_matches_row_by_row(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    parallel: str,
    deferred: list[tuple[str, ...]],
) -> None:
    monkeypatch.setenv("CKB_LOAD_PARALLEL", parallel)
    monkeypatch.setenv("CKB_LOAD_READERS", "1")
    customers, touchpoints = _files(tmp_path, 3000)
    found = {}
    for how, least in (("row by row", 10**9), ("deferred", 100)):
        folder = tmp_path / how.replace(" ", "_")
        folder.mkdir()
        monkeypatch.setattr(EmbeddedStore, "defer_min_rows", least)
        deferred.clear()
        with _load(folder, customers, touchpoints) as store:
            answers = _answers(store)
        rejected = folder / "touchpoints.rej"
        rejects = rejected.read_text() if rejected.exists() else ""
        found[how] = (dump(folder / "kb.sqlite"), _indexes(folder / "kb.sqlite"), answers, rejects)
        _check(folder / "kb.sqlite")
        assert [sorted(names) for names in deferred if names] == (
            [] if how == "row by row" else [SCATTERED]
        )
    assert found["deferred"] == found["row by row"]
    assert all(found["deferred"][2][:5])  # the reads found something to compare


def test_deferred_customers_load_matches_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deferred: list[tuple[str, ...]]
) -> None:
    """Customer records (rows the writer completes, not staged ahead) defer too."""
    people = tmp_path / "people.csv"
    people.write_text(
        "source_record_id,name,email,phone,postal_code,national_id\n"
        + "".join(
            f"{i},Person {j},p{j}@example.com,+4791{j:06d},{1000 + j % 9000},{j * 7919}\n"
            for i, j in ((i, i * 7919 % 601) for i in range(600))
        ),
        encoding="utf-8",
    )
    found = {}
    for how, least in (("row by row", 10**9), ("deferred", 100)):
        monkeypatch.setattr(EmbeddedStore, "defer_min_rows", least)
        path = tmp_path / f"{how.replace(' ', '_')}.sqlite"
        with EmbeddedStore(path) as store:
            load_file(store, "customers", people, "crm", rejects_path=tmp_path / "r", now=NOW)
            found[how] = (
                dump(path),
                _indexes(path),
                store.find_terms("Customer", "name_keys", ["person"], 5),
            )
        _check(path)
    assert found["deferred"] == found["row by row"]
    names = sorted(n for names in deferred for n in names)
    assert "ix_SourceRecord_email" in names
    assert "ix_Customer_email" in names
    assert "ix_SourceRecord_source_system" not in names  # one value: kept


def test_stand_ins_answer_alike_and_are_built_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EmbeddedStore, "defer_min_rows", 100)
    customers, touchpoints = _files(tmp_path, 2000)
    with _load(tmp_path, customers, touchpoints) as store:
        before, indexes = _answers(store), _indexes(store.path)
        # Too few rows for what the store holds, or for the label: nothing deferred.
        sample = [{"id": f"x{i}", "occurred_at": f"2025-{i * 37 % 100:03d}"} for i in range(100)]
        assert store.defer_indexes("Touchpoint", 100, sample) == ()
        monkeypatch.setattr(EmbeddedStore, "defer_min_rows", 10**7)
        assert store.defer_indexes("Touchpoint", 10**6, sample) == ()
        monkeypatch.setattr(EmbeddedStore, "defer_min_rows", 100)
        assert sorted(store.defer_indexes("Touchpoint", 10**6, sample)) == SCATTERED
        with_stand_ins = dict(_indexes(store.path))
        assert [n for n, sql in indexes if with_stand_ins[n] != sql] == SCATTERED
        # Another process opening the store meanwhile (here: another connection of this
        # one, the live owner) keeps the stand-ins and answers alike, as this one does.
        with EmbeddedStore(store.path) as reader:
            assert dict(_indexes(store.path)) == with_stand_ins
            assert _answers(reader) == before
        assert _answers(store) == before
        assert sorted(store.restore_indexes("Touchpoint")) == SCATTERED
        assert _indexes(store.path) == indexes
        assert _answers(store) == before
    _check(tmp_path / "kb.sqlite")


_KILLED_LOAD = """
import sys
import loaders.pipeline as pipeline
from graph.embedded import EmbeddedStore
EmbeddedStore.defer_min_rows = 100
store = EmbeddedStore(sys.argv[1])
pipeline.load_file(store, "touchpoints", __import__("pathlib").Path(sys.argv[2]), "callcenter",
                   rejects_path=__import__("pathlib").Path(sys.argv[3]), batch_size=100,
                   now="2026-12-02T06:00:00Z")
"""


def test_killed_load_gets_its_indexes_back(tmp_path: Path) -> None:
    customers, touchpoints = _files(tmp_path, 3000)
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        rejects = tmp_path / "c.rej"
        load_file(store, "customers", customers, "callcenter", rejects_path=rejects, now=NOW)
        indexes = _indexes(store.path)
    # Commits: 1 the stand-ins, 2 the first group of batches; killed before the next.
    env = {**os.environ, "CKB_FAULT_KILL_AT_COMMIT": "3", "CKB_LOAD_PARALLEL": "0"}
    run = subprocess.run(
        [sys.executable, "-c", _KILLED_LOAD, str(tmp_path / "kb.sqlite"), str(touchpoints),
         str(tmp_path / "t.rej")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == -9, run.stderr
    left = dict(_indexes(tmp_path / "kb.sqlite"))
    assert [n for n, sql in indexes if left[n] != sql] == SCATTERED  # stand-ins, as killed
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:  # a writer opens: built back
        assert _indexes(store.path) == indexes
        loaded = store.counts().nodes["Touchpoint"]
        assert 0 < loaded < 2000  # batches of 100, some of whose dates do not exist
        with closing(sqlite3.connect(store.path)) as conn:
            expected = [
                key
                for (key,) in conn.execute(
                    "SELECT key FROM nodes NOT INDEXED WHERE label = "
                    "(SELECT code FROM vocab WHERE kind = 'label' AND name = 'Touchpoint') "
                    "ORDER BY json_extract(props, '$.occurred_at'), key"
                )
            ]
        found = store.find_range("Touchpoint", "occurred_at", "", None, limit=loaded)
        assert [n.key for n in found] == expected
    _check(tmp_path / "kb.sqlite")


def test_failed_load_builds_its_indexes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EmbeddedStore, "defer_min_rows", 100)
    customers, touchpoints = _files(tmp_path, 3000)
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        rejects = tmp_path / "c.rej"
        load_file(store, "customers", customers, "callcenter", rejects_path=rejects, now=NOW)
        indexes = _indexes(store.path)
        load_checked, calls = Loader._load_checked, list[dict[str, str]]()

        def fail_on_the_third(self: Loader, *args: object) -> None:
            calls.append(dict(_indexes(tmp_path / "kb.sqlite")))
            if len(calls) == 3:
                raise OSError("the disk went away")
            load_checked(self, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(Loader, "_load_checked", fail_on_the_third)
        with pytest.raises(OSError, match="went away"):
            load_file(
                store, "touchpoints", touchpoints, "callcenter",
                rejects_path=tmp_path / "t.rej", batch_size=500, now=NOW,
            )  # fmt: skip
        assert [n for n, sql in indexes if calls[-1][n] != sql] == SCATTERED  # deferred
        assert _indexes(store.path) == indexes  # and built back
    _check(tmp_path / "kb.sqlite")
