"""Conformance on every store: the EPCIS read queries (shelf interactions with
pickup-to-purchase conversion, end of life from CBV steps and dispositions) give the
hand-checked answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from epcis.shelf_signals import store_bucket
from graph.store import GraphStore, RelRow
from queries.base import QueryParameterError
from queries.engine import run_query
from tests.support.epcis_events import capture_events, object_event


def _capture_events(store: GraphStore, events: list[dict[str, Any]], tmp_path: Path) -> None:
    summary = capture_events(store, events, tmp_path)
    assert summary.rejected == 0, summary.results


def test_shelf_interactions_and_pickup_to_purchase_conversion(
    store: GraphStore, tmp_path: Path
) -> None:
    from epcis.epc import canonical_epc
    from epcis.shelf_signals import SHELF_PICKUP, SHELF_PUTDOWN
    from queries.shelf_interactions import ShelfCount, ShelfInteraction

    shop, other = "urn:epc:id:sgln:0614141.00001.0", "urn:epc:id:sgln:0614141.00002.0"
    shelf_a, shelf_b = "urn:epc:id:sgln:0614141.00001.1", "urn:epc:id:sgln:0614141.00001.2"
    store.upsert_nodes(
        "Product",
        [
            {"id": "RT-PHONE", "name": "Phone", "gtin": "10614141073464"},
            {"id": "RT-KETTLE", "name": "Kettle", "gtin": "10614141099990"},
        ],
    )
    store.upsert_nodes("Location", [{"id": canonical_epc(shop)}, {"id": canonical_epc(other)}])
    # As the purchases loader writes them: a store purchase's store|time sale key.
    store.upsert_nodes(
        "Purchase",
        [
            {"id": pid, "purchased_at": when, "store_sale": store_bucket(canonical_epc(at), when)}
            for pid, when, at in (
                ("P1", "2026-05-01T11:00:00Z", shop),
                ("P2", "2026-05-02T09:00:00Z", shop),
                ("P3", "2026-06-01T00:00:00Z", shop),  # after the window
                ("P4", "2026-05-01T12:00:00Z", other),  # another store
            )
        ],
    )
    store.upsert_relationships(
        "INCLUDES",
        "Purchase",
        "Product",
        [
            RelRow("P1", "RT-PHONE", {"quantity": 1}),
            RelRow("P1", "RT-KETTLE", {"quantity": 2}),
            RelRow("P2", "RT-PHONE", {"quantity": 2}),
            RelRow("P3", "RT-PHONE", {"quantity": 5}),
            RelRow("P4", "RT-PHONE", {"quantity": 7}),
        ],
    )
    store.upsert_relationships(
        "AT",
        "Purchase",
        "Location",
        [RelRow(p, canonical_epc(shop)) for p in ("P1", "P2", "P3")]
        + [RelRow("P4", canonical_epc(other))],
    )
    # Written around the purchase loader: their daily store sales made as it keeps them.
    from epcis.store_sales import rebuild

    assert rebuild(store) == 5  # shop: 05-01 x 2 products, 05-02, 06-01; other: 05-01

    def at(shelf: str, where: str = shop) -> dict[str, Any]:
        return {"readPoint": {"id": shelf}, "bizLocation": {"id": where}}

    events = [
        object_event("s1", SHELF_PICKUP, "2026-05-01T10:05:00Z", 1, **at(shelf_a)),
        object_event("s2", SHELF_PUTDOWN, "2026-05-01T10:07:00Z", 1, **at(shelf_a)),
        object_event("s3", SHELF_PICKUP, "2026-05-01T10:30:00Z", 2, **at(shelf_b)),
        object_event("s4", SHELF_PICKUP, "2026-05-02T18:00:00Z", 3, **at(shelf_a)),
        object_event("s5", SHELF_PICKUP, "2026-05-31T23:59:00Z", 4, **at(shelf_b)),
        object_event("s6", SHELF_PICKUP, "2026-06-01T00:00:00Z", 5, **at(shelf_a)),  # after
        object_event("s7", SHELF_PICKUP, "2026-05-01T10:00:00Z", 6, **at(other + "9", other)),
        {
            **object_event("k1", SHELF_PICKUP, "2026-05-03T10:00:00Z", 0, **at(shelf_b)),
            "epcList": [],
            "quantityList": [{"epcClass": "urn:epc:idpat:sgtin:0614141.109999.*", "quantity": 3}],
        },
    ]
    _capture_events(store, events, tmp_path)
    may = {"store": shop, "from": "2026-05-01", "to": "2026-06-01"}
    phone = ShelfInteraction(
        "10614141073464",
        "RT-PHONE",
        "Phone",
        pickups=4,
        putdowns=1,
        purchased=3,
        conversion=0.75,
        shelves=(
            ShelfCount(canonical_epc(shelf_a), 2, 1),
            ShelfCount(canonical_epc(shelf_b), 2, 0),
        ),
    )
    kettle = ShelfInteraction(
        "10614141099990",
        "RT-KETTLE",
        "Kettle",
        3,
        0,
        2,
        0.6667,
        (ShelfCount(canonical_epc(shelf_b), 3, 0),),
    )
    assert run_query(store, "shelf_interactions", product="", **may) == [phone, kettle]
    assert run_query(store, "shelf_interactions", product="RT-PHONE", **may) == [phone]
    # The store by its Digital Link, the window in another offset: 10:00-11:00 UTC.
    hour = run_query(
        store,
        "shelf_interactions",
        store=canonical_epc(shop),
        product="RT-PHONE",
        **{"from": "2026-05-01T12:00:00+02:00", "to": "2026-05-01T13:00:00+02:00"},
    )
    assert [(i.pickups, i.putdowns, i.purchased, i.conversion) for i in hour] == [(2, 1, 0, 0.0)]
    assert run_query(store, "shelf_interactions", product="RT-NOPE", **may) == []
    with pytest.raises(QueryParameterError, match="before"):
        run_query(store, "shelf_interactions", store=shop, product="", **{"from": "2026-06-01", "to": "2026-05-01"})  # fmt: skip


def test_end_of_life_from_cbv_steps_and_dispositions(store: GraphStore, tmp_path: Path) -> None:
    from queries.end_of_life import EndOfLife

    declared = {"errorDeclaration": {"declarationTime": "2026-07-01T00:00:00Z"}}
    events = [
        object_event("c1", "commissioning", "2026-05-01T10:00:00Z", 1),
        object_event("x1", "collecting", "2026-05-05T10:00:00Z", 1, disposition="disposed"),
        object_event("x2", "destroying", "2026-05-06T10:00:00Z", 1),
        object_event("x2", "destroying", "2026-05-06T10:00:00Z", 1, **declared),  # retracted
        object_event("r1", "receiving", "2026-05-02T10:00:00Z", 2, disposition="returned"),
        object_event("r2", "receiving", "2026-05-03T10:00:00Z", 3, disposition="returned"),
        object_event(
            "r3", "stocking", "2026-05-04T10:00:00Z", 3, disposition="sellable_accessible"
        ),
        object_event("d1", "decommissioning", "2026-05-04T10:00:00Z", 4, disposition="inactive"),
        object_event("z1", "disassembling", "2026-05-04T10:00:00Z", 5, disposition="destroyed"),
    ]
    _capture_events(store, events, tmp_path)

    def eol(serial: int) -> EndOfLife | None:
        answer: EndOfLife | None = run_query(
            store, "end_of_life", epc=f"urn:epc:id:sgtin:0614141.107346.{serial}"
        )
        return answer

    key = "https://id.gs1.org/01/10614141073464/21/"
    assert eol(1) == EndOfLife(
        key + "1", "recycled", "2026-05-05T10:00:00Z", "x1", "collecting", "disposed"
    )
    assert eol(2) == EndOfLife(key + "2", "returned", "2026-05-02T10:00:00Z", "r1", "receiving", "returned")  # fmt: skip
    assert eol(3) is None  # returned, then restocked
    assert [getattr(eol(n), "status", None) for n in (4, 5)] == ["decommissioned", "destroyed"]
    assert eol(9) is None
