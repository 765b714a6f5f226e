"""Faults found in a trial of the HTTP API (issue 17, items 10 and 12-15), each over real
HTTP: the API answers a bad request with a precise error, never a stack trace.

10 a non-string operationName; 12 schemes other than Bearer; 13 what the log holds;
14 consent gates credit profiles; 15 one code per refusal, and introspection.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from graph.store import RelRow
from tests.support.graphql_client import AUTH as GRAPHQL_AUTH
from tests.support.graphql_client import post_graphql
from tests.support.push_client import customer_line
from tests.support.serve import LiveServer

# ----------------------------------------------------------------------------- 10 operationName


@pytest.mark.parametrize("name", [{"a": 1}, 5, ["Q"], True])
@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
def test_an_operation_name_that_is_not_a_string_is_a_400(
    graph_server: Any, name: Any, accept: str
) -> None:
    r = httpx.post(
        f"{graph_server.url}/graphql",
        json={"query": "query Q { __typename }", "operationName": name},
        headers={"authorization": "Bearer k-analyst", "accept": accept},
    )
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["message"] == (
        "The GraphQL operation's `operationName` must be a string or null, if provided."
    )
    assert error["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'"{ __typename }"', "expected a JSON object, got a string"),
        (b"5", "expected a JSON object, got a number"),
        (b"null", "expected a JSON object, got null"),
        (b'{"query": "{ __typename \xff }"}', "Unable to parse request body as JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(
    graph_server: Any, body: bytes, message: str
) -> None:
    r = httpx.post(
        f"{graph_server.url}/graphql",
        content=body,
        headers={"authorization": "Bearer k-analyst", "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["errors"] == [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]


# ----------------------------------------------------------------------------- 12 schemes


@pytest.mark.parametrize(
    "authorization",
    ["Basic YWRtaW46YWRtaW4=", "Digest username=x", "Bearer", "Bearer two tokens", "k-analyst"],
)
def test_an_authorization_that_is_not_one_bearer_token_is_a_401(
    graph_server: Any, ingest_server: Any, authorization: str
) -> None:
    r = httpx.post(
        f"{graph_server.url}/graphql",
        json={"query": "{ customers(first: 1) { totalCount } }"},
        headers={"authorization": authorization},
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    [error] = r.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Authorization: Bearer <API key or JWT>" in error["message"]
    r = httpx.post(
        f"{ingest_server.url}/ingest/customers?source=web",
        content=customer_line("z", "Z"),
        headers={"authorization": authorization},
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_subscription_with_another_scheme_is_refused(graph_server: Any) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(
        graph_server.url.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=5,
    ) as ws:
        init = {"type": "connection_init", "payload": {"authorization": "Basic YWRtaW46YWRtaW4="}}
        ws.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


# ----------------------------------------------------------------------------- 13 the log


def test_client_errors_are_one_info_line_without_the_query(
    graph_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Zelda Quintero-Private"
    query = """query ($text: String!, $id: ID!) {
      searchCustomers(text: $text) { name }
      customer(id: $id) { pathTo(customerId: $id, maxHops: 9) { paths { steps { id } } } } }"""
    with caplog.at_level(logging.INFO):
        anonymous = post_graphql(
            graph_server, query, key=None, text=secret, id="CUST-SECRET-42"
        ).json()
        r = post_graphql(graph_server, query, text=secret, id=graph_server.ann).json()
    assert {e["extensions"]["code"] for e in anonymous["errors"]} == {"FORBIDDEN"}
    assert {e["extensions"]["code"] for e in r["errors"]} == {"BAD_USER_INPUT"}
    assert [rec for rec in caplog.records if rec.levelno >= logging.WARNING] == []
    lines = [rec for rec in caplog.records if rec.name == "ckb.graphql"]
    assert len(lines) == 2
    assert all(rec.levelno == logging.INFO and rec.exc_info is None for rec in lines)
    assert "FORBIDDEN x2" in lines[0].getMessage()
    assert "BAD_USER_INPUT" in lines[1].getMessage()
    for leak in (secret, "CUST-SECRET-42", graph_server.ann, "searchCustomers", "Traceback"):
        assert leak not in caplog.text


def test_an_internal_error_is_logged_with_its_request_id_not_the_query(
    graph_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    graph_server.store.broken.add("get_nodes")
    try:
        with caplog.at_level(logging.INFO):
            query = "query ($id: ID!) { privatealias77: customer(id: $id) { name } }"
            r = post_graphql(graph_server, query, id="PRIVATE-77")
    finally:
        graph_server.store.broken.clear()
    [error] = r.json()["errors"]
    request_id = error["extensions"]["requestId"]
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].name == "ckb.graphql"
    assert request_id in errors[0].getMessage()
    assert errors[0].exc_info is not None  # the traceback, for the operator
    assert "PRIVATE-77" not in caplog.text
    assert "privatealias77" not in caplog.text


# ----------------------------------------------------------------------------- 14 consent


def test_credit_profiles_follow_third_party_consent(graph_server: Any) -> None:
    store = graph_server.store
    store.upsert_nodes("CreditProfile", [{"id": "cr-bob", "score": 610, "rating": "B"}])
    store.upsert_relationships(
        "HAS_CREDIT_PROFILE", "Customer", "CreditProfile", [RelRow(graph_server.bob, "cr-bob")]
    )
    query = """query ($a: ID!, $b: ID!) {
      a: customer(id: $a) { creditProfile { score } demographics { incomeBand } }
      b: customer(id: $b) { creditProfile { score } demographics { incomeBand } } }"""
    for key in ("k-analyst", "k-admin"):
        r = post_graphql(
            graph_server, query, key=key, a=graph_server.ann, b=graph_server.bob
        ).json()
        assert "errors" not in r, r
        assert r["data"]["a"] == {
            "creditProfile": {"score": 720},
            "demographics": {"incomeBand": "75-100k"},
        }
        assert r["data"]["b"] == {"creditProfile": None, "demographics": None}  # no consent
    grant = """mutation ($id: ID!, $granted: Boolean!) {
      updateConsent(customerId: $id, purpose: "third_party_data", granted: $granted) { granted } }"""
    granted_then_withdrawn = [
        (True, {"creditProfile": {"score": 610}, "demographics": {"incomeBand": "<25k"}}),
        (False, {"creditProfile": None, "demographics": None}),
    ]
    for granted, bobs in granted_then_withdrawn:
        bob = graph_server.bob
        answer = post_graphql(graph_server, grant, key="k-agent", id=bob, granted=granted)
        assert "errors" not in answer.json()
        r = post_graphql(graph_server, query, a=graph_server.ann, b=bob).json()
        assert r["data"]["b"] == bobs


# ----------------------------------------------------------------------------- 15 limits


def _codes(r: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in r.json()["errors"]]


def test_each_limit_is_refused_with_its_own_code(graph_server: Any) -> None:
    deep = '{ customer(id: "x") { a { b { c { d { e { f { g { h { i } } } } } } } } } }'
    r = post_graphql(graph_server, deep)
    [depth] = [e for e in r.json()["errors"] if "maximum operation depth" in e["message"]]
    assert depth["extensions"]["code"] == "QUERY_TOO_DEEP"
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(20)) + " }"
    assert _codes(post_graphql(graph_server, aliases)) == ["TOO_MANY_ALIASES"]
    tokens = "{ " + "__typename " * 2100 + "}"
    assert _codes(post_graphql(graph_server, tokens)) == ["TOO_MANY_TOKENS"]
    assert _codes(post_graphql(graph_server, "{ customers(first: 1) { totalCount ")) == [
        "GRAPHQL_PARSE_FAILED"
    ]
    costly = "{ customers(first: 100) { edges { node { touchpoints(first: 500) { id } } } } }"
    assert _codes(post_graphql(graph_server, costly)) == ["QUERY_TOO_COSTLY"]
    assert _codes(post_graphql(graph_server, "{ customers(first: 1000) { totalCount } }")) == [
        "BAD_USER_INPUT"
    ]
    assert _codes(post_graphql(graph_server, "{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]


def test_fragments_spread_twice_per_level_are_counted_not_walked(graph_server: Any) -> None:
    levels = 40
    fragments = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query = f"{{ ...F0 }} {fragments} fragment F{levels} on Query {{ __typename }}"
    r = httpx.post(
        f"{graph_server.url}/graphql",
        json={"query": query},
        headers={"authorization": "Bearer k-analyst"},
        timeout=30,
    )
    assert _codes(r) == ["QUERY_TOO_COSTLY"]
    assert f"would cost {2**levels}," in r.json()["errors"][0]["message"]


def _introspection_server(
    tmp: Path, monkeypatch: pytest.MonkeyPatch, policy: str | None
) -> LiveServer:
    if policy is None:
        monkeypatch.delenv("CKB_INTROSPECTION", raising=False)
    else:
        monkeypatch.setenv("CKB_INTROSPECTION", policy)
    settings = IngestSettings(rejects_dir=tmp / "rejects")
    return LiveServer(create_app(lambda: EmbeddedStore(tmp / "kb.sqlite"), settings, GRAPHQL_AUTH))


SCHEMA_QUERY = "{ __schema { queryType { name } } }"


def test_introspection_needs_a_credential_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graphql import get_introspection_query

    with _introspection_server(tmp_path, monkeypatch, None) as live:
        anonymous = post_graphql(live, SCHEMA_QUERY, key=None)
        assert "data" not in anonymous.json() or anonymous.json()["data"] is None
        assert _codes(anonymous) == ["FORBIDDEN"]
        assert "introspection needs authentication" in anonymous.json()["errors"][0]["message"]
        typename = post_graphql(live, '{ __typename __type(name: "Customer") { name } }', key=None)
        assert _codes(typename) == ["FORBIDDEN"]
        assert post_graphql(live, "{ __typename }", key=None).json() == {
            "data": {"__typename": "Query"}
        }
        # GraphiQL's own introspection query, for a key holder (make demo pre-fills one).
        full = get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        )
        r = post_graphql(live, full, key="k-loader").json()
        assert "errors" not in r
        assert r["data"]["__schema"]["queryType"]["name"] == "Query"
        deeper = "{ __schema { types { " + "ofType { " * 20 + "name" + " }" * 20 + " } } }"
        r = post_graphql(live, deeper, key="k-admin")
        assert _codes(r) == ["QUERY_TOO_DEEP"]
        assert "maximum introspection depth of 15" in r.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("policy", "key", "code"),
    [("off", "k-admin", "INTROSPECTION_DISABLED"), ("on", None, None)],
)
def test_introspection_can_be_turned_off_or_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, key: str | None, code: str | None
) -> None:
    with _introspection_server(tmp_path, monkeypatch, policy) as live:
        r = post_graphql(live, SCHEMA_QUERY, key=key)
        if code is None:
            assert r.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        else:
            assert _codes(r) == [code]


def test_an_unknown_introspection_setting_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.errors import CkbError

    monkeypatch.setenv("CKB_INTROSPECTION", "sometimes")
    with pytest.raises(
        CkbError, match="CKB_INTROSPECTION='sometimes': use off, authenticated or on"
    ):
        create_app(lambda: EmbeddedStore(":memory:"))
