"""Shelf pick-ups and put-downs: the signal a shelf reader's EPCIS event carries, rolled up.

CBV has no business step for a shopper lifting an item off a shelf or putting it back, so
ckb defines two, written as full URIs (EPCIS allows a custom step as a URI):

    https://ckb.example/voc/bizstep/shelf_pickup
    https://ckb.example/voc/bizstep/shelf_putdown

A shelf reader reports an OBSERVE ObjectEvent with one of these steps, the shelf as its
``readPoint`` and the store as its ``bizLocation``. Every item EPC in ``epcList`` that names
a GTIN counts once; a ``quantityList`` entry for a GTIN class counts its quantity.

Counts are rolled up into one ShelfActivity per (GTIN, shelf, UTC hour), so no node or
relationship fan-out grows with the number of reads, and each hour's counts again into one
ShelfDay per (GTIN, shelf, UTC day), so a month's window reads days, not hours. Pure
functions: which activity an event counts into, and how the counters move when a capture
adds, repeats or retracts events (only events new to the store count; a retraction takes
its counts back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from epcis.epc import canonical_epc, gtin_of

VOCABULARY = "https://ckb.example/voc/"
SHELF_PICKUP = VOCABULARY + "bizstep/shelf_pickup"
SHELF_PUTDOWN = VOCABULARY + "bizstep/shelf_putdown"
SIGNALS = {SHELF_PICKUP: 0, SHELF_PUTDOWN: 1}  # index into a (pickups, putdowns) pair

Counts = dict[str, tuple[int, int]]  # activity ID -> (pickups, putdowns)


@dataclass(frozen=True, slots=True)
class Activity:
    """One ShelfActivity bucket: a product's reads at one shelf in one UTC hour."""

    id: str
    gtin: str
    shelf: str
    store: str
    bucket_start: str

    @property
    def store_bucket(self) -> str:
        """The store and hour as one string, so one range read finds a store's window."""
        return store_bucket(self.store, self.bucket_start)


def activity_of(activity: str, store: str) -> Activity:
    """The activity of an ID (:func:`activity_id`) in a store."""
    gtin, rest = activity.split("@", 1)
    shelf, bucket = rest.rsplit("@", 1)
    return Activity(activity, gtin, shelf, store, bucket)


def gtin_of_activity(activity: str) -> str:
    return activity.split("@", 1)[0]


def store_bucket(store: str, when: str) -> str:
    return f"{store}|{when}"


def bucket_start(utc: str) -> str:
    """The UTC hour an instant (``YYYY-MM-DDTHH:MM:SS...Z``) falls in."""
    return utc[:13] + ":00:00Z"


def activity_id(gtin: str, shelf: str, bucket: str) -> str:
    return f"{gtin}@{shelf}@{bucket}"


def day_of(activity: str) -> tuple[str, str, str]:
    """(day ID, GTIN, shelf) of an hourly activity ID: its ShelfDay's key is the same
    with the hour cut to its day (a GTIN and an hour hold no ``@``; a shelf may)."""
    gtin, rest = activity.split("@", 1)
    shelf, hour = rest.rsplit("@", 1)
    return activity_id(gtin, shelf, hour[:10]), gtin, shelf


def next_day(date: str) -> str:
    """The day after an ISO date (``YYYY-MM-DD``)."""
    return (dt.date.fromisoformat(date) + dt.timedelta(days=1)).isoformat()


def _place(ref: Any) -> str | None:
    value = ref.get("id") if isinstance(ref, dict) else None
    return canonical_epc(value) if isinstance(value, str) and value.strip() else None


def shelf_counts(event: Mapping[str, Any], utc: str | None) -> tuple[Counts, list[Activity]]:
    """What one valid event counts: pick-ups and put-downs per activity (none for an event
    that is not a shelf signal), and the activities it counts into."""
    signal = SIGNALS.get(str(event.get("bizStep", "")).strip())
    if (
        signal is None
        or event.get("type") != "ObjectEvent"
        or event.get("action") != "OBSERVE"
        or not utc
    ):
        return {}, []
    shelf = _place(event.get("readPoint")) or _place(event.get("bizLocation"))
    if shelf is None:
        return {}, []
    store = _place(event.get("bizLocation")) or shelf
    bucket = bucket_start(utc)
    per_gtin: dict[str, int] = {}
    for epc in event.get("epcList") or ():
        gtin = gtin_of(canonical_epc(epc)) if isinstance(epc, str) else None
        if gtin:
            per_gtin[gtin] = per_gtin.get(gtin, 0) + 1
    for entry in event.get("quantityList") or ():
        if not isinstance(entry, dict) or not isinstance(entry.get("epcClass"), str):
            continue
        gtin = gtin_of(canonical_epc(entry["epcClass"]))
        quantity = entry.get("quantity", 1)
        if gtin and isinstance(quantity, int | float) and quantity > 0:
            per_gtin[gtin] = per_gtin.get(gtin, 0) + int(quantity)
    counts: Counts = {}
    activities = []
    for gtin, n in sorted(per_gtin.items()):
        activity = Activity(activity_id(gtin, shelf, bucket), gtin, shelf, store, bucket)
        activities.append(activity)
        counts[activity.id] = (n, 0) if signal == 0 else (0, n)
    return counts, activities


def dump_counts(counts: Counts) -> str | None:
    """The counts an event carries, as stored on its EpcisEvent (``shelf_counts``)."""
    if not counts:
        return None
    return orjson.dumps(
        {k: list(v) for k, v in counts.items()}, option=orjson.OPT_SORT_KEYS
    ).decode()


def load_counts(text: Any) -> Counts:
    if not isinstance(text, str) or not text:
        return {}
    return {k: (int(v[0]), int(v[1])) for k, v in orjson.loads(text).items()}


@dataclass(frozen=True, slots=True)
class Seen:
    """An event's shelf counts and whether it is retracted: as stored, or as captured now."""

    counts: Counts
    retracted: bool


def deltas(batch: Mapping[str, Seen], stored: Mapping[str, Seen]) -> dict[str, tuple[int, int]]:
    """How each activity's counters move when ``batch`` (each event's state after this
    capture, repeats within the capture already folded) meets what the store held.

    An event counts while it is not retracted. Its counts are fixed the first time the
    store sees it, so capturing it again changes nothing, and a retraction (even one that
    arrives before the event it retracts) takes back exactly what was counted.
    """
    moved: dict[str, list[int]] = {}

    def add(counts: Counts, sign: int) -> None:
        for key, (up, down) in counts.items():
            entry = moved.setdefault(key, [0, 0])
            entry[0] += sign * up
            entry[1] += sign * down

    for eid, now in batch.items():
        before = stored.get(eid)
        if before is not None:
            counted_before = not before.retracted
            counts = before.counts
        else:
            counted_before = False
            counts = now.counts
        counted_after = not (now.retracted or (before is not None and before.retracted))
        if counted_before and not counted_after:
            add(counts, -1)
        elif counted_after and not counted_before:
            add(counts, 1)
    return {k: (v[0], v[1]) for k, v in moved.items() if v != [0, 0]}
