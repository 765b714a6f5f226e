"""SIGKILL every writing command at hundreds of points; print which recover.

    .venv/bin/python bench/crash_points.py [--commands load resolve ...] [--points 200]
        [--delays 100] [--batch-size 2] [--customers 150] [--jobs 2] [--keep DIR]

For each command (ckb load, load-dir, load epcis, resolve, enrich, an erasure, a push to
ckb serve; tests/support/faults.py runs them): one uninterrupted run from its starting
world, counting its store commits; then trials, each on a fresh copy of that world —
killed just before commit N (every commit, or ``--points`` of them spread evenly; for a
push also after its answer) and at ``--delays`` random moments of the run (mid-statement,
mid-commit, mid-file) — each followed by ``PRAGMA integrity_check``, a check of the
stored counts, a re-run to the end and a comparison of the result with the
uninterrupted one (the graph without clock values, and the files beside it).

``--batch-size`` shrinks the loads' batches so that a load commits hundreds of times
(the loader commits every ten batches). Commands with few commits (resolve: 3; enrich:
2; erase: 2) get their variety from the random moments. A trial takes one to five seconds
(a push: two server starts); ``--jobs`` runs that many at once. ``tests/
test_fault_injection.py`` runs a few of these points in ``make test``; see
docs/operations.md, "Crash tests".
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.faults import Lab, Push, Reference, Trial, spread

OUTCOMES = ("converged", "differs", "rerun failed", "file damaged")
Point = tuple[int | None, float | None]  # (kill before this commit, or after these seconds)


@dataclass
class Tally:
    """The trials of one command."""

    commits: int
    tried: Counter[str] = field(default_factory=Counter)  # "commit" / "delay" points
    outcomes: Counter[str] = field(default_factory=Counter)
    finished_first: int = 0  # the run ended before the kill point: done, then run again
    failing: list[str] = field(default_factory=list)  # the points that did not recover
    example: list[str] = field(default_factory=list)  # what differed at the first of them


def outcome(trial: Trial, reference: Reference) -> str:
    if trial.problems:
        return "file damaged"
    if trial.digest is None:
        return "rerun failed"
    return "converged" if trial.digest == reference.digest else "differs"


def why(trial: Trial, reference: Reference) -> list[str]:
    if trial.problems:
        return trial.problems[:5]
    if trial.digest is None:
        return trial.rerun.output.splitlines()[-5:]
    return trial.digest.differences(reference.digest, most=2)


def points(lab: Lab, name: str, count: int, delays: int, rnd: random.Random) -> list[Point]:
    """(commit, None) and (None, seconds) kill points of one command."""
    ref = lab.reference(name)
    commits = ref.outcome.commits
    at = spread(commits, count) if count else []
    if isinstance(lab.steps[name].command, Push) and count:
        at.append(commits + 1)  # after the answer: the client never saw it, pushes again
    moments = [round(rnd.uniform(0.0, ref.outcome.seconds), 3) for _ in range(delays)]
    return [(k, None) for k in at] + [(None, d) for d in moments]


def run(lab: Lab, name: str, point: Point, keep: bool) -> tuple[str, Trial]:
    kill_at, delay = point
    trial = lab.trial(name, kill_at=kill_at, delay=delay)
    result = outcome(trial, lab.reference(name))
    if not keep or result == "converged":
        shutil.rmtree(trial.world.root, ignore_errors=True)
        trial.world.root.with_name(trial.world.root.name + ".serve.log").unlink(missing_ok=True)
    return result, trial


def label(point: Point, trial: Trial) -> str:
    kill_at, delay = point
    if kill_at is not None:
        return f"commit {kill_at}"
    return f"{delay:.3f}s (after {trial.first.commits} commits)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", nargs="*", help="default: every writing command")
    parser.add_argument("--points", type=int, default=200, help="commit points per command")
    parser.add_argument("--delays", type=int, default=100, help="random moments per command")
    parser.add_argument("--batch-size", type=int, default=2, help="the loads' (default 2)")
    parser.add_argument("--customers", type=int, default=150, help="sample size (default 150)")
    parser.add_argument("--seed", type=int, default=7, help="sample and moments (default 7)")
    parser.add_argument("--push-lines", type=int, default=60, help="records per push")
    parser.add_argument("--jobs", type=int, default=1, help="trials at once (default 1)")
    parser.add_argument("--keep", type=Path, help="work here and keep failing worlds")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="ckb-crash-"))
    root.mkdir(parents=True, exist_ok=True)
    lab = Lab(root, args.customers, args.seed, args.batch_size, args.push_lines)
    names = args.commands or list(lab.steps)
    unknown = set(names) - set(lab.steps)
    if unknown:
        parser.error(f"unknown command(s) {sorted(unknown)}; choose from {list(lab.steps)}")
    rnd = random.Random(args.seed)
    started = time.perf_counter()
    tallies: dict[str, Tally] = {}
    for name in names:
        todo = points(lab, name, args.points, args.delays, rnd)  # builds the references
        tally = tallies[name] = Tally(lab.reference(name).outcome.commits)
        print(f"{name}: {len(todo)} kill points ...", file=sys.stderr, flush=True)
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            done = pool.map(lambda p, n=name: (p, *run(lab, n, p, args.keep is not None)), todo)
            for point, result, trial in done:
                tally.tried["commit" if point[0] is not None else "delay"] += 1
                tally.outcomes[result] += 1
                tally.finished_first += not trial.first.killed
                if result != "converged":
                    tally.failing.append(label(point, trial))
                    if not tally.example:
                        tally.example = why(trial, lab.reference(name))
    print_table(tallies)
    print(f"\n{time.perf_counter() - started:.0f} s; work in {root}")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


def print_table(tallies: dict[str, Tally]) -> None:
    head = f"{'command':<11} {'commits':>7} {'at commit':>9} {'at moment':>9} {'not killed':>10}"
    head += "".join(f" {o:>12}" for o in OUTCOMES)
    print(head)
    print("-" * len(head))
    for name, t in tallies.items():
        row = f"{name:<11} {t.commits:>7} {t.tried['commit']:>9} {t.tried['delay']:>9}"
        row += f" {t.finished_first:>10}" + "".join(f" {t.outcomes[o]:>12}" for o in OUTCOMES)
        print(row)
    for name, t in tallies.items():
        if t.failing:
            shown = ", ".join(t.failing[:12]) + (" ..." if len(t.failing) > 12 else "")
            print(f"\n{name}: did not recover at {shown}")
            for line in t.example:
                print(f"  {line[:300]}")


if __name__ == "__main__":
    main()
