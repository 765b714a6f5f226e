"""Faults found in a trial of the HTTP API (issue 17, items 6 and 9-15), each over real
HTTP: the API answers a bad request with a precise error, never a stack trace, and never
an error after it has committed.

6 push ingest splits lines as the file loader does; 9 source-system names; 10 a
non-string operationName; 11 body-size limits; 12 schemes other than Bearer; 13 what the
log holds; 14 consent gates credit profiles; 15 one code per refusal, and introspection.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import AuthSettings
from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from graph.store import RelRow
from tests.support.graphql_client import AUTH as GRAPHQL_AUTH
from tests.support.graphql_client import post_graphql
from tests.support.graphql_server import served
from tests.support.serve import LiveServer

TOKEN = "s3cret-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
MAX_BYTES = 200_000


@pytest.fixture
def ingest_server(tmp_path: Path) -> Iterator[Any]:
    settings = IngestSettings(max_bytes=MAX_BYTES, rejects_dir=tmp_path / "rejects")
    auth = AuthSettings.from_env({"CKB_INGEST_TOKENS": TOKEN})
    with LiveServer(
        create_app(lambda: EmbeddedStore(tmp_path / "kb.sqlite"), settings, auth)
    ) as live:
        live.tmp = tmp_path  # type: ignore[attr-defined]
        yield live


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The GraphQL test graph (tests/support/graphql_server.py) behind a server of its own."""
    tmp = tmp_path_factory.mktemp("faults")
    with served(tmp) as live:
        yield live


def _push(server: Any, kind: str, body: bytes, source: str = "web") -> httpx.Response:
    return httpx.post(
        f"{server.url}/ingest/{kind}", params={"source": source}, content=body, headers=BEARER
    )


def _customer(record_id: str, name: str) -> bytes:
    return json.dumps({"source_record_id": record_id, "name": name}).encode()


# ----------------------------------------------------------------------------- 6 line ends


def test_a_cr_between_json_tokens_is_whitespace_not_a_line_end(ingest_server: Any) -> None:
    body = b'{"source_record_id": "cr1",\r"name": "Carla Ruiz"}\n' + _customer("cr2", "Dan Ito")
    r = _push(ingest_server, "customers", body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["received"], answer["accepted"], answer["rejected"]) == (2, 2, 0)
    assert [x["line"] for x in answer["results"]] == [1, 2]
    assert all(x["status"] == "accepted" and x["customer"] for x in answer["results"])
    assert {x["resolution"] for x in answer["results"]} == {"singleton"}


def test_a_cr_inside_a_json_string_rejects_its_line_only(ingest_server: Any) -> None:
    body = b'{"source_record_id": "a1", "name": "Ann\rLee"}\r\n' + _customer("b2", "Bo Chen")
    r = _push(ingest_server, "customers", body)
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["line"] == 1
    assert first["status"] == "rejected"
    assert "invalid JSON" in first["reasons"][0]
    assert second["line"] == 2
    assert second["status"] == "accepted"
    assert second["customer"]


def test_cr_line_endings_are_one_line_never_a_phantom_acceptance(ingest_server: Any) -> None:
    touch = {"customer_id": "x", "channel": "web", "kind": "inquiry"}
    body = b"\r".join(json.dumps({**touch, "touchpoint_id": f"t{i}"}).encode() for i in range(3))
    r = _push(ingest_server, "touchpoints", body + b"\r")
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["received"], answer["accepted"], answer["rejected"]) == (1, 0, 1)
    [only] = answer["results"]
    assert only["line"] == 1
    assert only["status"] == "rejected"
    assert "invalid JSON" in only["reasons"][0]


def test_push_and_file_loads_split_lines_alike(ingest_server: Any, tmp_path: Path) -> None:
    from loaders.sources import read_records

    body = (
        _customer("f1", "Fay One")
        + b"\r\n\r\n"
        + b'{"source_record_id": "f2",\r "name": "Gil Two"}\n'
        + b'{"source_record_id": "f3", "name": "Hal\rThree"}\n'
        + b"   \n"
        + _customer("f4", "Ida Four")
    )
    path = tmp_path / "web.customers.jsonl"
    path.write_bytes(body)
    from_file = [(r.line, r.data is not None) for r in read_records(path)]
    r = _push(ingest_server, "customers", body)
    assert r.status_code == 200, r.text
    pushed = [(x["line"], x["status"] == "accepted") for x in r.json()["results"]]
    assert pushed == from_file == [(1, True), (3, True), (4, False), (6, True)]


def test_resolution_failing_after_the_commit_is_no_error(
    ingest_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("resolution broke")

    monkeypatch.setattr("loaders.push.resolve_arrivals", broken)
    r = _push(ingest_server, "customers", _customer("p1", "Pat Pending"))
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["results"] == [{"line": 1, "status": "accepted", "resolution": "pending"}]
    assert "ckb resolve" in answer["warning"]
    assert "resolution broke" not in r.text
    with EmbeddedStore(ingest_server.tmp / "kb.sqlite") as store:
        assert store.get_node("SourceRecord", "web:p1") is not None


# ----------------------------------------------------------------------------- 9 names


@pytest.mark.parametrize(
    "source", ["/../../escape/pwn", "../escape", "a/b", "web:x", "Billing", ".hidden", "x" * 65]
)
def test_a_source_name_outside_the_character_set_is_refused(
    ingest_server: Any, source: str
) -> None:
    bad_record = b'{"source_record_id": "r1", "birth_date": "not a date"}'
    r = _push(ingest_server, "customers", bad_record, source=source)
    assert r.status_code == 400
    assert "is not a valid name" in r.json()["error"]
    assert "a-z 0-9 _ . -" in r.json()["error"]
    assert not (ingest_server.tmp / "escape").exists()
    written = [p.name for p in ingest_server.tmp.rglob("*")]
    assert all(name.startswith("kb.sqlite") for name in written), written  # the store only


def test_the_source_header_is_checked_too_and_good_names_pass(ingest_server: Any) -> None:
    r = httpx.post(
        f"{ingest_server.url}/ingest/customers",
        content=_customer("h1", "Hana Head"),
        headers={**BEARER, "X-CKB-Source": "../../up"},
    )
    assert r.status_code == 400
    for good in ("crm-eu.v2", "web_shop", "0"):
        assert _push(ingest_server, "customers", _customer("g1", "Gus"), good).status_code == 200


def test_graphql_source_system_is_checked(server: Any) -> None:
    mutation = """mutation ($source: String!) {
      upsertCustomerRecord(sourceSystem: $source, record: {source_record_id: "e1"}) {
        accepted reasons } }"""
    r = post_graphql(server, mutation, key="k-loader", source="/../../escape/pwn").json()
    assert r["data"] is None
    [error] = r["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("sourceSystem: source system '/../../escape/pwn'")
    assert not (server.tmp / "escape").exists()
    assert not (server.tmp.parent / "escape").exists()


def test_ckb_load_refuses_a_bad_source_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.cli.main import main

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "customers.jsonl"
    path.write_bytes(_customer("c1", "Cy Load"))
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    code = main(["--graph", graph, "load", "customers", str(path), "--source", "../escape"])
    assert code == 1
    assert "source system '../escape' is not a valid name" in capsys.readouterr().err
    assert main(["--graph", graph, "load", "customers", str(path), "--source", "crm"]) == 0


# ----------------------------------------------------------------------------- 10 operationName


@pytest.mark.parametrize("name", [{"a": 1}, 5, ["Q"], True])
@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
def test_an_operation_name_that_is_not_a_string_is_a_400(
    server: Any, name: Any, accept: str
) -> None:
    r = httpx.post(
        f"{server.url}/graphql",
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
def test_a_body_that_is_not_a_json_object_is_a_400(server: Any, body: bytes, message: str) -> None:
    r = httpx.post(
        f"{server.url}/graphql",
        content=body,
        headers={"authorization": "Bearer k-analyst", "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["errors"] == [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]


# ----------------------------------------------------------------------------- 11 body sizes


def _raw(server: Any, request: bytes, chunks: Sequence[bytes] = ()) -> tuple[int, Any]:
    """Send a request (and chunks of a chunked body, never its last chunk) on a socket;
    the status and JSON body of the answer. A server that waits for the rest times out."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as conn:
        conn.sendall(request)
        for chunk in chunks:
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = b""
        while True:
            got = conn.recv(65536)
            if not got:
                break
            answer += got
            head, _, rest = answer.partition(b"\r\n\r\n")
            lengths = [
                int(h.split(b":")[1])
                for h in head.split(b"\r\n")
                if h.lower().startswith(b"content-length:")
            ]
            if lengths and len(rest) >= lengths[0]:
                break
    head, _, rest = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(rest)


def _head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode()


def test_a_declared_body_over_the_limit_is_refused_unread(ingest_server: Any) -> None:
    declared = "Content-Length: 50000000"
    status, body = _raw(
        ingest_server, _head("/graphql", "Content-Type: application/json", declared)
    )
    assert status == 413
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "at most 1048576 bytes" in body["errors"][0]["message"]
    status, body = _raw(
        ingest_server, _head("/epcis/capture", f"Authorization: Bearer {TOKEN}", declared)
    )
    assert status == 413
    assert body == {"error": f"a capture may hold at most {MAX_BYTES} bytes (CKB_INGEST_MAX_BYTES)"}


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/graphql", 2**20),
        ("/ingest/customers?source=web", MAX_BYTES),
        ("/epcis/capture", MAX_BYTES),
    ],
)
def test_a_streamed_body_is_cut_off_at_the_limit(ingest_server: Any, path: str, limit: int) -> None:
    head = _head(
        path,
        f"Authorization: Bearer {TOKEN}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    size = 50_000
    chunks = [b"x" * size] * (limit // size) + [b"x" * (limit % size + 10)]  # 10 bytes over
    status, body = _raw(ingest_server, head, chunks)
    assert status == 413
    message = body["errors"][0]["message"] if path == "/graphql" else body["error"]
    assert f"at most {limit} bytes" in message


def test_a_streamed_body_within_the_limit_is_served(ingest_server: Any) -> None:
    def stream() -> Iterator[bytes]:
        yield _customer("s1", "Sam Stream")
        yield b"\n"
        yield _customer("s2", "Sue Stream")

    r = httpx.post(
        f"{ingest_server.url}/ingest/customers?source=web", content=stream(), headers=BEARER
    )
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2


def test_the_graphql_limit_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.errors import CkbError

    monkeypatch.setenv("CKB_GRAPHQL_MAX_BYTES", "1000")
    settings = IngestSettings(rejects_dir=tmp_path / "rejects")
    app = create_app(lambda: EmbeddedStore(tmp_path / "kb.sqlite"), settings, GRAPHQL_AUTH)
    with LiveServer(app) as live:
        padded = {"query": "{ __typename }", "variables": {"pad": "x" * 1000}}
        r = httpx.post(f"{live.url}/graphql", json=padded)
        assert r.status_code == 413
        assert r.json()["errors"][0]["message"] == (
            "the request body may hold at most 1000 bytes (CKB_GRAPHQL_MAX_BYTES)"
        )
        assert httpx.post(f"{live.url}/graphql", json={"query": "{ __typename }"}).is_success
    monkeypatch.setenv("CKB_GRAPHQL_MAX_BYTES", "lots")
    with pytest.raises(CkbError, match="CKB_GRAPHQL_MAX_BYTES='lots': give a number of bytes"):
        create_app(lambda: EmbeddedStore(tmp_path / "kb.sqlite"))


# ----------------------------------------------------------------------------- 12 schemes


@pytest.mark.parametrize(
    "authorization",
    ["Basic YWRtaW46YWRtaW4=", "Digest username=x", "Bearer", "Bearer two tokens", "k-analyst"],
)
def test_an_authorization_that_is_not_one_bearer_token_is_a_401(
    server: Any, ingest_server: Any, authorization: str
) -> None:
    r = httpx.post(
        f"{server.url}/graphql",
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
        content=_customer("z", "Z"),
        headers={"authorization": authorization},
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_subscription_with_another_scheme_is_refused(server: Any) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(
        server.url.replace("http://", "ws://") + "/graphql",
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
    server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Zelda Quintero-Private"
    query = """query ($text: String!, $id: ID!) {
      searchCustomers(text: $text) { name }
      customer(id: $id) { pathTo(customerId: $id, maxHops: 9) { paths { steps { id } } } } }"""
    with caplog.at_level(logging.INFO):
        anonymous = post_graphql(server, query, key=None, text=secret, id="CUST-SECRET-42").json()
        r = post_graphql(server, query, text=secret, id=server.ann).json()
    assert {e["extensions"]["code"] for e in anonymous["errors"]} == {"FORBIDDEN"}
    assert {e["extensions"]["code"] for e in r["errors"]} == {"BAD_USER_INPUT"}
    assert [rec for rec in caplog.records if rec.levelno >= logging.WARNING] == []
    lines = [rec for rec in caplog.records if rec.name == "ckb.graphql"]
    assert len(lines) == 2
    assert all(rec.levelno == logging.INFO and rec.exc_info is None for rec in lines)
    assert "FORBIDDEN x2" in lines[0].getMessage()
    assert "BAD_USER_INPUT" in lines[1].getMessage()
    for leak in (secret, "CUST-SECRET-42", server.ann, "searchCustomers", "Traceback"):
        assert leak not in caplog.text


def test_an_internal_error_is_logged_with_its_request_id_not_the_query(
    server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server.store.broken.add("get_nodes")
    try:
        with caplog.at_level(logging.INFO):
            query = "query ($id: ID!) { privatealias77: customer(id: $id) { name } }"
            r = post_graphql(server, query, id="PRIVATE-77")
    finally:
        server.store.broken.clear()
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


def test_credit_profiles_follow_third_party_consent(server: Any) -> None:
    store = server.store
    store.upsert_nodes("CreditProfile", [{"id": "cr-bob", "score": 610, "rating": "B"}])
    store.upsert_relationships(
        "HAS_CREDIT_PROFILE", "Customer", "CreditProfile", [RelRow(server.bob, "cr-bob")]
    )
    query = """query ($a: ID!, $b: ID!) {
      a: customer(id: $a) { creditProfile { score } demographics { incomeBand } }
      b: customer(id: $b) { creditProfile { score } demographics { incomeBand } } }"""
    for key in ("k-analyst", "k-admin"):
        r = post_graphql(server, query, key=key, a=server.ann, b=server.bob).json()
        assert "errors" not in r, r
        assert r["data"]["a"] == {
            "creditProfile": {"score": 720},
            "demographics": {"incomeBand": "75-100k"},
        }
        assert r["data"]["b"] == {"creditProfile": None, "demographics": None}  # no consent
    grant = """mutation ($id: ID!, $granted: Boolean!) {
      updateConsent(customerId: $id, purpose: "third_party_data", granted: $granted) { granted } }"""
    assert (
        "errors"
        not in post_graphql(server, grant, key="k-agent", id=server.bob, granted=True).json()
    )
    r = post_graphql(server, query, a=server.ann, b=server.bob).json()
    assert r["data"]["b"] == {
        "creditProfile": {"score": 610},
        "demographics": {"incomeBand": "<25k"},
    }
    assert (
        "errors"
        not in post_graphql(server, grant, key="k-agent", id=server.bob, granted=False).json()
    )
    r = post_graphql(server, query, a=server.ann, b=server.bob).json()
    assert r["data"]["b"] == {"creditProfile": None, "demographics": None}  # withdrawn


# ----------------------------------------------------------------------------- 15 limits


def _codes(r: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in r.json()["errors"]]


def test_each_limit_is_refused_with_its_own_code(server: Any) -> None:
    deep = '{ customer(id: "x") { a { b { c { d { e { f { g { h { i } } } } } } } } } }'
    r = post_graphql(server, deep)
    [depth] = [e for e in r.json()["errors"] if "maximum operation depth" in e["message"]]
    assert depth["extensions"]["code"] == "QUERY_TOO_DEEP"
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(20)) + " }"
    assert _codes(post_graphql(server, aliases)) == ["TOO_MANY_ALIASES"]
    tokens = "{ " + "__typename " * 2100 + "}"
    assert _codes(post_graphql(server, tokens)) == ["TOO_MANY_TOKENS"]
    assert _codes(post_graphql(server, "{ customers(first: 1) { totalCount ")) == [
        "GRAPHQL_PARSE_FAILED"
    ]
    costly = "{ customers(first: 100) { edges { node { touchpoints(first: 500) { id } } } } }"
    assert _codes(post_graphql(server, costly)) == ["QUERY_TOO_COSTLY"]
    assert _codes(post_graphql(server, "{ customers(first: 1000) { totalCount } }")) == [
        "BAD_USER_INPUT"
    ]
    assert _codes(post_graphql(server, "{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]


def test_fragments_spread_twice_per_level_are_counted_not_walked(server: Any) -> None:
    levels = 40
    fragments = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query = f"{{ ...F0 }} {fragments} fragment F{levels} on Query {{ __typename }}"
    r = httpx.post(
        f"{server.url}/graphql",
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
