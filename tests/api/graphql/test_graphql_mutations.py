"""The GraphQL API's writes and pushes over real HTTP and websockets: mutations with
validation, idempotency, audit and roles; subscriptions; review decisions and unmerge;
erasure everywhere with an anonymous audit."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from graph.store import GraphStore
from tests.support.graphql_client import data_of, post_graphql
from tests.support.graphql_documents import RECORD_TOUCHPOINT
from tests.support.graphql_server import served

# ----------------------------------------------------------------------------- mutations


def test_record_touchpoint_is_validated_idempotent_and_audited(server: Any) -> None:
    call = {
        "customerId": server.bob, "channel": "call_center", "kind": "inquiry",
        "reason": "roaming prices", "resolutionStatus": "resolved",
    }  # fmt: skip
    first = data_of(
        post_graphql(server, RECORD_TOUCHPOINT, key="k-agent", input=call, idem="call-77")
    )
    first = first["recordTouchpoint"]
    assert (first["accepted"], first["replayed"], first["reasons"]) == (True, False, [])
    again = data_of(
        post_graphql(server, RECORD_TOUCHPOINT, key="k-agent", input=call, idem="call-77")
    )
    assert again["recordTouchpoint"]["replayed"] is True
    assert again["recordTouchpoint"]["recordId"] == first["recordId"]
    query = "query ($id: ID!) { customer(id: $id) { touchpoints(first: 50) { id reason } } }"
    seen = data_of(post_graphql(server, query, id=server.bob))
    mine = [t for t in seen["customer"]["touchpoints"] if t["id"] == first["recordId"]]
    assert mine == [{"id": first["recordId"], "reason": "roaming prices"}]
    bad = data_of(
        post_graphql(server, RECORD_TOUCHPOINT, key="k-agent", input={**call, "kind": "shouting"})
    )
    assert bad["recordTouchpoint"]["accepted"] is False
    assert any("kind" in reason for reason in bad["recordTouchpoint"]["reasons"])
    audits = [
        n
        for n in server.store.get_nodes(
            "AuditEntry", server.store.keys_page("AuditEntry", limit=10_000)
        ).values()
        if n.props.get("target") == first["recordId"]
    ]
    assert [(a.props["actor"], a.props["action"]) for a in audits] == [
        ("agnes (agent)", "recordTouchpoint")
    ]


def test_consent_update_wins_over_older_source_consents(server: Any) -> None:
    withdraw = """mutation ($id: ID!, $purpose: String! = "third_party_data") {
      updateConsent(customerId: $id, purpose: $purpose, granted: false) {
        granted purpose channel } }"""
    r = data_of(post_graphql(server, withdraw, key="k-agent", id=server.ann))
    assert r["updateConsent"] == {"granted": False, "purpose": "third_party_data", "channel": "any"}
    query = "query ($id: ID!) { customer(id: $id) { demographics { incomeBand } } }"
    assert data_of(post_graphql(server, query, id=server.ann))["customer"]["demographics"] is None
    grant = withdraw.replace("granted: false", "granted: true")
    data_of(post_graphql(server, grant, key="k-agent", id=server.ann))
    demographics = data_of(post_graphql(server, query, id=server.ann))["customer"]["demographics"]
    assert demographics == {"incomeBand": "75-100k"}
    r = post_graphql(server, withdraw, key="k-agent", id=server.ann, purpose="telepathy")
    assert "unknown consent purpose 'telepathy'" in r.json()["errors"][0]["message"]


def test_upsert_customer_record_resolves_on_arrival(server: Any) -> None:
    mutation = """mutation ($record: JSON!) { upsertCustomerRecord(sourceSystem: "app", record: $record) {
        accepted reasons customerId resolution } }"""
    record = {
        "source_record_id": "APP-1", "name": "Ann Lee", "email": "ann@example.com",
        "phone": "+12025550101", "birth_date": "1980-05-06",
    }  # fmt: skip
    landed = data_of(post_graphql(server, mutation, key="k-loader", record=record))
    assert landed["upsertCustomerRecord"]["accepted"] is True
    assert landed["upsertCustomerRecord"]["customerId"] == server.ann
    bad = data_of(post_graphql(server, mutation, key="k-loader", record={"name": "No Id"}))
    assert bad["upsertCustomerRecord"]["accepted"] is False
    assert any("source_record_id" in r for r in bad["upsertCustomerRecord"]["reasons"])


def test_mutations_need_their_roles(server: Any) -> None:
    r = post_graphql(
        server,
        "mutation ($id: ID!) { eraseCustomer(customerId: $id) { customerId } }",
        key="k-analyst",
        id=server.bob,
    )
    assert r.json()["errors"][0]["message"] == (
        "Mutation.eraseCustomer needs role admin; you have analyst"
    )
    r = post_graphql(
        server, 'mutation { upsertCustomerRecord(sourceSystem: "web", record: {}) { accepted } }',
        key="k-agent",
    )  # fmt: skip
    assert "needs role admin or loader" in r.json()["errors"][0]["message"]


def test_products_segments_consents_and_tracked_items(server: Any) -> None:
    product = data_of(post_graphql(server, '{ product(id: "MOB-10") { name line { id name } } }'))
    assert product["product"] == {
        "name": "Mobile 10 GB",
        "line": {"id": "mobile", "name": "Mobile"},
    }
    segment = data_of(
        post_graphql(
            server, '{ segment(name: "gold") { name size members(first: 2) { customerId } } }'
        )
    )
    assert segment["segment"] == {"name": "gold", "size": 0, "members": []}  # not scored yet
    query = (
        "query ($id: ID!) { customer(id: $id) { consents { purpose granted } purchases { id } } }"
    )
    ann = data_of(post_graphql(server, query, id=server.ann))["customer"]
    assert {"purpose": "third_party_data", "granted": True} in ann["consents"]
    assert ann["purchases"] == []
    campaign = """{ campaign(id: "spring") { name response {
        channel contacted responses conversions responseRate } } }"""
    found = data_of(post_graphql(server, campaign))["campaign"]
    assert found["name"] == "Spring offer"
    assert sum(c["contacted"] for c in found["response"]) == 2
    assert sum(c["conversions"] for c in found["response"]) == 1
    assert data_of(post_graphql(server, '{ campaign(id: "nope") { name } }'))["campaign"] is None
    epc = "urn:epc:id:sgtin:0614141.107346.2017"
    event = {
        "type": "ObjectEvent", "eventID": "urn:uuid:gql-1", "eventTime": "2026-05-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "epcList": [epc],
        "bizStep": "shipping", "bizLocation": {"id": "urn:epc:id:sgln:0614141.00777.0"},
    }  # fmt: skip
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-01T10:00:00Z",
        "epcisBody": {"eventList": [event, {**event, "eventID": "urn:uuid:gql-2", "action": "MAYBE"}]},
    }  # fmt: skip
    capture = "mutation ($doc: JSON!) { captureEpcisEvents(document: $doc) }"
    refused = post_graphql(server, capture, key="k-agent", doc=document).json()
    assert "needs role admin or loader" in refused["errors"][0]["message"]
    captured = data_of(post_graphql(server, capture, key="k-loader", doc=document))[
        "captureEpcisEvents"
    ]
    assert (captured["captured"], captured["rejected"]) == (1, 1)
    item = """query ($epc: String!) { productInstance(epc: $epc) {
        journey { eventId bizStep } currentLocation { location } buyer { id } } }"""
    found = data_of(post_graphql(server, item, epc=epc))["productInstance"]
    assert found["journey"] == [{"eventId": "urn:uuid:gql-1", "bizStep": "shipping"}]
    assert found["currentLocation"]["location"] == "https://id.gs1.org/414/0614141007776"
    assert found["buyer"] is None
    assert (
        data_of(post_graphql(server, item, epc="urn:epc:id:sgtin:0614141.107346.9"))[
            "productInstance"
        ]
        is None
    )


# ----------------------------------------------------------------------------- subscriptions


@contextmanager
def _ws(server: Any, key: str) -> Iterator[Any]:
    with connect(
        server.url.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=5,
    ) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}
        ws.send(json.dumps(init))
        assert json.loads(ws.recv(timeout=5))["type"] == "connection_ack"
        yield ws


def test_a_second_channel_sees_a_logged_complaint_within_a_second(server: Any) -> None:
    with _ws(server, "k-agent") as ws, _ws(server, "k-analyst") as desk:
        ws.send(json.dumps({
            "id": "1", "type": "subscribe",
            "payload": {
                "query": "subscription ($id: ID!) { customerChanged(id: $id) { customerId change detail } }",
                "variables": {"id": server.ann},
            },
        }))  # fmt: skip
        desk.send(json.dumps({
            "id": "2", "type": "subscribe",
            "payload": {
                "query": 'subscription { churnAlert(minTier: "bronze") { customerId score signals } }'
            },
        }))  # fmt: skip
        time.sleep(0.3)  # both subscriptions registered
        started = time.monotonic()
        for _ in range(3):
            complaint = {
                "customerId": server.ann, "channel": "call_center", "kind": "complaint",
                "reason": "outage", "resolutionStatus": "open",
            }  # fmt: skip
            outcome = data_of(
                post_graphql(server, RECORD_TOUCHPOINT, key="k-agent", input=complaint)
            )
            assert outcome["recordTouchpoint"]["accepted"] is True
            message = json.loads(ws.recv(timeout=1))
            assert message["type"] == "next", message
            assert message["payload"]["data"]["customerChanged"] == {
                "customerId": server.ann, "change": "touchpoint", "detail": "complaint",
            }  # fmt: skip
        assert time.monotonic() - started < 3
        pushed = httpx.post(
            f"{server.url}/ingest/customers?source=shop",
            content=json.dumps({"source_record_id": "S-9", "name": "Ann Lee",
                                "email": "ann@example.com", "phone": "+12025550101"}),
            headers={"authorization": "Bearer k-loader"},
            timeout=30,
        )  # fmt: skip
        assert pushed.json()["results"][0]["customer"] == server.ann
        message = json.loads(ws.recv(timeout=1))
        assert message["payload"]["data"]["customerChanged"]["change"] == "record"
        alert = json.loads(desk.recv(timeout=2))
        assert alert["payload"]["data"]["churnAlert"]["customerId"] == server.ann
        assert alert["payload"]["data"]["churnAlert"]["score"] >= 0.5


def test_subscriptions_need_a_reader(server: Any) -> None:
    with _ws(server, "k-loader") as ws:
        ws.send(json.dumps({
            "id": "1", "type": "subscribe",
            "payload": {"query": 'subscription { customerChanged(id: "x") { change } }'},
        }))  # fmt: skip
        message = json.loads(ws.recv(timeout=5))
        assert message["type"] in ("error", "next")
        assert "needs role" in json.dumps(message)


# ----------------------------------------------------------------------------- review


def test_review_decisions_and_unmerge_through_graphql(server: Any) -> None:
    [item] = data_of(post_graphql(server, "{ reviewQueue(first: 5) { id records } }"))[
        "reviewQueue"
    ]
    decide = "mutation ($id: ID!, $accept: Boolean!) { decideReview(id: $id, accept: $accept) { id status } }"
    r = post_graphql(server, decide, key="k-agent", id=item["id"], accept=True)
    assert "needs role admin or analyst; you have agent" in r.json()["errors"][0]["message"]
    before = {record: _owner(server, record) for record in item["records"]}
    accepted = data_of(post_graphql(server, decide, id=item["id"], accept=True))["decideReview"]
    assert accepted == {"id": item["id"], "status": "accepted"}
    owners = {_owner(server, record) for record in item["records"]}
    assert len(owners) == 1  # the two records' customers merged
    again = post_graphql(server, decide, id=item["id"], accept=False).json()
    assert again["errors"][0]["message"] == f"review item {item['id']} is already accepted"
    assert again["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    undo = """mutation ($record: String!) { unmerge(sourceRecord: $record) {
        survivor restored } }"""
    [survivor] = owners
    [absorbed] = [record for record, owner in before.items() if owner != survivor]
    split = data_of(post_graphql(server, undo, record=absorbed))["unmerge"]
    assert split["survivor"] == survivor
    assert len(split["restored"]) == 1
    assert len({_owner(server, record) for record in item["records"]}) == 2
    both = post_graphql(
        server, 'mutation { unmerge(mergeEvent: "x", sourceRecord: "y") { survivor } }'
    )
    assert both.json()["errors"][0]["message"] == "give exactly one of mergeEvent or sourceRecord"
    total = data_of(post_graphql(server, "{ customers(first: 1) { totalCount } }"))["customers"]
    assert total["totalCount"] == 85


def _owner(server: Any, record: str) -> str:
    [link] = server.store.neighbours("SourceRecord", record, "RESOLVED_TO", "out", "Customer")
    return str(link.node.key)


# ----------------------------------------------------------------------------- erasure


def test_erase_removes_the_person_everywhere_and_keeps_an_anonymous_audit(
    tmp_path: Path,
) -> None:
    with served(tmp_path) as server:
        store: GraphStore = server.store
        before = data_of(
            post_graphql(server, '{ searchCustomers(text: "ann lee") { customerId } }')
        )
        assert server.ann in [h["customerId"] for h in before["searchCustomers"]]
        mutation = """mutation ($id: ID!) {
          eraseCustomer(customerId: $id, reference: "DSR-42") { customerId removed auditId } }"""
        erased = data_of(post_graphql(server, mutation, key="k-admin", id=server.ann))[
            "eraseCustomer"
        ]
        assert erased["customerId"] == server.ann
        assert erased["removed"]["Customer"] == 1
        assert erased["removed"]["SourceRecord"] == 3
        after = data_of(post_graphql(server, '{ searchCustomers(text: "ann lee") { customerId } }'))
        assert server.ann not in [h["customerId"] for h in after["searchCustomers"]]
        gone = post_graphql(server, "query ($id: ID!) { customer(id: $id) { id } }", id=server.ann)
        assert data_of(gone)["customer"] is None
        # Nothing personal is left anywhere: every property of every node, every label.
        personal = ("Ann Lee", "ann@example.com", "+12025550101", "AB123456C", "75-100k")
        for label in store.counts().nodes:
            for key in store.keys_page(label, limit=100_000):
                node = store.get_node(label, key)
                text = json.dumps(node.props if node else {}) + key
                assert not any(p in text for p in personal), (label, key)
        assert store.find_nodes("SourceRecord", "email", "ann@example.com") == []
        [audit] = [n for n in (store.get_node("AuditEntry", erased["auditId"]),) if n is not None]
        assert audit.props["target"] == server.ann
        assert json.loads(str(audit.props["detail"]))["reference"] == "DSR-42"
        again = post_graphql(server, mutation, key="k-admin", id=server.ann).json()
        assert again["errors"][0]["message"] == f"no customer {server.ann!r} to erase"
