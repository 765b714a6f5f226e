"""What the command groups share: the store ``--graph`` names, and progress bars for
long steps (on a terminal only)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TypeAlias

from graph.config import open_store, settings_from_env
from graph.store import GraphStore

# What each command group adds its parsers to (argparse names its type only privately).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def open_graph(args: argparse.Namespace) -> GraphStore:
    """The store ``--graph`` (or CKB_GRAPH) names."""
    return open_store(settings_from_env(graph=args.graph))


PROGRESS_DELAY = 2.0  # seconds a step runs before its progress is drawn


def progress_bar(
    label: str,
    total: int | None = None,
    unit: str = " rec",
    delay: float = PROGRESS_DELAY,
    leave: bool = True,
) -> Any:
    from tqdm import tqdm

    # Shown only on a terminal, and only once a step has taken more than ``delay`` seconds;
    # off a terminal the step's summary line is all there is.
    return tqdm(
        desc=label,
        total=total,
        unit=unit,
        unit_scale=True,
        disable=None,
        delay=delay,
        leave=leave,
        file=sys.stderr,
    )


class PhaseBars:
    """Draws a long command's ``progress(phase, done, total)`` callback: on a terminal, once
    the command has run ``PROGRESS_DELAY`` seconds, a bar for the running phase with its
    percentage and ETA (each bar cleared when its phase ends). Nothing off a terminal."""

    def __init__(self, command: str, units: dict[str, str]) -> None:
        self._command = command
        self._units = units
        self._show_at = time.monotonic() + PROGRESS_DELAY
        self._phase: str | None = None
        self._bar: Any = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self._phase or self._bar is None:
            self.close()
            self._phase = phase
            self._bar = progress_bar(
                f"{self._command}: {phase}",
                total,
                self._units.get(phase, ""),
                delay=max(0.0, self._show_at - time.monotonic()),
                leave=False,
            )
        self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> PhaseBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
