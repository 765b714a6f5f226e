"""The GraphQL API's production behaviour over real HTTP and websockets: roles and
sensitive fields, no N+1 on pages, limits refused before any store call, mutations with
idempotency and audit, subscriptions, erasure, GraphQL over HTTP and persisted queries."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from websockets.sync.client import connect

from graph.store import GraphStore
from tests.api.graphql.test_graphql import _post, served

PAGE = """
query ($first: Int!) {
  customers(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name household { customerId } holdings { accountId line }
                          value { totalMonthlyValue } } }
  }
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with served(tmp_path_factory.mktemp("graphql-api")) as live:
        yield live


def _data(r: httpx.Response) -> Any:
    body = r.json()
    assert "errors" not in body, body
    return body["data"]


# ----------------------------------------------------------------------------- auth


def test_roles_decide_what_resolves(server: Any) -> None:
    query = "query ($id: ID!) { customer(id: $id) { name nationalId creditProfile { score } } }"
    anonymous = _post(server, query, key=None, id=server.ann).json()
    assert anonymous["data"] == {"customer": None}
    assert anonymous["errors"][0]["message"] == (
        "Query.customer needs authentication: send Authorization: Bearer <API key or JWT>"
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    agent = _post(server, query, key="k-agent", id=server.ann).json()
    assert agent["data"]["customer"] == {
        "name": "Ann Lee",
        "nationalId": None,
        "creditProfile": None,
    }
    assert {e["message"] for e in agent["errors"]} == {
        "Customer.nationalId needs role admin; you have agent",
        "Customer.creditProfile needs role admin or analyst; you have agent",
    }
    analyst = _post(server, query, key="k-analyst", id=server.ann).json()
    assert analyst["data"]["customer"]["creditProfile"] == {"score": 720}
    assert [e["path"] for e in analyst["errors"]] == [["customer", "nationalId"]]
    admin = _post(server, query, key="k-admin", id=server.ann).json()
    assert "errors" not in admin
    assert admin["data"]["customer"]["nationalId"] == "AB123456C"

    loader = _post(server, query, key="k-loader", id=server.ann).json()
    assert loader["errors"][0]["message"] == (
        "Query.customer needs role admin or agent or analyst; you have loader"
    )


def test_third_party_data_only_where_consent_allows(server: Any) -> None:
    query = """query ($a: ID!, $b: ID!) {
      a: customer(id: $a) { demographics { incomeBand } }
      b: customer(id: $b) { demographics { incomeBand } } }"""
    data = _data(_post(server, query, a=server.ann, b=server.bob))
    assert data["a"]["demographics"] == {"incomeBand": "75-100k"}  # consent on record
    assert data["b"]["demographics"] is None  # a profile exists, consent does not


def test_bad_credentials_are_refused_with_401(server: Any) -> None:
    r = _post(server, "{ customers(first: 1) { totalCount } }", key="not-a-key")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_jwt_bearer_tokens_carry_roles(server: Any) -> None:
    secret = "jwt-secret-for-tests-only-0123456789"
    exp = datetime.now(UTC) + timedelta(minutes=5)
    token = jwt.encode({"sub": "desk-7", "roles": ["agent"], "exp": exp}, secret, "HS256")
    r = _post(server, "{ customers(first: 1) { totalCount } }", key=token)
    assert _data(r)["customers"]["totalCount"] == 85
    expired = jwt.encode(
        {"sub": "desk-7", "roles": ["agent"], "exp": datetime.now(UTC) - timedelta(minutes=1)},
        secret,
        "HS256",
    )
    r = _post(server, "{ customers(first: 1) { totalCount } }", key=expired)
    assert r.status_code == 401
    assert r.json()["errors"][0]["message"] == "the token has expired"
    forged = jwt.encode(
        {"sub": "x", "roles": ["admin"], "exp": exp}, "another-secret-0123456789abcdef-xyz", "HS256"
    )
    assert _post(server, "{ customers(first: 1) { totalCount } }", key=forged).status_code == 401


# ----------------------------------------------------------------------------- N+1


def _calls(server: Any, query: str, **variables: Any) -> tuple[Any, list[str]]:
    server.store.calls.clear()
    data = _data(_post(server, query, **variables))
    return data, list(server.store.calls)


def test_a_page_costs_the_same_store_calls_whatever_its_size(server: Any) -> None:
    small, small_calls = _calls(server, PAGE, first=2)
    big, big_calls = _calls(server, PAGE, first=50)
    assert len(small["customers"]["edges"]) == 2
    assert len(big["customers"]["edges"]) == 50
    assert sorted(small_calls) == sorted(big_calls)
    assert len(big_calls) <= 15, big_calls
    node = next(e["node"] for e in big["customers"]["edges"] if e["node"]["id"] == server.ann)
    assert node["holdings"][0]["line"] == "mobile"
    assert {m["customerId"] for m in node["household"]} == {server.ann, server.bob}
    assert node["value"]["totalMonthlyValue"] > 10


def test_pages_follow_cursors_to_the_end(server: Any) -> None:
    seen: list[str] = []
    after = None
    while True:
        query = """query ($after: String) { customers(first: 40, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
        page = _data(_post(server, query, after=after))["customers"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] == 85
    assert seen == sorted(seen)


def test_where_order_by_and_aggregates(server: Any) -> None:
    query = """query ($where: CustomerWhere, $order: [CustomerOrder!], $first: Int! = 5) {
      customers(where: $where, orderBy: $order, first: $first) {
        totalCount edges { node { id name value { totalMonthlyValue } } } } }"""
    complained = {
        "touchpoints": {"some": {"kind": {"eq": "complaint"}, "occurredAt": {"gte": "2026-09-01"}}}
    }
    page = _data(_post(server, query, where=complained))["customers"]
    assert [e["node"]["id"] for e in page["edges"]] == [server.ann]
    no_mobile = {"AND": [complained, {"holdings": {"none": {"line": {"eq": "mobile"}}}}]}
    assert _data(_post(server, query, where=no_mobile))["customers"]["totalCount"] == 0
    by_value = [{"field": "TOTAL_VALUE", "direction": "DESC"}]
    richest = _data(_post(server, query, order=by_value))["customers"]
    values = [e["node"]["value"]["totalMonthlyValue"] for e in richest["edges"]]
    assert values == sorted(values, reverse=True)
    assert values[0] == 10.0 + 84  # the last of 85 customers holds the largest account
    either = {"OR": [{"name": {"startsWith": "Ann"}}, {"NOT": {"name": {"contains": "e"}}}]}
    found = _data(_post(server, query, where=either, first=100))["customers"]["edges"]
    names = [e["node"]["name"] for e in found]
    assert "Ann Lee" in names
    assert all(n.startswith("Ann") or "e" not in n for n in names)
    totals = """query ($where: CustomerWhere) { customersAggregate(where: $where) {
        count totalMonthlyValue { count sum avg min max } byLine { line customers holdings } } }"""
    everyone = _data(_post(server, totals))["customersAggregate"]
    assert everyone["count"] == 85
    assert everyone["totalMonthlyValue"]["min"] == 10.0
    assert everyone["totalMonthlyValue"]["max"] == 94.0
    assert everyone["byLine"] == [{"line": "mobile", "customers": 85, "holdings": 85}]
    bad = _post(server, query, where={"lifetimeValue": {"gt": "lots"}}).json()
    assert "Float cannot represent non numeric value: 'lots'" in bad["errors"][0]["message"]


def test_touchpoints_page_by_cursor(server: Any) -> None:
    query = """query ($id: ID!, $after: String) { customer(id: $id) {
        touchpoints(first: 1, after: $after) { id cursor } } }"""
    first = _data(_post(server, "{ customers(first: 1) { edges { node { id } } } }"))
    someone = first["customers"]["edges"][0]["node"]["id"]
    for n, moment in enumerate(("2026-01-02T10:00:00Z", "2026-01-03T10:00:00Z") * 2):
        visit = {"customerId": someone, "channel": "store", "kind": "visit", "occurredAt": moment}
        _data(_post(server, TOUCH, key="k-agent", input=visit, idem=f"visit-{n}"))
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = _data(_post(server, query, id=someone, after=after))["customer"]["touchpoints"]
        if not page:
            break
        seen.append(page[0]["id"])
        after = page[0]["cursor"]
    every = _data(_post(server, query.replace("first: 1", "first: 50"), id=someone))
    assert len(seen) == 4
    assert seen == [t["id"] for t in every["customer"]["touchpoints"]]
    bad = _post(server, query, id=server.bob, after="nonsense").json()
    assert bad["errors"][0]["message"] == "not a touchpoint cursor: 'nonsense'"


# ----------------------------------------------------------------------------- limits


def test_limits_are_refused_before_any_store_call(server: Any) -> None:
    over_page = "{ customers(first: 1000) { totalCount } }"
    costly = (
        "{ customers(first: 100) { edges { node { "
        "touchpoints(first: 500) { id kind channel reason outcome } } } } }"
    )
    for query, message, code in (
        (over_page, "Query.customers: first must be between 1 and 100, got 1000", "BAD_USER_INPUT"),
        (costly, "the query would cost", "QUERY_TOO_COSTLY"),
    ):
        server.store.calls.clear()
        r = _post(server, query)
        assert message in r.json()["errors"][0]["message"]
        assert r.json()["errors"][0]["extensions"]["code"] == code
        assert server.store.calls == []
    deep_fragments = """
    query { customer(id: "x") { ...A } }
    fragment A on Customer { household { customerId } a1: name a2: name a3: name a4: name
      a5: name a6: name a7: name a8: name a9: name a10: name a11: name a12: name a13: name
      a14: name a15: name a16: name }"""
    r = _post(server, deep_fragments)
    assert "aliases found" in r.json()["errors"][0]["message"]


def test_an_agent_desktop_list_of_50_customers_is_allowed(server: Any) -> None:
    # The agent list docs/api.md costs (2,002): holdings, household and value for 50.
    query = """{ customers(first: 50) { edges { node {
      id name valueTier holdings { productName monthlyValue } household { customerId name }
      value { totalMonthlyValue } } } } }"""
    data = _data(_post(server, query, key="k-agent"))
    assert data["customers"]["edges"]


def test_internal_errors_are_masked_with_a_request_id(server: Any) -> None:
    server.store.broken.add("get_nodes")
    try:
        r = _post(server, "{ customers(first: 2) { edges { node { name } } } }")
    finally:
        server.store.broken.clear()
    [error] = r.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL"
    assert len(error["extensions"]["requestId"]) >= 16
    assert "secret" not in r.text
    assert "Traceback" not in r.text


# ----------------------------------------------------------------------------- mutations

TOUCH = """
mutation ($input: TouchpointInput!, $idem: String) {
  recordTouchpoint(input: $input, idempotencyKey: $idem) {
    accepted reasons recordId replayed customerId
  }
}"""


def test_record_touchpoint_is_validated_idempotent_and_audited(server: Any) -> None:
    call = {
        "customerId": server.bob, "channel": "call_center", "kind": "inquiry",
        "reason": "roaming prices", "resolutionStatus": "resolved",
    }  # fmt: skip
    first = _data(_post(server, TOUCH, key="k-agent", input=call, idem="call-77"))
    first = first["recordTouchpoint"]
    assert (first["accepted"], first["replayed"], first["reasons"]) == (True, False, [])
    again = _data(_post(server, TOUCH, key="k-agent", input=call, idem="call-77"))
    assert again["recordTouchpoint"]["replayed"] is True
    assert again["recordTouchpoint"]["recordId"] == first["recordId"]
    query = "query ($id: ID!) { customer(id: $id) { touchpoints(first: 50) { id reason } } }"
    seen = _data(_post(server, query, id=server.bob))
    mine = [t for t in seen["customer"]["touchpoints"] if t["id"] == first["recordId"]]
    assert mine == [{"id": first["recordId"], "reason": "roaming prices"}]
    bad = _data(_post(server, TOUCH, key="k-agent", input={**call, "kind": "shouting"}))
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
    r = _data(_post(server, withdraw, key="k-agent", id=server.ann))
    assert r["updateConsent"] == {"granted": False, "purpose": "third_party_data", "channel": "any"}
    query = "query ($id: ID!) { customer(id: $id) { demographics { incomeBand } } }"
    assert _data(_post(server, query, id=server.ann))["customer"]["demographics"] is None
    grant = withdraw.replace("granted: false", "granted: true")
    _data(_post(server, grant, key="k-agent", id=server.ann))
    demographics = _data(_post(server, query, id=server.ann))["customer"]["demographics"]
    assert demographics == {"incomeBand": "75-100k"}
    r = _post(server, withdraw, key="k-agent", id=server.ann, purpose="telepathy")
    assert "unknown consent purpose 'telepathy'" in r.json()["errors"][0]["message"]


def test_upsert_customer_record_resolves_on_arrival(server: Any) -> None:
    mutation = """mutation ($record: JSON!) { upsertCustomerRecord(sourceSystem: "app", record: $record) {
        accepted reasons customerId resolution } }"""
    record = {
        "source_record_id": "APP-1", "name": "Ann Lee", "email": "ann@example.com",
        "phone": "+12025550101", "birth_date": "1980-05-06",
    }  # fmt: skip
    landed = _data(_post(server, mutation, key="k-loader", record=record))
    assert landed["upsertCustomerRecord"]["accepted"] is True
    assert landed["upsertCustomerRecord"]["customerId"] == server.ann
    bad = _data(_post(server, mutation, key="k-loader", record={"name": "No Id"}))
    assert bad["upsertCustomerRecord"]["accepted"] is False
    assert any("source_record_id" in r for r in bad["upsertCustomerRecord"]["reasons"])


def test_mutations_need_their_roles(server: Any) -> None:
    r = _post(
        server,
        "mutation ($id: ID!) { eraseCustomer(customerId: $id) { customerId } }",
        key="k-analyst",
        id=server.bob,
    )
    assert r.json()["errors"][0]["message"] == (
        "Mutation.eraseCustomer needs role admin; you have analyst"
    )
    r = _post(
        server, 'mutation { upsertCustomerRecord(sourceSystem: "web", record: {}) { accepted } }',
        key="k-agent",
    )  # fmt: skip
    assert "needs role admin or loader" in r.json()["errors"][0]["message"]


def test_products_segments_consents_and_tracked_items(server: Any) -> None:
    product = _data(_post(server, '{ product(id: "MOB-10") { name line { id name } } }'))
    assert product["product"] == {
        "name": "Mobile 10 GB",
        "line": {"id": "mobile", "name": "Mobile"},
    }
    segment = _data(
        _post(server, '{ segment(name: "gold") { name size members(first: 2) { customerId } } }')
    )
    assert segment["segment"] == {"name": "gold", "size": 0, "members": []}  # not scored yet
    query = (
        "query ($id: ID!) { customer(id: $id) { consents { purpose granted } purchases { id } } }"
    )
    ann = _data(_post(server, query, id=server.ann))["customer"]
    assert {"purpose": "third_party_data", "granted": True} in ann["consents"]
    assert ann["purchases"] == []
    campaign = """{ campaign(id: "spring") { name response {
        channel contacted responses conversions responseRate } } }"""
    found = _data(_post(server, campaign))["campaign"]
    assert found["name"] == "Spring offer"
    assert sum(c["contacted"] for c in found["response"]) == 2
    assert sum(c["conversions"] for c in found["response"]) == 1
    assert _data(_post(server, '{ campaign(id: "nope") { name } }'))["campaign"] is None
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
    refused = _post(server, capture, key="k-agent", doc=document).json()
    assert "needs role admin or loader" in refused["errors"][0]["message"]
    captured = _data(_post(server, capture, key="k-loader", doc=document))["captureEpcisEvents"]
    assert (captured["captured"], captured["rejected"]) == (1, 1)
    item = """query ($epc: String!) { productInstance(epc: $epc) {
        journey { eventId bizStep } currentLocation { location } buyer { id } } }"""
    found = _data(_post(server, item, epc=epc))["productInstance"]
    assert found["journey"] == [{"eventId": "urn:uuid:gql-1", "bizStep": "shipping"}]
    assert found["currentLocation"]["location"] == "https://id.gs1.org/414/0614141007776"
    assert found["buyer"] is None
    assert (
        _data(_post(server, item, epc="urn:epc:id:sgtin:0614141.107346.9"))["productInstance"]
        is None
    )


# ----------------------------------------------------------------------------- protocol


def test_graphql_over_http_media_types_and_status_codes(server: Any) -> None:
    url = f"{server.url}/graphql"
    auth = {"authorization": "Bearer k-analyst"}
    strict = {**auth, "accept": "application/graphql-response+json"}
    bad = {"query": "{ customers(first: 1) { nope } }"}
    r = httpx.post(url, json=bad, headers=strict)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in r.json()
    r = httpx.post(url, json=bad, headers=auth)
    assert r.status_code == 200
    ok = httpx.post(url, json={"query": "{ customers(first: 1) { totalCount } }"}, headers=strict)
    assert ok.status_code == 200
    assert ok.json()["data"]["customers"]["totalCount"] == 85
    r = httpx.get(url, params={"query": "{ customers(first: 1) { totalCount } }"}, headers=auth)
    assert r.json()["data"]["customers"]["totalCount"] == 85
    r = httpx.get(
        url,
        params={"query": 'mutation { eraseCustomer(customerId: "x") { customerId } }'},
        headers=auth,
    )
    assert r.status_code == 405
    r = httpx.post(url, content=b"{not json", headers={**auth, "content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == "Unable to parse request body as JSON"


def test_automatic_persisted_queries(server: Any) -> None:
    url = f"{server.url}/graphql"
    auth = {"authorization": "Bearer k-analyst"}
    query = "{ customers(first: 3) { totalCount } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    ext = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    r = httpx.get(url, params={"extensions": ext}, headers=auth)
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    r = httpx.post(url, json={"query": query, "extensions": json.loads(ext)}, headers=auth)
    assert r.json()["data"]["customers"]["totalCount"] == 85
    r = httpx.get(url, params={"extensions": ext}, headers=auth)  # now by hash alone
    assert r.json()["data"]["customers"]["totalCount"] == 85
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    r = httpx.post(url, json={"query": query, "extensions": wrong}, headers=auth)
    assert r.json()["errors"][0]["message"] == "provided sha256Hash does not match query"


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
            outcome = _data(_post(server, TOUCH, key="k-agent", input=complaint))
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
    [item] = _data(_post(server, "{ reviewQueue(first: 5) { id records } }"))["reviewQueue"]
    decide = "mutation ($id: ID!, $accept: Boolean!) { decideReview(id: $id, accept: $accept) { id status } }"
    r = _post(server, decide, key="k-agent", id=item["id"], accept=True)
    assert "needs role admin or analyst; you have agent" in r.json()["errors"][0]["message"]
    before = {record: _owner(server, record) for record in item["records"]}
    accepted = _data(_post(server, decide, id=item["id"], accept=True))["decideReview"]
    assert accepted == {"id": item["id"], "status": "accepted"}
    owners = {_owner(server, record) for record in item["records"]}
    assert len(owners) == 1  # the two records' customers merged
    again = _post(server, decide, id=item["id"], accept=False).json()
    assert again["errors"][0]["message"] == f"review item {item['id']} is already accepted"
    assert again["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    undo = """mutation ($record: String!) { unmerge(sourceRecord: $record) {
        survivor restored } }"""
    [survivor] = owners
    [absorbed] = [record for record, owner in before.items() if owner != survivor]
    split = _data(_post(server, undo, record=absorbed))["unmerge"]
    assert split["survivor"] == survivor
    assert len(split["restored"]) == 1
    assert len({_owner(server, record) for record in item["records"]}) == 2
    both = _post(server, 'mutation { unmerge(mergeEvent: "x", sourceRecord: "y") { survivor } }')
    assert both.json()["errors"][0]["message"] == "give exactly one of mergeEvent or sourceRecord"
    total = _data(_post(server, "{ customers(first: 1) { totalCount } }"))["customers"]
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
        before = _data(_post(server, '{ searchCustomers(text: "ann lee") { customerId } }'))
        assert server.ann in [h["customerId"] for h in before["searchCustomers"]]
        mutation = """mutation ($id: ID!) {
          eraseCustomer(customerId: $id, reference: "DSR-42") { customerId removed auditId } }"""
        erased = _data(_post(server, mutation, key="k-admin", id=server.ann))["eraseCustomer"]
        assert erased["customerId"] == server.ann
        assert erased["removed"]["Customer"] == 1
        assert erased["removed"]["SourceRecord"] == 3
        after = _data(_post(server, '{ searchCustomers(text: "ann lee") { customerId } }'))
        assert server.ann not in [h["customerId"] for h in after["searchCustomers"]]
        gone = _post(server, "query ($id: ID!) { customer(id: $id) { id } }", id=server.ann)
        assert _data(gone)["customer"] is None
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
        again = _post(server, mutation, key="k-admin", id=server.ann).json()
        assert again["errors"][0]["message"] == f"no customer {server.ann!r} to erase"
