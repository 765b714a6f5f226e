"""EPCIS capture: identifiers, GS1's and OpenEPCIS's documents, rejects, idempotency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from epcis.documents import event_id
from epcis.epc import canonical_epc, check_digit, gtin_of
from epcis.validation import check_event
from graph.store import GraphStore
from tests.support.epcis_events import capture_file, write_lines
from tests.support.paths import SHARED_DATA

DATA = SHARED_DATA
GS1 = DATA / "epcis-gs1-examples"
OPEN = DATA / "epcis-openepcis"
needs_data = pytest.mark.skipif(
    not OPEN.is_dir() or not GS1.is_dir(),
    reason=f"EPCIS test documents not found under {DATA} (../shared/data)",
)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        (
            "https://id.gs1.org/01/10614141073464/21/2017",
            "https://id.gs1.org/01/10614141073464/21/2017",
        ),
        (
            "https://brand.example/x/01/10614141073464/21/2017/",
            "https://id.gs1.org/01/10614141073464/21/2017",
        ),
        ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"),
        ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234"),
        ("urn:epc:id:sgln:0614141.07346.0", "https://id.gs1.org/414/0614141073467"),
        ("urn:epc:id:gid:1.2.3", "urn:epc:id:gid:1.2.3"),
    ],
)
def test_urns_and_digital_links_meet_in_one_key(written: str, canonical: str) -> None:
    assert canonical_epc(written) == canonical


def test_check_digits_and_gtins() -> None:
    assert check_digit("1061414107346") == "4"
    assert gtin_of("https://id.gs1.org/01/10614141073464/21/2017") == "10614141073464"
    assert gtin_of("https://id.gs1.org/00/106141412345678908") is None


def _files(*folders: Path) -> list[Path]:
    return sorted(p for f in folders for p in f.glob("*.json*") if "Schema" not in p.name)


@needs_data
def test_every_valid_document_loads(store: GraphStore, tmp_path: Path) -> None:
    files = _files(GS1, OPEN / "valid", OPEN / "events")
    assert len(files) >= 30
    total = 0
    for path in files:
        summary = capture_file(store, path, tmp_path)
        assert (summary.rejected, summary.refused_documents) == (0, 0), (path.name, summary.results)
        total += summary.captured
    counts = store.counts()
    assert counts.nodes["EpcisEvent"] >= 30
    assert counts.nodes["ProductInstance"] > 0
    assert total >= counts.nodes["EpcisEvent"]  # a few documents repeat an event


@needs_data
def test_every_invalid_document_is_refused_naming_the_bad_events(
    store: GraphStore, tmp_path: Path
) -> None:
    for path in _files(OPEN / "invalid"):
        summary = capture_file(store, path, tmp_path)
        assert summary.captured == 0, path.name
        bad = [r for r in summary.results if r["status"] == "rejected"]
        assert bad, path.name
        assert all(r["reasons"] for r in bad)
    combined = capture_file(store, OPEN / "invalid" / "Combination_of_events_with_missing_mandatory_fields.json", tmp_path)  # fmt: skip
    assert [(r["event"], r["reasons"]) for r in combined.results] == [
        (1, ["event: 'action' is a required property"]),
        (2, ["event: 'action' is a required property", "event: 'eventTimeZoneOffset' is a required property"]),
    ]  # fmt: skip


def _event(**fields: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-05-01T10:00:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
        "bizStep": "shipping",
        **fields,
    }


def test_a_bad_event_is_rejected_while_its_siblings_load(store: GraphStore, tmp_path: Path) -> None:
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-05-01T10:00:00Z",
        "epcisBody": {
            "eventList": [
                _event(eventID="urn:uuid:1"),
                _event(eventID="urn:uuid:2", bizStep="teleporting"),
                _event(bizStep="https://example.com/steps/shelf_pickup", colour="red"),
                _event(bizStep="https://ref.gs1.org/cbv/BizStep-receiving", **{"ex:colour": "red"}),
            ]
        },
    }
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    summary = capture_file(store, path, tmp_path)
    assert (summary.events, summary.captured, summary.rejected) == (4, 2, 2)
    bad = {r["event"]: r["reasons"] for r in summary.results if r["status"] == "rejected"}
    assert bad[2] == [
        "bizStep: 'teleporting' is not a CBV business step (write a custom one as a full URI)"
    ]
    assert bad[3] == [
        "'colour' is not an EPCIS field; an extension field must be namespaced (prefix:name)"
    ]
    good = store.get_node("EpcisEvent", "urn:uuid:1")
    assert good is not None
    assert good.props["biz_step"] == "shipping"
    derived = event_id(document["epcisBody"]["eventList"][3])  # type: ignore[index]
    fourth = store.get_node("EpcisEvent", derived)
    assert fourth is not None
    assert fourth.props["biz_step"] == "receiving"  # the URI form, shortened
    assert json.loads(str(fourth.props["extensions"])) == {"ex:colour": "red"}
    [seen] = store.neighbours("EpcisEvent", "urn:uuid:1", "OBSERVED")
    assert seen.node.key == "https://id.gs1.org/01/10614141073464/21/2017"
    assert seen.edge.props == {"role": "epc"}


def test_capture_is_idempotent_and_ids_are_stable(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        "\n".join(json.dumps({"@context": ["x"], **_event(eventTime=f"2026-05-0{i}T10:00:00Z")}) for i in (1, 2)),
        encoding="utf-8",
    )  # fmt: skip
    first = capture_file(store, path, tmp_path)
    before = store.counts()
    again = capture_file(store, path, tmp_path)
    assert first.captured == again.captured == 2
    assert [r["eventID"] for r in first.results] == [r["eventID"] for r in again.results]
    assert all(r["eventID"].startswith("ni:///sha-256;") for r in first.results)
    assert store.counts() == before


def test_error_declaration_retracts_and_aggregation_contains(
    store: GraphStore, tmp_path: Path
) -> None:
    events = [
        _event(eventID="urn:uuid:e1"),
        _event(eventID="urn:uuid:e1", errorDeclaration={"declarationTime": "2026-05-02T10:00:00Z", "reason": "incorrect_data"}),
        {
            "type": "AggregationEvent", "eventID": "urn:uuid:a1", "action": "ADD",
            "eventTime": "2026-05-01T09:00:00Z", "eventTimeZoneOffset": "+00:00",
            "parentID": "urn:epc:id:sscc:0614141.1234567890",
            "childEPCs": ["urn:epc:id:sgtin:0614141.107346.2017"], "bizStep": "packing",
        },
    ]  # fmt: skip
    path = tmp_path / "e.jsonl"
    path.write_text(
        "\n".join(json.dumps({"@context": ["x"], **e}) for e in events), encoding="utf-8"
    )
    summary = capture_file(store, path, tmp_path)
    assert summary.captured == 3, summary.results
    retracted = store.get_node("EpcisEvent", "urn:uuid:e1")
    assert retracted is not None
    assert retracted.props["retracted"] is True
    [inside] = store.neighbours(
        "ProductInstance", "https://id.gs1.org/00/106141412345678908", "CONTAINS"
    )
    assert inside.node.key == "https://id.gs1.org/01/10614141073464/21/2017"
    assert inside.edge.props["since"] == "2026-05-01T09:00:00Z"
    assert retracted.props["event_time"] == "2026-05-01T08:00:00Z"  # +02:00, in UTC


def test_check_event_never_crashes_on_junk() -> None:
    for junk in (None, 3, [], "ObjectEvent", {"type": "NotAnEvent"}, {"type": "ObjectEvent"}):
        assert check_event(junk)


def test_capture_endpoint_answers_per_event(tmp_path: Path) -> None:
    import httpx

    from api.auth import AuthSettings
    from api.http.app import create_app
    from api.http.ingest import IngestSettings
    from graph.embedded import EmbeddedStore
    from tests.support.serve import LiveServer

    settings = IngestSettings(rejects_dir=tmp_path / "rejects")
    tokens = AuthSettings.from_env({"CKB_INGEST_TOKENS": "tok"})
    auth = {"Authorization": "Bearer tok"}
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-01T10:00:00Z",
        "epcisBody": {"eventList": [_event(eventID="urn:uuid:ok"), _event(eventID="urn:uuid:bad", action="MAYBE")]},
    }  # fmt: skip
    app = create_app(lambda: EmbeddedStore(tmp_path / "kb.sqlite"), settings, tokens)
    with LiveServer(app) as server:
        url = f"{server.url}/epcis/capture"
        assert httpx.post(url, json=document).status_code == 401
        r = httpx.post(url, json=document, headers=auth)
        assert r.status_code == 202
        answer = r.json()
        assert (answer["captured"], answer["rejected"]) == (1, 1)
        assert [x["status"] for x in answer["results"]] == ["captured", "rejected"]
        assert answer["results"][1]["eventID"] == "urn:uuid:bad"
        again = httpx.get(f"{server.url}{r.headers['location']}", headers=auth)
        assert again.json() == answer
        only_bad = {**document, "epcisBody": {"eventList": [_event(bizStep="teleporting")]}}
        assert httpx.post(url, json=only_bad, headers=auth).status_code == 400
        assert httpx.post(url, content=b"{not json", headers=auth).status_code == 400
    # Durable on answer: the captured event is in the file.
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        assert store.get_node("EpcisEvent", "urn:uuid:ok") is not None
        assert store.get_node("EpcisEvent", "urn:uuid:bad") is None


def test_journey_and_current_location(store: GraphStore, tmp_path: Path) -> None:
    from queries.engine import run_query

    item = "urn:epc:id:sgtin:0614141.107346.2017"
    place = {"id": "urn:epc:id:sgln:0614141.00777.0"}
    events = [
        _event(eventID="urn:uuid:j3", eventTime="2026-05-03T10:00:00+02:00", bizStep="receiving",
               disposition="in_progress", bizLocation={"id": "urn:epc:id:sgln:0614141.00888.0"}),
        _event(eventID="urn:uuid:j1", eventTime="2026-05-01T10:00:00+02:00", bizStep="commissioning",
               disposition="active", bizLocation=place, readPoint=place),
        # Earlier in UTC than j1, though written with a later-looking local time.
        _event(eventID="urn:uuid:j0", eventTime="2026-05-01T11:00:00+05:00", bizStep="encoding"),
        _event(eventID="urn:uuid:j4", eventTime="2026-05-04T10:00:00+02:00", bizStep="shipping",
               bizLocation={"id": "urn:epc:id:sgln:0614141.00999.0"}),
        _event(eventID="urn:uuid:j4", eventTime="2026-05-04T10:00:00+02:00", bizStep="shipping",
               errorDeclaration={"declarationTime": "2026-05-05T10:00:00Z"}),
    ]  # fmt: skip
    path = tmp_path / "journey.jsonl"
    path.write_text(
        "\n".join(json.dumps({"@context": ["x"], **e}) for e in events), encoding="utf-8"
    )
    assert capture_file(store, path, tmp_path).captured == 5
    journey = run_query(store, "product_journey", epc=item, first=10)
    assert [(s.event_id, s.biz_step) for s in journey] == [
        ("urn:uuid:j0", "encoding"),
        ("urn:uuid:j1", "commissioning"),
        ("urn:uuid:j3", "receiving"),
        ("urn:uuid:j4", "shipping"),
    ]
    assert journey[1].biz_location == journey[1].read_point == canonical_epc(place["id"])
    assert journey[3].retracted is True
    # The same item by its Digital Link; the retracted shipping does not count.
    here = run_query(store, "current_location", epc="https://id.gs1.org/01/10614141073464/21/2017")
    assert (here.location, here.event_id) == (
        canonical_epc("urn:epc:id:sgln:0614141.00888.0"),
        "urn:uuid:j3",
    )
    assert run_query(store, "current_location", epc="urn:epc:id:sgtin:0614141.107346.9") is None
    assert (
        run_query(store, "product_journey", epc="urn:epc:id:sgtin:0614141.107346.9", first=5) == []
    )


def test_a_sale_links_items_to_the_buyer(store: GraphStore, tmp_path: Path) -> None:
    from graph.store import RelRow
    from queries.engine import run_query

    store.upsert_nodes("Customer", [{"id": "ann"}])
    store.upsert_nodes("Purchase", [{"id": "O0003843"}])
    store.upsert_relationships("MADE", "Customer", "Purchase", [RelRow("ann", "O0003843")])
    store.upsert_nodes("Product", [{"id": "RT-PHONE", "name": "Phone", "gtin": "10614141073464"}])
    home = {"id": "urn:epc:id:sgln:0614141.55555.0"}
    events = [
        _event(eventID="urn:uuid:sale", eventTime="2026-05-02T10:00:00Z", bizStep="retail_selling",
               disposition="retail_sold",
               bizTransactionList=[{"type": "inv", "bizTransaction": "https://shop.example/orders/O0003843"}]),
        _event(eventID="urn:uuid:home", eventTime="2026-05-03T10:00:00Z", bizStep="arriving",
               bizLocation=home),
        _event(eventID="urn:uuid:other", eventTime="2026-05-02T10:00:00Z", bizStep="retail_selling",
               epcList=["urn:epc:id:sgtin:0614141.107346.5555"],
               bizTransactionList=[{"type": "inv", "bizTransaction": "urn:ckb:purchase:O-UNKNOWN"}]),
    ]  # fmt: skip
    path = tmp_path / "sale.jsonl"
    path.write_text(
        "\n".join(json.dumps({"@context": ["x"], **e}) for e in events), encoding="utf-8"
    )
    assert capture_file(store, path, tmp_path).captured == 3
    [bought] = run_query(store, "customer_items", customerId="ann", first=10)
    assert bought.epc == canonical_epc("urn:epc:id:sgtin:0614141.107346.2017")
    assert (bought.product_id, bought.sold_at) == ("RT-PHONE", "2026-05-02T10:00:00Z")
    assert bought.location == canonical_epc(home["id"])
    assert (bought.last_step, bought.in_transit) == ("arriving", False)
    [tx] = store.neighbours("Purchase", "O0003843", "FOR_PURCHASE", "in", "BizTransaction")
    assert tx.node.key == "https://shop.example/orders/O0003843"
    assert run_query(store, "customer_items", customerId="nobody", first=10) == []


def test_containment_at_a_moment_and_chain_of_custody(store: GraphStore, tmp_path: Path) -> None:
    from queries.engine import run_query

    item = "urn:epc:id:sgtin:0614141.107346.2017"
    case, pallet = "urn:epc:id:sscc:0614141.1111111111", "urn:epc:id:sscc:0614141.2222222222"

    def aggregation(eid: str, action: str, parent: str, child: str, when: str) -> dict[str, Any]:
        return {
            "type": "AggregationEvent", "eventID": eid, "action": action, "eventTime": when,
            "eventTimeZoneOffset": "+00:00", "parentID": parent, "childEPCs": [child],
        }  # fmt: skip

    maker = "urn:epc:id:pgln:0614141.00001"
    shop = "urn:epc:id:pgln:0614141.00002"
    events = [
        aggregation("urn:uuid:p1", "ADD", case, item, "2026-05-01T08:00:00Z"),
        aggregation("urn:uuid:p2", "ADD", pallet, case, "2026-05-01T09:00:00Z"),
        aggregation("urn:uuid:p3", "DELETE", pallet, case, "2026-05-03T09:00:00Z"),
        _event(eventID="urn:uuid:t1", eventTime="2026-05-02T10:00:00Z", bizStep="shipping",
               sourceList=[{"type": "owning_party", "source": maker}],
               destinationList=[{"type": "owning_party", "destination": shop},
                                {"type": "possessing_party", "destination": shop}]),
    ]  # fmt: skip
    path = tmp_path / "agg.jsonl"
    path.write_text(
        "\n".join(json.dumps({"@context": ["x"], **e}) for e in events), encoding="utf-8"
    )
    assert capture_file(store, path, tmp_path).captured == 4, "all four events load"
    at_noon = run_query(store, "containment_at", epc=item, at="2026-05-02T12:00:00+02:00")
    assert [(c.container, c.level) for c in at_noon] == [
        (canonical_epc(case), 1),
        (canonical_epc(pallet), 2),
    ]
    later = run_query(store, "containment_at", epc=item, at="2026-05-04T00:00:00Z")
    assert [c.container for c in later] == [canonical_epc(case)]  # off the pallet
    assert run_query(store, "containment_at", epc=item, at="2026-04-30T00:00:00Z") == []
    custody = run_query(store, "chain_of_custody", epc=item, first=10)
    assert [(c.party, c.role) for c in custody] == [
        (canonical_epc(maker), "from_owning_party"),
        (canonical_epc(shop), "to_owning_party"),
        (canonical_epc(shop), "to_possessing_party"),
    ]


def _contains(store: GraphStore, parents: list[str]) -> list[tuple[str, str, str]]:
    found = store.neighbours_many("ProductInstance", parents, "CONTAINS", "out", limit=100)
    return sorted(
        (parent, n.node.key, json.dumps(n.edge.props, sort_keys=True))
        for parent, links in found.items()
        for n in links
    )


def test_out_of_order_aggregations_give_the_in_order_graph(tmp_path: Path) -> None:
    import random

    from graph.embedded import EmbeddedStore

    item, case, pallet = (
        "urn:epc:id:sgtin:0614141.107346.2017",
        "urn:epc:id:sscc:0614141.1111111111",
        "urn:epc:id:sscc:0614141.2222222222",
    )

    def agg(eid: str, action: str, parent: str, when: str, **extra: Any) -> dict[str, Any]:
        child = item if parent == case else case
        return {
            "@context": ["x"], "type": "AggregationEvent", "eventID": eid, "action": action,
            "eventTime": when, "eventTimeZoneOffset": "+00:00", "parentID": parent,
            "childEPCs": [child], **extra,
        }  # fmt: skip

    declared = {"errorDeclaration": {"declarationTime": "2026-05-09T00:00:00Z"}}
    stream = [
        agg("urn:uuid:a1", "ADD", case, "2026-05-01T08:00:00Z"),
        agg("urn:uuid:p1", "ADD", pallet, "2026-05-01T09:00:00Z"),
        agg("urn:uuid:a2", "ADD", case, "2026-05-01T10:00:00Z"),  # a repeated ADD
        agg("urn:uuid:d1", "DELETE", case, "2026-05-02T08:00:00Z"),
        agg("urn:uuid:p2", "DELETE", pallet, "2026-05-03T09:00:00Z"),
        agg("urn:uuid:a3", "ADD", case, "2026-05-04T08:00:00Z"),  # re-packed
        agg("urn:uuid:d2", "DELETE", case, "2026-05-05T08:00:00Z"),
        agg("urn:uuid:a4", "ADD", case, "2026-05-06T08:00:00Z"),  # still inside
        agg("urn:uuid:x1", "DELETE", case, "2026-05-07T08:00:00Z"),
        agg("urn:uuid:x1", "DELETE", case, "2026-05-07T08:00:00Z", **declared),  # retracted
    ]

    def load(name: str, batches: list[list[dict[str, Any]]]) -> EmbeddedStore:
        store = EmbeddedStore(tmp_path / f"{name}.sqlite")
        for n, batch in enumerate(batches):
            path = tmp_path / f"{name}-{n}.jsonl"
            path.write_text("\n".join(json.dumps(e) for e in batch), encoding="utf-8")
            assert capture_file(store, path, tmp_path).captured == len(batch)
        return store

    keys = [canonical_epc(case), canonical_epc(pallet)]
    in_order = load("in-order", [stream])
    expected = _contains(in_order, keys)
    shuffled = stream[:]
    random.Random(5).shuffle(shuffled)
    one_by_one = load("one-by-one", [[e] for e in shuffled])
    backwards = load("backwards", [list(reversed(stream)), stream])  # and captured twice
    assert _contains(one_by_one, keys) == _contains(backwards, keys) == expected
    intervals = [(json.loads(p).get("since"), json.loads(p).get("until")) for _, _, p in expected]
    assert intervals == [
        ("2026-05-01T08:00:00Z", "2026-05-02T08:00:00Z"),
        ("2026-05-04T08:00:00Z", "2026-05-05T08:00:00Z"),
        ("2026-05-06T08:00:00Z", None),
        ("2026-05-01T09:00:00Z", "2026-05-03T09:00:00Z"),
    ]
    from queries.engine import run_query

    for store in (in_order, one_by_one):
        at = [
            [c.container for c in run_query(store, "containment_at", epc=item, at=moment)]
            for moment in ("2026-05-01T12:00:00Z", "2026-05-03T00:00:00Z", "2026-05-04T12:00:00Z",
                           "2026-05-05T12:00:00Z", "2026-05-08T00:00:00Z")
        ]  # fmt: skip
        assert at == [keys, [], [keys[0]], [], [keys[0]]]
        store.close()
    backwards.close()


def test_a_file_capture_keeps_only_its_rejected_outcomes(store: GraphStore, tmp_path: Path) -> None:
    good = {
        "type": "ObjectEvent", "action": "OBSERVE", "eventTimeZoneOffset": "+00:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.1"], "bizStep": "shipping",
    }  # fmt: skip
    lines = [
        {**good, "eventID": f"urn:uuid:k{i}", "eventTime": f"2026-05-0{i}T09:00:00Z"}
        for i in range(1, 4)
    ]
    lines.insert(
        1,
        {
            **good,
            "eventID": "urn:uuid:bad",
            "eventTime": "2026-05-09T09:00:00Z",
            "action": "EXPLODE",
        },
    )
    path = write_lines(tmp_path / "stream.jsonl", ({"@context": ["x"], **e} for e in lines))
    summary = capture_file(store, path, tmp_path, keep_captured=False)
    # A stream of any length is captured in bounded memory: no outcome per captured event.
    assert (summary.captured, summary.rejected) == (3, 1)
    assert [(r["line"], r["status"]) for r in summary.results] == [(2, "rejected")]
