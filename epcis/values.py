"""How EPCIS values are kept in graph properties: times as UTC instants, what ckb does not
map as sorted JSON text. Pure; the read side (queries/) writes the times it is asked about
through :func:`utc_time`, so they compare with what capture stored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

# A time already written as capture writes it back: UTC, seconds and perhaps microseconds.
_WRITTEN_UTC = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{6})?(?:Z|\+00:00)", re.ASCII)


def utc_time(value: Any) -> str | None:
    """An ISO 8601 time as the instant in UTC (``...Z``), so times written with different
    offsets order as text; a time without an offset is read as UTC, one that does not
    parse is kept as sent, anything else is None."""
    if not isinstance(value, str):
        return None
    written = _WRITTEN_UTC.fullmatch(value)
    if written is not None:
        # Most events: the same instant as written (a whole second drops its zeros), once
        # it is known to be a real time.
        seconds, fraction = written.groups()
        try:
            datetime.fromisoformat(seconds)
        except ValueError:
            return _utc_time(value)
        return f"{seconds}{fraction if fraction and fraction != '.000000' else ''}Z"
    return _utc_time(value)


def _utc_time(value: str) -> str:
    moment = _instant(value)
    if moment is None:
        return value  # capture refused it (is_time); a query's own value: kept as asked
    return moment.isoformat().replace("+00:00", "Z")


def _instant(value: str) -> datetime | None:
    """The instant an ISO 8601 time names, in UTC (no offset: UTC); None when there is
    none (not ISO 8601, no such day or hour, or beyond the calendar in UTC)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def is_time(value: str) -> bool:
    """Whether ``utc_time`` reads ``value`` as an instant (rather than keep it as sent)."""
    written = _WRITTEN_UTC.fullmatch(value)
    if written is not None:
        try:
            datetime.fromisoformat(written.group(1))
        except ValueError:
            return False
        return True
    return _instant(value) is not None


def json_text(value: Any) -> str | None:
    """A value as JSON text with sorted keys (the same value, the same text), None as None."""
    return None if value is None else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
