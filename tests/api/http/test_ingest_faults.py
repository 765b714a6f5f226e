"""Faults found in a trial of the push API (issue 17, items 6, 9 and 11), each over real
HTTP: a bad push gets a precise error, never a stack trace, and never an error after it
has committed.

6 push ingest splits lines as the file loader does; 9 source-system names; 11 body-size
limits.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from tests.support.graphql_client import AUTH as GRAPHQL_AUTH
from tests.support.graphql_client import post_graphql
from tests.support.push_client import BEARER, INGEST_TOKEN, MAX_BYTES, customer_line, push_records
from tests.support.serve import LiveServer

# ----------------------------------------------------------------------------- 6 line ends


def test_a_cr_between_json_tokens_is_whitespace_not_a_line_end(ingest_server: Any) -> None:
    body = b'{"source_record_id": "cr1",\r"name": "Carla Ruiz"}\n' + customer_line("cr2", "Dan Ito")
    r = push_records(ingest_server, "customers", body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["received"], answer["accepted"], answer["rejected"]) == (2, 2, 0)
    assert [x["line"] for x in answer["results"]] == [1, 2]
    assert all(x["status"] == "accepted" and x["customer"] for x in answer["results"])
    assert {x["resolution"] for x in answer["results"]} == {"singleton"}


def test_a_cr_inside_a_json_string_rejects_its_line_only(ingest_server: Any) -> None:
    body = b'{"source_record_id": "a1", "name": "Ann\rLee"}\r\n' + customer_line("b2", "Bo Chen")
    r = push_records(ingest_server, "customers", body)
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
    r = push_records(ingest_server, "touchpoints", body + b"\r")
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
        customer_line("f1", "Fay One")
        + b"\r\n\r\n"
        + b'{"source_record_id": "f2",\r "name": "Gil Two"}\n'
        + b'{"source_record_id": "f3", "name": "Hal\rThree"}\n'
        + b"   \n"
        + customer_line("f4", "Ida Four")
    )
    path = tmp_path / "web.customers.jsonl"
    path.write_bytes(body)
    from_file = [(r.line, r.data is not None) for r in read_records(path)]
    r = push_records(ingest_server, "customers", body)
    assert r.status_code == 200, r.text
    pushed = [(x["line"], x["status"] == "accepted") for x in r.json()["results"]]
    assert pushed == from_file == [(1, True), (3, True), (4, False), (6, True)]


def test_resolution_failing_after_the_commit_is_no_error(
    ingest_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("resolution broke")

    monkeypatch.setattr("loaders.push.resolve_arrivals", broken)
    r = push_records(ingest_server, "customers", customer_line("p1", "Pat Pending"))
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
    r = push_records(ingest_server, "customers", bad_record, source=source)
    assert r.status_code == 400
    assert "is not a valid name" in r.json()["error"]
    assert "a-z 0-9 _ . -" in r.json()["error"]
    assert not (ingest_server.tmp / "escape").exists()
    written = [p.name for p in ingest_server.tmp.rglob("*")]
    assert all(name.startswith("kb.sqlite") for name in written), written  # the store only


def test_the_source_header_is_checked_too_and_good_names_pass(ingest_server: Any) -> None:
    r = httpx.post(
        f"{ingest_server.url}/ingest/customers",
        content=customer_line("h1", "Hana Head"),
        headers={**BEARER, "X-CKB-Source": "../../up"},
    )
    assert r.status_code == 400
    for good in ("crm-eu.v2", "web_shop", "0"):
        assert (
            push_records(ingest_server, "customers", customer_line("g1", "Gus"), good).status_code
            == 200
        )


def test_graphql_source_system_is_checked(graph_server: Any) -> None:
    mutation = """mutation ($source: String!) {
      upsertCustomerRecord(sourceSystem: $source, record: {source_record_id: "e1"}) {
        accepted reasons } }"""
    r = post_graphql(graph_server, mutation, key="k-loader", source="/../../escape/pwn").json()
    assert r["data"] is None
    [error] = r["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("sourceSystem: source system '/../../escape/pwn'")
    assert not (graph_server.tmp / "escape").exists()
    assert not (graph_server.tmp.parent / "escape").exists()


def test_ckb_load_refuses_a_bad_source_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.cli.main import main

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "customers.jsonl"
    path.write_bytes(customer_line("c1", "Cy Load"))
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    code = main(["--graph", graph, "load", "customers", str(path), "--source", "../escape"])
    assert code == 1
    assert "source system '../escape' is not a valid name" in capsys.readouterr().err
    assert main(["--graph", graph, "load", "customers", str(path), "--source", "crm"]) == 0


# ----------------------------------------------------------------------------- 11 body sizes


def _raw(graph_server: Any, request: bytes, chunks: Sequence[bytes] = ()) -> tuple[int, Any]:
    """Send a request (and chunks of a chunked body, never its last chunk) on a socket;
    the status and JSON body of the answer. A graph_server that waits for the rest times out."""
    with socket.create_connection(("127.0.0.1", graph_server.port), timeout=20) as conn:
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
        ingest_server, _head("/epcis/capture", f"Authorization: Bearer {INGEST_TOKEN}", declared)
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
        f"Authorization: Bearer {INGEST_TOKEN}",
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
        yield customer_line("s1", "Sam Stream")
        yield b"\n"
        yield customer_line("s2", "Sue Stream")

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
