"""Shelf pick-ups and put-downs: the signal, the hourly roll-up, idempotency, retraction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from epcis.epc import canonical_epc
from epcis.shelf_signals import SHELF_PICKUP, SHELF_PUTDOWN, Seen, activity_id, deltas, shelf_counts
from graph.store import GraphStore
from tests.support.epcis_events import capture_events, capture_file, object_event, write_lines

GTIN = "10614141073464"
SHELF = "urn:epc:id:sgln:0614141.00001.7"
STORE = "urn:epc:id:sgln:0614141.00001.0"


def shelf_event(eid: str, step: str, when: str, *serials: int, **extra: Any) -> dict[str, Any]:
    at: dict[str, Any] = {"readPoint": {"id": SHELF}, "bizLocation": {"id": STORE}}
    return object_event(eid, step, when, *serials, **{**at, **extra})


def _bucket(hour: str) -> str:
    return activity_id(GTIN, canonical_epc(SHELF), f"2026-05-01T{hour}:00:00Z")


def _counters(store: GraphStore) -> dict[str, tuple[object, object]]:
    keys = store.keys_page("ShelfActivity", limit=100)
    nodes = store.get_nodes("ShelfActivity", keys)
    return {k: (n.props["pickups"], n.props["putdowns"]) for k, n in sorted(nodes.items())}


def test_a_shelf_event_counts_each_item_into_its_hour() -> None:
    counts, [activity] = shelf_counts(
        shelf_event("e", SHELF_PICKUP, "2026-05-01T10:59:59Z", 1, 2), "2026-05-01T10:59:59Z"
    )
    assert counts == {_bucket("10"): (2, 0)}
    assert (activity.store, activity.bucket_start) == (
        canonical_epc(STORE),
        "2026-05-01T10:00:00Z",
    )
    classes = shelf_event(
        "q",
        SHELF_PUTDOWN,
        "2026-05-01T10:00:00Z",
        quantityList=[{"epcClass": "urn:epc:idpat:sgtin:0614141.107346.*", "quantity": 3}],
    )
    assert shelf_counts(classes, "2026-05-01T10:00:00Z")[0] == {_bucket("10"): (0, 3)}
    for not_shelf in (
        shelf_event("x", "shipping", "2026-05-01T10:00:00Z", 1),
        shelf_event("y", SHELF_PICKUP, "2026-05-01T10:00:00Z", 1, action="ADD"),
        {**shelf_event("z", SHELF_PICKUP, "2026-05-01T10:00:00Z", 1), "type": "TransactionEvent"},
    ):
        assert shelf_counts(not_shelf, "2026-05-01T10:00:00Z") == ({}, [])


def test_deltas_count_new_events_once_and_take_retractions_back() -> None:
    a = {"k": (1, 0)}
    assert deltas({"e": Seen(a, False)}, {}) == {"k": (1, 0)}
    assert deltas({"e": Seen(a, False)}, {"e": Seen(a, False)}) == {}  # a repeat
    assert deltas({"e": Seen(a, True)}, {"e": Seen(a, False)}) == {"k": (-1, 0)}
    assert deltas({"e": Seen(a, True)}, {}) == {}  # retracted before it was ever counted
    assert deltas({"e": Seen(a, False)}, {"e": Seen(a, True)}) == {}  # late original
    assert deltas({"e": Seen({}, True)}, {"e": Seen(a, False)}) == {"k": (-1, 0)}


def test_capture_rolls_up_idempotently_and_retracts(store: GraphStore, tmp_path: Path) -> None:
    store.upsert_nodes("Product", [{"id": "RT-PHONE", "gtin": GTIN}])
    events = [
        shelf_event("urn:uuid:s1", SHELF_PICKUP, "2026-05-01T10:05:00Z", 1, 2),
        shelf_event("urn:uuid:s2", SHELF_PUTDOWN, "2026-05-01T10:09:00+00:00", 2),
        shelf_event("urn:uuid:s3", SHELF_PICKUP, "2026-05-01T12:30:00+01:00", 3),  # 11:30 UTC
        shelf_event("urn:uuid:s1", SHELF_PICKUP, "2026-05-01T10:05:00Z", 1, 2),  # a repeat
    ]
    assert capture_events(store, events, tmp_path).captured == 4
    expected = {_bucket("10"): (2, 1), _bucket("11"): (1, 0)}
    assert _counters(store) == expected
    capture_events(store, events, tmp_path)  # the same stream again changes nothing
    assert _counters(store) == expected
    [product] = store.neighbours("ShelfActivity", _bucket("10"), "OF_PRODUCT")
    assert product.node.key == "RT-PHONE"
    [shelf] = store.neighbours("ShelfActivity", _bucket("10"), "AT")
    assert shelf.node.key == canonical_epc(SHELF)
    [site] = store.neighbours("Location", canonical_epc(SHELF), "LOCATED_IN")
    assert site.node.key == canonical_epc(STORE)
    declared = {"declarationTime": "2026-05-02T00:00:00Z", "reason": "incorrect_data"}
    retraction = {**events[0], "errorDeclaration": declared}
    capture_events(store, [retraction], tmp_path)
    assert _counters(store) == {_bucket("10"): (0, 1), _bucket("11"): (1, 0)}
    capture_events(store, [retraction, *events], tmp_path)  # retracted stays retracted
    assert _counters(store) == {_bucket("10"): (0, 1), _bucket("11"): (1, 0)}


def test_a_retraction_before_its_event_means_it_never_counts(
    store: GraphStore, tmp_path: Path
) -> None:
    event = shelf_event("urn:uuid:r1", SHELF_PICKUP, "2026-05-01T10:05:00Z", 1)
    declared = {"declarationTime": "2026-05-02T00:00:00Z"}
    capture_events(store, [{**event, "errorDeclaration": declared}], tmp_path)
    capture_events(store, [event], tmp_path)
    capture_events(
        store, [shelf_event("urn:uuid:r2", SHELF_PICKUP, "2026-05-01T10:06:00Z", 1)], tmp_path
    )
    assert _counters(store) == {_bucket("10"): (1, 0)}


def test_batches_of_a_long_stream_count_as_one_capture(store: GraphStore, tmp_path: Path) -> None:
    declared = {"declarationTime": "2026-05-02T00:00:00Z"}
    first = shelf_event("urn:uuid:b1", SHELF_PICKUP, "2026-05-01T10:05:00Z", 1, 2)
    events = [
        first,
        shelf_event("urn:uuid:b2", SHELF_PUTDOWN, "2026-05-01T10:06:00Z", 2),
        first,  # a repeat, in the next batch
        shelf_event("urn:uuid:b3", SHELF_PICKUP, "2026-05-01T10:07:00Z", 3),
        {**first, "errorDeclaration": declared},  # retracts b1, two batches later
    ]
    path = write_lines(tmp_path / "long.jsonl", events)
    assert capture_file(store, path, tmp_path, batch=2).captured == 5
    assert _counters(store) == {_bucket("10"): (1, 1)}


def test_a_capture_batch_that_fails_leaves_nothing_and_a_rerun_counts_it_once(
    store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import epcis.writing

    store.upsert_nodes("Product", [{"id": "RT-PHONE", "gtin": GTIN}])
    events = [
        shelf_event("urn:uuid:f1", SHELF_PICKUP, "2026-05-01T10:05:00Z", 1, 2),
        shelf_event("urn:uuid:f2", SHELF_PUTDOWN, "2026-05-01T10:09:00Z", 2),
    ]
    real_roll_up = epcis.writing.roll_up

    def crash(*args: Any) -> None:  # the events are written by now, the counters not yet
        raise OSError("killed mid-batch")

    monkeypatch.setattr(epcis.writing, "roll_up", crash)
    with pytest.raises(OSError, match="killed mid-batch"):
        capture_events(store, events, tmp_path)
    assert store.get_nodes("EpcisEvent", ["urn:uuid:f1", "urn:uuid:f2"]) == {}
    assert store.counts().nodes["ShelfActivity"] == 0
    monkeypatch.setattr(epcis.writing, "roll_up", real_roll_up)
    capture_events(store, events, tmp_path)
    assert _counters(store) == {_bucket("10"): (2, 1)}
