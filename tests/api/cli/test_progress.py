"""Long steps report progress: ``ckb resolve`` and ``ckb segment`` tell a callback how far
each phase got (counts that only grow, ending at the total); the CLI draws bars on a
terminal and, in a pipe, prints nothing but each step's summary line."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

import api.cli.common as cli
from graph.store import GraphStore, RelRow
from identity.resolve import resolve_store
from loaders.directory import plan_directory
from loaders.pipeline import load_file
from scoring.segments import assign_segments
from tests.support.commands import run_ckb

TODAY = date(2026, 11, 23)
HEADER = "source_record_id,name,birth_date,email,phone,address,postal_code,country\n"
PEOPLE = [
    ("Ann Lee", "1980-05-06", "ann@example.com", "+12025550101"),
    ("Bob Stone", "1975-01-02", "bob@example.com", "+12025550102"),
    ("Cy Twain", "1990-03-04", "cy@example.com", "+12025550103"),
    ("Dee Vance", "1985-07-08", "dee@example.com", "+12025550104"),
    ("Eve Moreau", "1979-11-30", "eve@example.com", "+12025550105"),
]

Calls = list[tuple[str, int, int]]


def _record(calls: Calls) -> Callable[[str, int, int], None]:
    def progress(phase: str, done: int, total: int) -> None:
        calls.append((phase, done, total))

    return progress


def _assert_phases(calls: Calls, phases: list[str]) -> None:
    """The phases come in order, each once; within one the count only grows, never past
    the total, and the last call says done == total."""
    assert list(dict.fromkeys(phase for phase, _, _ in calls)) == phases
    for phase in phases:
        mine = [(done, total) for p, done, total in calls if p == phase]
        assert [d for d, _ in mine] == sorted(d for d, _ in mine), (phase, mine)
        assert all(0 <= d <= t for d, t in mine), (phase, mine)
        assert mine[-1][0] == mine[-1][1], (phase, mine)


def test_resolve_reports_reading_matching_and_merging(store: GraphStore, tmp_path: Path) -> None:
    # Every person in two systems: five merges to make.
    for system in ("billing", "webshop"):
        path = tmp_path / f"{system}.customers.csv"
        rows = "".join(
            f"{system[0].upper()}{i},{name},{born},{email},{phone},{i} Elm St,1000{i},US\n"
            for i, (name, born, email, phone) in enumerate(PEOPLE)
        )
        path.write_text(HEADER + rows, encoding="utf-8")
        load_file(store, "customers", path, system, rejects_path=tmp_path / f"{system}.rej")
    calls: Calls = []
    summary = resolve_store(store, TODAY, batch=3, progress=_record(calls))
    assert (summary.records, summary.merges) == (10, 5)
    _assert_phases(calls, ["reading", "comparing", "merging"])
    reading = [done for phase, done, _ in calls if phase == "reading"]
    assert reading == [3, 6, 9, 10]  # a page at a time
    assert calls[-1] == ("merging", 5, 5)


def test_segment_reports_scoring_and_writing(store: GraphStore) -> None:
    store.upsert_nodes("Customer", [{"id": f"c{i}", "name": f"C{i}"} for i in range(5)])
    store.upsert_nodes("Holding", [{"id": "h0", "status": "active", "monthly_value": 600.0}])
    store.upsert_relationships("HOLDS", "Customer", "Holding", [RelRow("c0", "h0")])
    calls: Calls = []
    summary = assign_segments(store, TODAY, batch=2, progress=_record(calls))
    assert summary.customers == 5
    _assert_phases(calls, ["scoring", "writing"])
    assert [done for phase, done, _ in calls if phase == "scoring"][:3] == [2, 4, 5]
    assert [done for phase, done, _ in calls if phase == "writing"] == [0, 2, 4, 5]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_phase_bars_draw_on_a_terminal_and_nothing_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "PROGRESS_DELAY", 0.0)
    for stream, drawn in ((_Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr("sys.stderr", stream)
        with cli.PhaseBars("resolve", {"merging": " merges"}) as bars:
            for phase, done, total in [("reading", 0, 4), ("reading", 4, 4), ("merging", 0, 2),
                                       ("merging", 1, 2)]:  # fmt: skip
                bars(phase, done, total)
                time.sleep(0.12)  # a bar redraws at most every 0.1 s
        text = stream.getvalue()
        if drawn:
            assert "resolve: reading" in text
            assert "100%" in text
            assert "resolve: merging" in text
            assert "50%" in text
        else:
            assert text == ""


def test_in_a_pipe_each_step_prints_one_summary_line(tmp_path: Path) -> None:
    env = {"CKB_GRAPH": f"embedded:{tmp_path / 'kb.sqlite'}"}
    sample = tmp_path / "sample"
    made = run_ckb("sample", "--customers", "30", "--seed", "5", "--out", str(sample))
    assert made.returncode == 0, made.stderr
    plan = plan_directory(sample, None)
    steps = {
        # one line per file loaded or captured, then the total
        ("load-dir", str(sample)): len(plan.loads) + len(plan.captures) + 1,
        ("resolve",): 1,
        ("segment", "--as-of", "2026-11-01"): 1,
    }
    for args, summaries in steps.items():
        result = run_ckb(*args, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        # Summary lines start at the margin; indented lines are their details.
        top = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
        assert len(top) == summaries, (args, result.stdout)
        for out in (result.stdout, result.stderr):
            assert "\r" not in out
            assert "%|" not in out
        if args[0] != "load-dir":
            assert result.stderr == ""
