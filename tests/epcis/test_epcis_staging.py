"""Capture's staged rows (epcis/staging.py) write what the rows as dictionaries write: the
embedded store takes them as texts, any other store as the dictionaries they encode, and a
row the store would refuse stays a dictionary, so the store refuses it as it always did."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any, cast

import pytest

from epcis.documents import events_of, read_documents
from epcis.shelf_signals import SHELF_PICKUP, SHELF_PUTDOWN, activity_id, activity_of
from epcis.staging import put_nodes, put_relationships, stage
from graph.embedded import EmbeddedStore
from graph.errors import InvalidWriteError
from graph.store import GraphStore, RelRow
from tests.support.epcis_events import capture_events
from tests.support.paths import SHARED_DATA, TEST_DATA

OBSERVED = ("OBSERVED", "EpcisEvent", "ProductInstance")
DECLARED = {"declarationTime": "2026-06-01T00:00:00Z", "reason": "incorrect_data"}


class _NotEmbedded:
    """The same store behind a face that is no EmbeddedStore: capture writes it as it
    writes any other store (Neo4j), with rows as dictionaries."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name.startswith("upsert_staged"):
            raise AssertionError("a store that is not embedded is given dictionaries")
        return getattr(self._store, name)


def _shelf_event(n: int, rnd: random.Random) -> dict[str, Any]:
    shop = rnd.randrange(3)
    return {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:s{n}",
        "eventTime": f"2026-05-0{rnd.randint(1, 3)}T{rnd.randint(0, 23):02d}:00:00+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "epcList": [f"urn:epc:id:sgtin:0614141.20000{rnd.randrange(3)}.{rnd.randrange(9)}"],
        "bizStep": SHELF_PICKUP if rnd.random() < 0.6 else SHELF_PUTDOWN,
        "readPoint": {"id": f"urn:epc:id:sgln:0614141.0020{shop}.{rnd.randint(1, 4)}"},
        "bizLocation": {"id": f"urn:epc:id:sgln:0614141.0020{shop}.0"},
    }


def _journey_event(n: int, rnd: random.Random) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:j{n}",
        "eventTime": f"2026-05-0{rnd.randint(1, 3)}T10:00:0{n % 10}Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "epcList": [f"urn:epc:id:sgtin:0614141.107346.{rnd.randrange(20)}"],
        "bizStep": rnd.choice(["shipping", "receiving", "retail_selling"]),
        "disposition": "in_progress",
        "readPoint": {"id": f"urn:epc:id:sgln:0614141.{rnd.randint(1, 9):05d}.0"},
        "bizLocation": {"id": f"urn:epc:id:sgln:0614141.{rnd.randint(1, 9):05d}.0"},
    }


def _stream(seed: int) -> list[dict[str, Any]]:
    """Shelf and journey events, then repeats (some changed: the first capture's counts
    stay), retractions, and retractions of events not captured yet."""
    rnd = random.Random(seed)
    events = [(_shelf_event if n % 2 else _journey_event)(n, rnd) for n in range(200)]
    for _ in range(30):
        events.append(rnd.choice(events))
        changed = rnd.choice(events)
        serials = (1, 2)
        events.append(
            {**changed, "epcList": [f"urn:epc:id:sgtin:0614141.200001.{n}" for n in serials]}
        )
        events.append({**rnd.choice(events), "errorDeclaration": DECLARED})
    events.append({**_shelf_event(999, rnd), "errorDeclaration": DECLARED})
    events.append(_shelf_event(999, rnd))
    return events


def _documents_events() -> list[dict[str, Any]]:
    found = [*SHARED_DATA.rglob("*.json*"), *(TEST_DATA / "epcis").glob("*.json*")]
    events: list[dict[str, Any]] = []
    for path in sorted(p for p in found if "Schema" not in p.name):
        for _, document, error in read_documents(path):
            if error is None and isinstance(document, dict):
                try:
                    events += [e for e in events_of(document) if isinstance(e, dict)]
                except ValueError:
                    continue
    return events


def _dump(path: Path) -> list[str]:
    """The store file's every node, relationship and count, as text."""
    db = sqlite3.connect(path)
    try:
        nodes = db.execute(
            "SELECT v.name, n.key, n.props FROM nodes n JOIN vocab v ON v.code = n.label"
        ).fetchall()
        rels = db.execute("SELECT * FROM relationship_rows").fetchall()
        counts = db.execute("SELECT * FROM counts").fetchall()
    finally:
        db.close()
    return sorted(json.dumps(row) for row in [*nodes, *rels, *counts])


@pytest.mark.parametrize("batch", [1, 7, 10_000])
def test_staged_rows_write_what_rows_as_dictionaries_write(batch: int, tmp_path: Path) -> None:
    events = _stream(3) + _documents_events()
    staged = EmbeddedStore(tmp_path / "staged.sqlite")
    plain = EmbeddedStore(tmp_path / "plain.sqlite")
    try:
        summaries = []
        for store in (staged, cast(GraphStore, _NotEmbedded(plain))):
            done = []
            for part in (events[:150], events[150:], events):  # again: all repeats
                summary = capture_events(store, part, tmp_path, batch=batch)
                done.append(dict(summary.__dict__))
            summaries.append(done)
        assert summaries[0] == summaries[1]
        assert summaries[0][0]["captured"] > 100
        assert summaries[0][2]["repeats"] + summaries[0][2]["corrections"] > 0
    finally:
        staged.close()
        plain.close()
    assert _dump(tmp_path / "staged.sqlite") == _dump(tmp_path / "plain.sqlite")


def test_a_row_the_store_refuses_is_not_staged_and_is_refused_in_the_stores_words(
    tmp_path: Path,
) -> None:
    event = {"event_id": "urn:uuid:x", "persistent_disposition_set": [{"not": "text"}]}
    rows: dict[str, Any] = {
        "nodes": {"EpcisEvent": [event], "Location": [{"id": "urn:x", "kind": "site"}]},
        "rels": {},
        "instances": {"": (None, None), "urn:y": ("1", "2")},
        "bare_rels": {
            OBSERVED: [("urn:uuid:x", "", "epc")],
            ("AT", "EpcisEvent", "Location"): [("urn:uuid:x", "urn:x")],
        },
    }
    stage(rows)
    # The event and the items stay dictionaries, the OBSERVED rows relationship rows; the
    # rest is staged.
    assert rows["nodes"]["EpcisEvent"] == [event]
    assert [r["epc"] for r in rows["nodes"]["ProductInstance"]] == ["", "urn:y"]
    assert rows["rels"][OBSERVED] == [RelRow("urn:uuid:x", "", {"role": "epc"})]
    assert set(rows["staged_nodes"]) == {"Location"}
    assert rows["staged_rels"] == {
        ("AT", "EpcisEvent", "Location"): [("urn:uuid:x", "urn:x", "", "{}", "{}")]
    }
    assert rows["gtins"] == {"urn:y": "1"}
    store = EmbeddedStore(tmp_path / "kb.sqlite")
    try:
        for label, listed in rows["nodes"].items():  # as given: the store's own refusal
            with pytest.raises(InvalidWriteError):
                store.upsert_nodes(label, listed)
        with pytest.raises(InvalidWriteError, match=r"(src|dst) key"):
            store.upsert_relationships(
                "OBSERVED", "EpcisEvent", "ProductInstance", rows["rels"][OBSERVED]
            )
    finally:
        store.close()


def test_staged_rows_reach_any_store_as_the_dictionaries_they_encode(tmp_path: Path) -> None:
    rows: dict[str, Any] = {
        "nodes": {
            "EpcisEvent": [{"event_id": "urn:uuid:a", "action": "ADD", "disposition": None}],
            "Location": [{"id": "urn:p", "kind": "site"}],
        },
        "rels": {},
        "instances": {"urn:i": ("0614141", None)},
        "bare_rels": {
            OBSERVED: [("urn:uuid:a", "urn:i", "epc")],
            ("READ_AT", "EpcisEvent", "Location"): [("urn:uuid:a", "urn:p")],
        },
    }
    stage(rows)
    stores = [EmbeddedStore(tmp_path / f"{n}.sqlite") for n in ("staged", "plain")]
    try:
        for store in (stores[0], cast(GraphStore, _NotEmbedded(stores[1]))):
            for label, staged in rows["staged_nodes"].items():
                put_nodes(store, label, staged)
            for group, staged_rels in rows["staged_rels"].items():
                put_relationships(store, group, staged_rels)
        node = stores[1].get_node("EpcisEvent", "urn:uuid:a")
        assert node is not None
        assert node.props == {"event_id": "urn:uuid:a", "action": "ADD"}
    finally:
        for store in stores:
            store.close()
    assert _dump(tmp_path / "staged.sqlite") == _dump(tmp_path / "plain.sqlite")


@pytest.mark.parametrize("apart", [True, False])
def test_a_changed_repeat_keeps_the_first_captures_counts(apart: bool, tmp_path: Path) -> None:
    first = _shelf_event(1, random.Random(1))
    changed = {**first, "epcList": [f"urn:epc:id:sgtin:0614141.200009.{n}" for n in (1, 2)]}
    store = EmbeddedStore(tmp_path / "kb.sqlite")
    try:
        assert capture_events(store, [first], tmp_path).captured == 1
        node = store.get_node("EpcisEvent", first["eventID"])
        assert node is not None
        counts = node.props["shelf_counts"]
        # Sent again changed: in a batch of its own, or after the first in one batch.
        again = capture_events(store, [changed] if apart else [first, changed], tmp_path)
        assert again.rejected == 0
        node = store.get_node("EpcisEvent", first["eventID"])
        assert node is not None
        assert node.props["shelf_counts"] == counts
        retracted = capture_events(store, [{**changed, "errorDeclaration": DECLARED}], tmp_path)
        assert retracted.corrections == 1
        held = store.find_range("ShelfActivity", "bucket_start", "2026", "2027", limit=100)
        assert held
        assert {(n.props["pickups"], n.props["putdowns"]) for n in held} == {(0, 0)}
    finally:
        store.close()


def test_an_activity_comes_back_from_its_id_and_store() -> None:
    for shelf in ("https://id.gs1.org/414/0614141002023/254/5", "urn:x@y"):
        made = activity_of(activity_id("10614141073464", shelf, "2026-05-01T10:00:00Z"), "s")
        assert (made.gtin, made.shelf, made.store, made.bucket_start) == (
            "10614141073464",
            shelf,
            "s",
            "2026-05-01T10:00:00Z",
        )
