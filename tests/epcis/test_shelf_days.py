"""Daily shelf roll-ups: each ShelfDay is the sum of its hours, and shelf_interactions read
from days and hours answers what the raw events say."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from epcis.epc import canonical_epc
from epcis.shelf_signals import SHELF_PICKUP, SHELF_PUTDOWN
from epcis.values import utc_time
from graph.store import GraphStore
from queries.engine import run_query
from queries.shelf_interactions import full_days
from tests.support.epcis_events import capture_events

STORE = "urn:epc:id:sgln:0614141.00001.0"
SHELVES = ["urn:epc:id:sgln:0614141.00001.1", "urn:epc:id:sgln:0614141.00001.2"]
ITEMS = ["0614141.107346", "0614141.207346"]  # two GTINs
DECLARED = {"declarationTime": "2026-06-01T00:00:00Z", "reason": "incorrect_data"}


def _event(n: int, rnd: random.Random) -> dict[str, Any]:
    day, hour, minute = rnd.randint(1, 4), rnd.randint(0, 23), rnd.randint(0, 59)
    offset = rnd.choice(["+00:00", "+02:00", "-05:00"])
    item = rnd.choice(ITEMS)
    return {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:d{n}",
        "eventTime": f"2026-05-{day:02d}T{hour:02d}:{minute:02d}:00{offset}",
        "eventTimeZoneOffset": offset,
        "action": "OBSERVE",
        "epcList": [f"urn:epc:id:sgtin:{item}.{s}" for s in range(rnd.randint(1, 3))],
        "bizStep": SHELF_PICKUP if rnd.random() < 0.6 else SHELF_PUTDOWN,
        "readPoint": {"id": rnd.choice(SHELVES)},
        "bizLocation": {"id": STORE},
    }


def _stream(seed: int, count: int = 300) -> list[dict[str, Any]]:
    """Shelf events over four days, with repeats and retractions among them."""
    rnd = random.Random(seed)
    events = [_event(n, rnd) for n in range(count)]
    for _ in range(count // 10):
        events.append(rnd.choice(events))  # a repeat
        events.append({**rnd.choice(events), "errorDeclaration": DECLARED})
    rnd.shuffle(events)
    return events


def _capture(store: GraphStore, events: list[dict[str, Any]], tmp_path: Path, batch: int) -> None:
    assert capture_events(store, events, tmp_path, batch=batch).rejected == 0


def _raw(events: list[dict[str, Any]], start: str, end: str) -> dict[str, dict[str, list[int]]]:
    """Per GTIN and shelf, (pickups, putdowns) of the events whose hour starts in the
    window, straight from the events: an event counts once, unless it was retracted."""
    retracted = {e["eventID"] for e in events if "errorDeclaration" in e}
    first = {}
    for e in events:
        first.setdefault(e["eventID"], e)
    counts: dict[str, dict[str, list[int]]] = {}
    for eid, e in first.items():
        hour = str(utc_time(e["eventTime"]))[:13] + ":00:00Z"
        if eid in retracted or not start <= hour < end:
            continue
        for epc in e["epcList"]:
            gtin = canonical_epc(epc).split("/")[4]
            pair = counts.setdefault(gtin, {}).setdefault(
                canonical_epc(e["readPoint"]["id"]), [0, 0]
            )
            pair[0 if e["bizStep"] == SHELF_PICKUP else 1] += 1
    return counts


def _answer(store: GraphStore, start: str, end: str) -> dict[str, dict[str, list[int]]]:
    found = run_query(
        store, "shelf_interactions", store=STORE, product="", **{"from": start, "to": end}
    )
    return {
        i.gtin: {s.shelf: [s.pickups, s.putdowns] for s in i.shelves}
        for i in found
        if i.pickups or i.putdowns
    }


def _nodes(store: GraphStore, label: str) -> dict[str, dict[str, Any]]:
    keys = store.keys(label)
    return {k: n.props for k, n in store.get_nodes(label, keys).items()}


def _summed_hours(store: GraphStore) -> dict[str, tuple[int, int]]:
    days: dict[str, tuple[int, int]] = {}
    for key, hour in _nodes(store, "ShelfActivity").items():
        day = key.rsplit("@", 1)[0] + "@" + str(hour["bucket_start"])[:10]
        up, down = days.get(day, (0, 0))
        days[day] = (up + int(hour["pickups"]), down + int(hour["putdowns"]))
    return days


def _days(store: GraphStore) -> dict[str, tuple[int, int]]:
    return {
        k: (int(d["pickups"]), int(d["putdowns"])) for k, d in _nodes(store, "ShelfDay").items()
    }


@pytest.mark.parametrize("batch", [7, 10_000])
def test_every_day_is_the_sum_of_its_hours(store: GraphStore, tmp_path: Path, batch: int) -> None:
    _capture(store, _stream(5), tmp_path, batch)
    days = _days(store)
    assert days == _summed_hours(store)
    assert len(days) > 10
    some = next(iter(_nodes(store, "ShelfDay").values()))
    assert some["store"] == canonical_epc(STORE)
    assert some["store_day"] == f"{canonical_epc(STORE)}|{some['day']}"


WINDOWS = [
    ("2026-05-01", "2026-05-05"),  # whole days only
    ("2026-05-02", "2026-05-03"),  # one day
    ("2026-05-01T05:00:00Z", "2026-05-04T17:30:00Z"),  # hours, days, hours
    ("2026-05-02T00:00:00Z", "2026-05-04T00:00:00Z"),  # days given as instants
    ("2026-05-02T10:00:00+02:00", "2026-05-03T23:00:01Z"),  # an offset; a last hour that counts
    ("2026-05-02T10:00:00Z", "2026-05-02T20:00:00Z"),  # inside one day: hours only
    ("2026-05-01T23:00:00.5Z", "2026-05-03T23:00:00Z"),  # just past an hour; one to its end
    ("2026-04-01", "2026-06-01"),
]


@pytest.mark.parametrize(("start", "end"), WINDOWS)
def test_shelf_interactions_from_days_and_hours_answer_as_the_raw_events(
    store: GraphStore, tmp_path: Path, start: str, end: str
) -> None:
    events = _stream(8)
    _capture(store, events, tmp_path, 50)
    low, high = (utc_time(w) if "T" in w else w for w in (start, end))
    assert _answer(store, start, end) == _raw(events, str(low), str(high))


def test_a_store_kept_before_days_gets_a_day_right_when_it_is_counted_into(
    store: GraphStore, tmp_path: Path
) -> None:
    events = _stream(11)
    _capture(store, events[:200], tmp_path, 10_000)
    store.delete_nodes("ShelfDay", store.keys("ShelfDay"))  # as a store captured before days
    _capture(store, events[200:], tmp_path, 10_000)
    days, hours = _days(store), _summed_hours(store)
    assert days  # the days the later events counted into, each whole
    assert all(days[d] == hours[d] for d in days)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2026-05-01", "2026-05-03", ("2026-05-01", "2026-05-03")),
        ("2026-05-01T00:00:00Z", "2026-05-02T23:00:01Z", ("2026-05-01", "2026-05-03")),
        ("2026-05-01T00:00:01Z", "2026-05-02T23:00:00Z", None),  # neither day is whole
        ("2026-05-01T00:00:01Z", "2026-05-03", ("2026-05-02", "2026-05-03")),
        ("2026-05-01T10:00:00Z", "2026-05-01T20:00:00Z", None),
        ("2026-05", "2026-06", None),  # not dates: hours only
    ],
)
def test_full_days_are_the_days_whose_every_hour_is_in_the_window(
    start: str, end: str, days: tuple[str, str] | None
) -> None:
    assert full_days(start, end) == days
