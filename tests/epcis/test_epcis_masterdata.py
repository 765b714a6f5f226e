"""EPCIS master data (names of places and parties), an item's journey through the
containers that carried it, its chain of custody, and what a capture says it did."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from epcis.epc import canonical_epc
from epcis.masterdata import check_element, master_elements
from graph.store import GraphStore
from queries.engine import run_query
from sample.epcis import Sale, epcis_stream, store_gln
from tests.support.epcis_events import capture_file, write_lines
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "epcis"
ITEM = "urn:epc:id:sgtin:0614141.107346.2017"
PLANT = canonical_epc("urn:epc:id:sgln:0614141.00777.0")
LINE = canonical_epc("urn:epc:id:sgln:0614141.00777.1")
STORE = canonical_epc("urn:epc:id:sgln:0614141.00888.0")
MAKER, RETAILER = "urn:epc:id:pgln:0614141.00001", "urn:epc:id:pgln:0614141.00002"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


def _event(eid: str, when: str, step: str, epcs: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "@context": CONTEXT, "type": "ObjectEvent", "eventID": eid, "action": "OBSERVE",
        "eventTime": when, "eventTimeZoneOffset": "+00:00", "epcList": epcs, "bizStep": step,
        **fields,
    }  # fmt: skip


def _aggregation(eid: str, action: str, parent: str, child: str, when: str) -> dict[str, Any]:
    return {
        "@context": CONTEXT, "type": "AggregationEvent", "eventID": eid, "action": action,
        "eventTime": when, "eventTimeZoneOffset": "+00:00", "parentID": parent,
        "childEPCs": [child],
    }  # fmt: skip


def _master(vocabularies: Any, **body: Any) -> dict[str, Any]:
    return {
        "@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2026-05-01T00:00:00Z",
        "epcisHeader": {"epcisMasterData": {"vocabularyList": vocabularies}}, **body,
    }  # fmt: skip


def _named(vtype: str, id_: str, name: str) -> dict[str, Any]:
    return {
        "type": f"urn:epcglobal:epcis:vtype:{vtype}",
        "vocabularyElementList": [
            {"id": id_, "attributes": [{"id": "urn:epcglobal:cbv:mda#name", "attribute": name}]}
        ],
    }


def test_master_data_names_the_places_and_parties_of_a_journey(
    store: GraphStore, tmp_path: Path
) -> None:
    summary = capture_file(store, DATA / "master_data.json", tmp_path)
    assert (summary.captured, summary.rejected) == (3, 0)
    # Plant, store, packing line, two parties; EPCClass is not kept; the bad one rejected.
    assert (summary.master_data, summary.master_data_skipped, summary.master_data_rejected) == (
        5,
        1,
        1,
    )
    [bad] = [r for r in summary.results if r["status"] == "rejected"]
    assert bad["id"] == "urn:epc:id:sgln:0614141.00999.0"
    assert bad["reasons"] == [
        "epcisHeader/epcisMasterData/vocabularyList/0/vocabularyElementList/2/attributes/0: "
        "'id' is a required property"
    ]
    journey = run_query(store, "product_journey", epc=ITEM, first=10)
    assert [(s.biz_step, s.biz_location_name, s.read_point_name) for s in journey] == [
        ("commissioning", "Northfield Electronics — Columbus plant", "Columbus plant, packing line 1"),
        ("shipping", None, None),
        ("receiving", "Store 7 — Leeds", None),  # its read point has no master data
    ]  # fmt: skip
    assert (journey[0].biz_location, journey[0].read_point) == (PLANT, LINE)
    here = run_query(store, "current_location", epc=ITEM)
    assert (here.location, here.name) == (STORE, "Store 7 — Leeds")
    custody = run_query(store, "chain_of_custody", epc=ITEM, first=10)
    assert [(c.party, c.name, c.role) for c in custody] == [
        (MAKER, "Northfield Electronics Inc.", "from_owning_party"),
        (RETAILER, "Brightmart Retail Ltd", "to_owning_party"),
    ]
    plant = store.get_node("Location", PLANT)
    assert plant is not None
    assert {k: plant.props.get(k) for k in ("address", "city", "state", "postal_code", "country")} == {
        "address": "1200 Industrial Pkwy, Gate 4", "city": "Columbus", "state": "OH",
        "postal_code": "43219", "country": "US",
    }  # fmt: skip
    assert (plant.props["latitude"], plant.props["longitude"]) == (39.99, -82.89)
    # Attributes ckb does not map are kept, whatever their value.
    kept = json.loads(str(plant.props["master_data"]))
    assert kept["https://example.com/mda#openingHours"] == {"mon": "06-22", "sun": "closed"}
    [parent] = store.neighbours("Location", LINE, "LOCATED_IN", "out", "Location")
    assert parent.node.key == PLANT
    assert store.get_node("Location", canonical_epc("urn:epc:id:sgln:0614141.00999.0")) is None


def test_master_data_alone_is_accepted_and_names_places_already_held(
    store: GraphStore, tmp_path: Path
) -> None:
    events = write_lines(tmp_path / "events.jsonl", [
        _event("urn:uuid:e1", "2026-05-01T10:00:00Z", "receiving", [ITEM],
               bizLocation={"id": "urn:epc:id:sgln:0614141.00888.0"}),
    ])  # fmt: skip
    capture_file(store, events, tmp_path)
    assert run_query(store, "current_location", epc=ITEM).name is None
    header_only = _master([_named("BusinessLocation", "urn:epc:id:sgln:0614141.00888.0", "Store 7 — Leeds")])  # fmt: skip
    query_results = {
        "@context": CONTEXT, "type": "EPCISQueryDocument", "schemaVersion": "2.0",
        "creationDate": "2026-05-01T00:00:00Z",
        "epcisBody": {"queryResults": {"queryName": "SimpleMasterDataQuery", "resultsBody": {
            "vocabularyList": [_named("Party", MAKER, "Northfield Electronics Inc.")]}}},
    }  # fmt: skip
    for document in (header_only, {**header_only, "epcisBody": {"eventList": []}}, query_results):
        summary = capture_file(store, write_lines(tmp_path / "md.jsonl", [document]), tmp_path)
        assert (summary.refused_documents, summary.master_data, summary.events) == (0, 1, 0)
    assert run_query(store, "current_location", epc=ITEM).name == "Store 7 — Leeds"
    party = store.get_node("Party", MAKER)
    assert party is not None
    assert party.props["name"] == "Northfield Electronics Inc."
    before = store.counts()
    capture_file(store, write_lines(tmp_path / "md.jsonl", [header_only]), tmp_path)
    assert store.counts() == before  # idempotent


def test_bad_master_data_is_rejected_with_reasons_and_never_crashes(
    store: GraphStore, tmp_path: Path
) -> None:
    good = _named("ReadPoint", "urn:epc:id:sgln:0614141.00888.1", "Shelf 1")
    bad_elements = {
        "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
        "vocabularyElementList": [
            {"attributes": []},
            {"id": "  "},
            {"id": "urn:epc:id:sgln:0614141.00888.0", "attributes": [
                {"id": "name", "attribute": "bare"},
                {"id": "urn:epcglobal:cbv:mda#name", "attribute": {"en": "Store"}},
                {"id": "urn:epcglobal:cbv:mda#latitude", "attribute": "north"}]},
            "not an element",
        ],
    }  # fmt: skip
    documents = [
        _master([good, bad_elements, {"vocabularyElementList": []}]),
        _master("not a list"),
        {**_master([]), "epcisHeader": {"epcisMasterData": None}},
    ]
    summary = capture_file(store, write_lines(tmp_path / "bad.jsonl", documents), tmp_path)
    assert (summary.master_data, summary.master_data_rejected, summary.refused_documents) == (
        1,
        7,
        0,
    )
    reasons = {r["masterData"]: r["reasons"] for r in summary.results}
    at = "epcisHeader/epcisMasterData/vocabularyList/1/vocabularyElementList"
    assert reasons[f"{at}/0"] == [f"{at}/0: 'id' is a required property"]
    assert reasons[f"{at}/1"] == [f"{at}/1/id: must not be empty"]
    assert reasons[f"{at}/2"] == [
        f"{at}/2/attributes/0/id: 'name' is not a URI (write a CBV attribute in full, e.g. "
        "urn:epcglobal:cbv:mda#name)",
        f"{at}/2/attributes/1/attribute: urn:epcglobal:cbv:mda#name must be text, got "
        "{'en': 'Store'}",
        f"{at}/2/attributes/2/attribute: urn:epcglobal:cbv:mda#latitude must be a number, "
        "got 'north'",
    ]
    assert reasons["epcisHeader/epcisMasterData/vocabularyList/2"] == [
        "epcisHeader/epcisMasterData/vocabularyList/2: 'type' is a required property"
    ]
    assert all(r["reasons"] for r in summary.results)
    rejects = (tmp_path / "bad.jsonl.rejects.jsonl").read_text(encoding="utf-8")
    rejected = [json.loads(line) for line in rejects.splitlines()]
    assert len(rejected) == 7
    assert store.get_node("Location", canonical_epc("urn:epc:id:sgln:0614141.00888.0")) is None
    for junk in (None, 3, [], "x", {}, {"id": 5}, {"id": "a:b", "attributes": [None]}):
        assert check_element(junk)
    for junk_header in (None, 3, [], {"epcisMasterData": 3}, {"epcisMasterData": {"vocabularyList": 3}}):  # fmt: skip
        document = {**_master([]), "epcisHeader": junk_header}
        assert master_elements(document)
        assert all(e.reasons for e in master_elements(document))


SSCC_CASE, SSCC_PALLET = "urn:epc:id:sscc:0614141.1111111111", "urn:epc:id:sscc:0614141.2222222222"


def test_the_legs_of_its_containers_are_part_of_an_items_journey(
    store: GraphStore, tmp_path: Path
) -> None:
    dc = {"id": "urn:epc:id:sgln:0614141.00010.0"}
    events = [
        _aggregation("urn:uuid:c1", "ADD", SSCC_CASE, ITEM, "2026-05-01T08:00:00Z"),
        _aggregation("urn:uuid:c2", "ADD", SSCC_PALLET, SSCC_CASE, "2026-05-01T09:00:00Z"),
        # Before the pallet held the case: not a leg of the item.
        _event("urn:uuid:early", "2026-05-01T08:30:00Z", "staging_outbound", [SSCC_PALLET]),
        _event("urn:uuid:ship", "2026-05-01T10:00:00Z", "shipping", [SSCC_PALLET],
               disposition="in_transit",
               sourceList=[{"type": "owning_party", "source": MAKER}],
               destinationList=[{"type": "owning_party", "destination": RETAILER}]),
        _event("urn:uuid:recv", "2026-05-02T10:00:00Z", "receiving", [SSCC_PALLET],
               bizLocation=dc),
        _event("urn:uuid:case", "2026-05-02T11:00:00Z", "inspecting", [SSCC_CASE]),
        # The same instant as the pallet's DELETE: the pallet no longer holds it.
        _aggregation("urn:uuid:c3", "DELETE", SSCC_PALLET, SSCC_CASE, "2026-05-02T12:00:00Z"),
        _event("urn:uuid:late", "2026-05-02T12:00:00Z", "shipping", [SSCC_PALLET]),
        _event("urn:uuid:both", "2026-05-02T13:00:00Z", "stock_taking", [SSCC_CASE, ITEM],
               bizLocation={"id": "urn:epc:id:sgln:0614141.00888.0"}),
    ]  # fmt: skip
    path = write_lines(tmp_path / "legs.jsonl", events)
    assert capture_file(store, path, tmp_path).captured == len(events)
    case, pallet = canonical_epc(SSCC_CASE), canonical_epc(SSCC_PALLET)
    journey = run_query(store, "product_journey", epc=ITEM, first=20)
    assert [(s.event_id, s.role, s.container) for s in journey] == [
        ("urn:uuid:c1", "child", None),
        ("urn:uuid:c2", "child", case),  # through the case, its nearest container
        ("urn:uuid:ship", "epc", pallet),
        ("urn:uuid:recv", "epc", pallet),
        ("urn:uuid:case", "epc", case),
        ("urn:uuid:c3", "child", case),
        ("urn:uuid:both", "epc", None),  # names the item itself: once, as its own
    ]
    custody = run_query(store, "chain_of_custody", epc=ITEM, first=10)
    assert {(c.event_id, c.party, c.role) for c in custody} == {
        ("urn:uuid:ship", MAKER, "from_owning_party"),
        ("urn:uuid:ship", RETAILER, "to_owning_party"),
    }
    here = run_query(store, "current_location", epc=ITEM)
    assert (here.event_id, here.location) == (
        "urn:uuid:both",
        canonical_epc("urn:epc:id:sgln:0614141.00888.0"),
    )


def test_an_item_in_a_received_pallet_is_where_the_pallet_is(
    store: GraphStore, tmp_path: Path
) -> None:
    dc = "urn:epc:id:sgln:0614141.00010.0"
    events = [
        _event("urn:uuid:made", "2026-05-01T07:00:00Z", "commissioning", [ITEM],
               bizLocation={"id": "urn:epc:id:sgln:0614141.00001.0"}),
        _aggregation("urn:uuid:c1", "ADD", SSCC_CASE, ITEM, "2026-05-01T08:00:00Z"),
        _aggregation("urn:uuid:c2", "ADD", SSCC_PALLET, SSCC_CASE, "2026-05-01T09:00:00Z"),
        _event("urn:uuid:recv", "2026-05-02T10:00:00Z", "receiving", [SSCC_PALLET],
               bizLocation={"id": dc}),
        _master([_named("BusinessLocation", dc, "Brightmart distribution centre — Memphis")]),
    ]  # fmt: skip
    capture_file(store, write_lines(tmp_path / "pallet.jsonl", events), tmp_path)
    here = run_query(store, "current_location", epc=ITEM)
    assert (here.event_id, here.location, here.name) == (
        "urn:uuid:recv",
        canonical_epc(dc),
        "Brightmart distribution centre — Memphis",
    )


def _sample(tmp_path: Path) -> Path:
    home = "https://ckb.example/loc/home/HH1"
    sales = [
        Sale("P1", "2026-10-20T15:00:00Z", store_gln(7), "RT-PHONE", "10614141073464", 2, home),
        Sale("P2", "2026-10-21T09:00:00Z", None, "RT-PHONE", "10614141073464", 1, home),
    ]
    stream = epcis_stream(42, date(2026, 11, 1), sales, ["RT-PHONE"])
    return write_lines(tmp_path / "supplychain.epcis.jsonl", stream)


def test_a_sample_item_has_a_chain_of_custody_and_travels_its_pallets_legs(
    store: GraphStore, tmp_path: Path
) -> None:
    path = _sample(tmp_path)
    summary = capture_file(store, path, tmp_path)
    assert (summary.rejected, summary.master_data_rejected) == (0, 0)
    assert summary.master_data > 20
    stream = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    sold = next(e for e in stream if e.get("bizStep") == "retail_selling")
    item = sold["epcList"][0]
    custody = run_query(store, "chain_of_custody", epc=item, first=20)
    assert [(c.biz_step, c.name, c.role) for c in custody] == [
        ("shipping", "Northfield Electronics Inc.", "from_owning_party"),
        ("shipping", "Northfield Electronics Inc.", "from_possessing_party"),
        ("shipping", "Brightmart Retail Inc.", "to_owning_party"),
        ("shipping", "Brightmart Retail Inc.", "to_possessing_party"),
        ("retail_selling", "Brightmart Retail Inc.", "from_owning_party"),
        ("retail_selling", "Brightmart Retail Inc.", "from_possessing_party"),
    ]
    journey = run_query(store, "product_journey", epc=item, first=100)
    legs = [(s.biz_step, s.biz_location_name) for s in journey if s.container is not None]
    assert [leg for leg in legs if leg[0] in ("shipping", "receiving")] == [
        ("shipping", None),  # in transit: no business location
        ("receiving", "Brightmart distribution centre — Memphis"),
        ("shipping", None),
        ("receiving", "Store 7 — Atlanta"),
    ]
    shipped = next(s for s in journey if s.biz_step == "shipping")
    assert shipped.read_point_name == "Northfield Electronics — Columbus plant, shipping dock"
    assert journey[0].biz_location_name == "Northfield Electronics — Columbus plant"
    here = run_query(store, "current_location", epc=item)
    assert (here.name, here.biz_step) == ("Store 7 — Atlanta", "retail_selling")
    # A web order: the DC is the last named place before the customer's home.
    web = next(e for e in stream if e.get("bizStep") == "shipping" and e.get("bizTransactionList"))
    web_custody = run_query(store, "chain_of_custody", epc=web["epcList"][0], first=20)
    assert [c.name for c in web_custody][-2:] == ["Brightmart Retail Inc."] * 2


def test_the_capture_summary_says_what_became_of_every_event(
    store: GraphStore, tmp_path: Path
) -> None:
    declared = {"errorDeclaration": {"declarationTime": "2026-05-03T00:00:00Z"}}
    first = _event("urn:uuid:s1", "2026-05-01T10:00:00Z", "shipping", [ITEM])
    events = [
        first,
        _event("urn:uuid:s2", "2026-05-01T11:00:00Z", "receiving", [ITEM]),
        first,  # sent twice
        {**first, **declared},  # retracts an event this capture brought
        {**_event("urn:uuid:s3", "2026-05-01T12:00:00Z", "stocking", [ITEM]), **declared},
    ]
    path = write_lines(tmp_path / "stream.jsonl", events)
    summary = capture_file(store, path, tmp_path)
    assert (summary.captured, summary.new_events, summary.corrections, summary.repeats) == (
        5,
        3,
        1,
        1,
    )
    assert store.counts().nodes["EpcisEvent"] == summary.new_events
    assert summary.describe() == (
        "5 events read: 3 new, 1 error declarations retracting events already held, "
        "1 repeats of events already held; rejected 0"
    )
    again = capture_file(store, path, tmp_path)
    assert (again.new_events, again.corrections, again.repeats) == (0, 2, 3)
    assert store.counts().nodes["EpcisEvent"] == 3


def test_the_sample_stream_counts_its_retractions_apart(store: GraphStore, tmp_path: Path) -> None:
    path = _sample(tmp_path)
    stream = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    retractions = sum(1 for e in stream if "errorDeclaration" in e)
    summary = capture_file(store, path, tmp_path)
    assert summary.corrections == retractions
    assert summary.new_events == summary.captured - retractions
    assert store.counts().nodes["EpcisEvent"] == summary.new_events
    assert summary.describe().startswith(f"{summary.events:,} events read: ")


@pytest.mark.parametrize("named", [True, False])
def test_shelf_interactions_and_customer_items_name_the_place(
    store: GraphStore, tmp_path: Path, named: bool
) -> None:
    from graph.store import RelRow

    store.upsert_nodes("Customer", [{"id": "ann"}])
    store.upsert_nodes("Purchase", [{"id": "O1"}])
    store.upsert_relationships("MADE", "Customer", "Purchase", [RelRow("ann", "O1")])
    store.upsert_nodes("Product", [{"id": "RT-PHONE", "name": "Phone", "gtin": "10614141073464"}])
    shop, shelf = "urn:epc:id:sgln:0614141.00888.0", "urn:epc:id:sgln:0614141.00888.3"
    documents = [
        _event("urn:uuid:up", "2026-05-01T10:00:00Z",
               "https://ckb.example/voc/bizstep/shelf_pickup", [ITEM],
               readPoint={"id": shelf}, bizLocation={"id": shop}),
        _event("urn:uuid:sold", "2026-05-01T10:05:00Z", "retail_selling", [ITEM],
               bizLocation={"id": shop},
               bizTransactionList=[{"type": "inv", "bizTransaction": "urn:ckb:purchase:O1"}]),
    ]  # fmt: skip
    if named:
        documents.append(
            _master(
                [
                    _named("BusinessLocation", shop, "Store 7 — Leeds"),
                    _named("ReadPoint", shelf, "Store 7 — Leeds, shelf 3"),
                ]
            )
        )
    capture_file(store, write_lines(tmp_path / "shop.jsonl", documents), tmp_path)
    [found] = run_query(
        store, "shelf_interactions", store=shop, product="", **{"from": "2026-05-01", "to": "2026-05-02"}
    )  # fmt: skip
    assert [(s.shelf, s.name) for s in found.shelves] == [
        (canonical_epc(shelf), "Store 7 — Leeds, shelf 3" if named else None)
    ]
    [bought] = run_query(store, "customer_items", customerId="ann", first=5)
    assert (bought.location, bought.location_name) == (
        canonical_epc(shop),
        "Store 7 — Leeds" if named else None,
    )


def test_pushed_master_data_names_places_too(tmp_path: Path) -> None:
    import httpx

    from api.auth import AuthSettings
    from api.http.app import create_app
    from api.http.ingest import IngestSettings
    from graph.embedded import EmbeddedStore
    from tests.support.serve import LiveServer

    settings = IngestSettings(rejects_dir=tmp_path / "rejects")
    tokens = AuthSettings.from_env({"CKB_INGEST_TOKENS": "tok"})
    shop = "urn:epc:id:sgln:0614141.00888.0"
    document = _master([_named("BusinessLocation", shop, "Store 7 — Leeds")])
    app = create_app(lambda: EmbeddedStore(tmp_path / "kb.sqlite"), settings, tokens)
    with LiveServer(app) as server:
        r = httpx.post(
            f"{server.url}/epcis/capture", json=document, headers={"Authorization": "Bearer tok"}
        )
        assert r.status_code == 202, r.text
        assert (r.json()["events"], r.json()["results"]) == (0, [])
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        place = store.get_node("Location", canonical_epc(shop))
        assert place is not None
        assert place.props["name"] == "Store 7 — Leeds"
