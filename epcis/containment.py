"""Aggregation containment as intervals, whatever order the events arrive in.

Pure. For one (parent, child) pair, the aggregation events naming it (ADD starts a
containment, DELETE ends it) become intervals ``[since, until)`` on the event-time axis,
one CONTAINS relationship each. The intervals are computed from the whole set of the
pair's non-retracted events, never patched one event at a time, so a DELETE captured
before its ADD, a repeat, or a retraction all give the graph in-order capture gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Boundary:
    at: str  # event time, UTC ISO 8601
    action: str  # ADD | DELETE
    event_id: str


@dataclass(frozen=True, slots=True)
class Interval:
    since: str | None  # None: a DELETE whose ADD ckb never saw
    until: str | None  # None: still contained
    event_id: str  # the ADD that opened it (the DELETE, when there was no ADD): its key
    until_event_id: str | None

    def props(self) -> dict[str, str]:
        values = {
            "since": self.since,
            "until": self.until,
            "event_id": self.event_id,
            "until_event_id": self.until_event_id,
        }
        return {k: v for k, v in values.items() if v is not None}


def intervals(boundaries: Iterable[Boundary]) -> list[Interval]:
    """Walk the pair's events in time order (ADD before DELETE at the same instant, then
    by eventID): an ADD opens an interval unless one is open (a repeated ADD changes
    nothing), a DELETE closes the open one, or records an end with no known start."""
    result: list[Interval] = []
    opened: Boundary | None = None
    for b in sorted(set(boundaries), key=lambda b: (b.at, b.action != "ADD", b.event_id)):
        if b.action == "ADD":
            opened = opened or b
        elif opened is not None:
            result.append(Interval(opened.at, b.at, opened.event_id, b.event_id))
            opened = None
        else:
            result.append(Interval(None, b.at, b.event_id, b.event_id))
    if opened is not None:
        result.append(Interval(opened.at, None, opened.event_id, None))
    return result
