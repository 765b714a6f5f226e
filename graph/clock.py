"""The one clock: the current time in UTC and the texts the store keeps it as.

Every room asks here instead of calling ``datetime.now`` itself, so "now" has one meaning
(UTC) and each stored timestamp format is spelled once. It sits at the bottom of the
layers and imports nothing of ckb.

Two stored formats exist and both are kept, because values already written use them:
``now_iso`` (whole seconds, e.g. audit entries and load runs) and ``now_iso_precise``
(sub-second, e.g. match decisions and merge events, which can follow each other within
a second).
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC."""
    return now().date()


def now_iso() -> str:
    """The current time as stored to the second: ``2026-12-02T07:56:56Z``."""
    return now().isoformat(timespec="seconds").replace("+00:00", "Z")


def now_iso_precise() -> str:
    """The current time as stored with its microseconds: ``2026-12-02T07:56:56.123456Z``
    (``datetime.isoformat`` drops them when they are zero)."""
    return now().isoformat().replace("+00:00", "Z")
