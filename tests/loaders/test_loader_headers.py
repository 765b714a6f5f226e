"""Files with unexpected headers or with nothing in them (issue 17): a load never loses
data it was not given, and every rejected line is in the rejects file."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.cli.main import main
from graph.embedded import EmbeddedStore
from identity.blocking import match_terms
from identity.profile import profile
from loaders.pipeline import load_file
from loaders.record_rows import singleton_customer_id
from loaders.sources import SourceFileError
from tests.support.loader_files import (
    CUSTOMERS_HEADER,
    customer_props,
    load_text,
    read_rejects,
    source_props,
    write_file,
)

# ----------------------------------------------------- 4. headers, absent and empty


FULL = (
    CUSTOMERS_HEADER
    + "1,Ann Lee,ann@example.com,+4790000001,0150\n2,Bob Stone,bob@example.com,+4790000002,0151\n"
)


def _whole_match_keys(props: dict[str, object], key: str) -> str:
    return " ".join(match_terms(profile(key, props, datetime.now(UTC).date())))


def test_headers_match_whatever_their_case_and_spacing(tmp_path: Path, kb: EmbeddedStore) -> None:
    load_text(kb, "customers", tmp_path / "c.csv", FULL, "crm")
    changed = write_file(
        tmp_path / "c2.csv",
        "Source Record ID, Name ,EMAIL, Phone ,postal code\n"
        "1,Ann Lee,ann@new.example,+4790000009,0160\n",
    )
    summary = load_file(kb, "customers", changed, "crm", rejects_path=tmp_path / "r.jsonl")
    assert (summary.loaded, summary.rejected, summary.ignored_fields) == (1, 0, set())
    ann = source_props(kb, "crm:1")
    assert (ann["email"], ann["phone"], ann["postal_code"]) == (
        "ann@new.example",
        "+4790000009",
        "0160",
    )
    assert customer_props(kb, "crm", "1")["email"] == "ann@new.example"


def test_two_columns_naming_one_field_are_refused(tmp_path: Path, kb: EmbeddedStore) -> None:
    path = write_file(
        tmp_path / "c.csv", "source_record_id,name,email,EMAIL\n1,Ann,a@x.io,b@x.io\n"
    )
    with pytest.raises(SourceFileError, match="repeated column names"):
        load_file(kb, "customers", path, "crm")
    jsonl = write_file(
        tmp_path / "c.jsonl",
        '{"source_record_id": "1", "name": "Ann", "email": "a@x.io", "Email": "b@x.io"}\n',
    )
    summary = load_file(kb, "customers", jsonl, "crm", rejects_path=tmp_path / "r.jsonl")
    assert (summary.loaded, summary.rejected) == (0, 1)
    assert read_rejects(tmp_path / "r.jsonl")[0]["reasons"] == [
        "'email' and 'Email' both give email"
    ]


def test_a_missing_column_leaves_the_field_and_an_empty_cell_clears_it(
    tmp_path: Path, kb: EmbeddedStore
) -> None:
    load_text(kb, "customers", tmp_path / "c.csv", FULL, "crm")
    # Unknown headers (a typo) and no phone column: nothing is wiped.
    narrow = write_file(
        tmp_path / "c2.csv",
        "source_record_id,name,e_mail_address\n1,Ann Lee-Park,x\n2,Bob Stone,y\n",
    )
    summary = load_file(kb, "customers", narrow, "crm", rejects_path=tmp_path / "r.jsonl")
    assert summary.ignored_fields == {"e_mail_address"}
    for key, email, phone in (
        ("1", "ann@example.com", "+4790000001"),
        ("2", "bob@example.com", "+4790000002"),
    ):
        source, customer = source_props(kb, f"crm:{key}"), customer_props(kb, "crm", key)
        assert (source["email"], source["phone"], source["postal_code"]) == (
            email,
            phone,
            f"015{int(key) - 1}",
        )
        assert (customer["email"], customer["phone"]) == (email, phone)
        # Match keys come from the whole record: what it held, updated by what it gave.
        assert source["match_keys"] == _whole_match_keys(source, f"crm:{key}")
    assert source_props(kb, "crm:1")["name"] == "Ann Lee-Park"
    # An empty cell is a value: nothing, and it clears the field.
    cleared = write_file(tmp_path / "c3.csv", "source_record_id,name,email\n2,Bob Stone,\n")
    load_file(kb, "customers", cleared, "crm", rejects_path=tmp_path / "r.jsonl")
    bob = source_props(kb, "crm:2")
    assert "email" not in bob
    assert bob["phone"] == "+4790000002"
    assert "email" not in customer_props(kb, "crm", "2")
    assert bob["match_keys"] == _whole_match_keys(bob, "crm:2")


def test_a_missing_json_key_leaves_the_field_and_null_clears_it(
    tmp_path: Path, kb: EmbeddedStore
) -> None:
    load_text(kb, "customers", tmp_path / "c.csv", FULL, "crm")
    lines = [
        {"source_record_id": "1", "name": "Ann Lee"},
        {"source_record_id": "2", "name": "Bob Stone", "email": None, "Phone": ""},
    ]
    path = write_file(tmp_path / "c.jsonl", "\n".join(json.dumps(r) for r in lines) + "\n")
    load_file(kb, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl")
    ann, bob = source_props(kb, "crm:1"), source_props(kb, "crm:2")
    assert (ann["email"], ann["phone"]) == ("ann@example.com", "+4790000001")
    assert "email" not in bob
    assert "phone" not in bob
    assert bob["postal_code"] == "0151"


def test_a_missing_column_leaves_relationship_and_other_kinds_fields(
    tmp_path: Path, kb: EmbeddedStore
) -> None:
    load_text(
        kb,
        "households",
        tmp_path / "h.csv",
        "household_id,name,address,postal_code\nH1,Lees,1 Main St,0150\n",
        "crm",
    )
    load_text(kb, "customers", tmp_path / "c.csv", FULL, "crm")
    members = "household_id,customer_id,role,age_band,since\nH1,1,head,35-44,2020-01-01\n"
    load_text(kb, "household_members", tmp_path / "m.csv", members, "crm")
    load_text(kb, "households", tmp_path / "h2.csv", "household_id,name\nH1,The Lees\n", "crm")
    load_text(
        kb,
        "household_members",
        tmp_path / "m2.csv",
        "household_id,customer_id,role\nH1,1,head\n",
        "crm",
    )
    household = kb.get_node("Household", "H1")
    assert household is not None
    assert (household.props["name"], household.props["address"]) == ("The Lees", "1 Main St")
    [member] = kb.neighbours("Customer", singleton_customer_id("crm", "1"), "MEMBER_OF")
    assert (member.edge.props["age_band"], member.edge.props["since"]) == ("35-44", "2020-01-01")


# ------------------------------------------------------------ 5. every reject written


def test_lines_that_fail_to_parse_are_in_the_rejects_file(
    tmp_path: Path, kb: EmbeddedStore, parallel: str
) -> None:
    path = write_file(
        tmp_path / "c.csv",
        "source_record_id,name,email\n"
        "1,Ann,ann@example.com\n"
        '2,"Bob" Stone,bob@example.com\n'
        "3,Cai,cai@example.com\n"
        '4,"Dee,dee@example.com\n'
        "5,Eve,eve@example.com\n",
    )
    rejects = tmp_path / "r.jsonl"
    summary = load_file(kb, "customers", path, "crm", rejects_path=rejects)
    assert (summary.read, summary.loaded, summary.rejected) == (4, 2, 2)
    found = read_rejects(rejects)
    assert len(found) == summary.rejected
    assert [(r["line"], r["record"]) for r in found] == [
        (3, '2,"Bob" Stone,bob@example.com'),
        (5, '4,"Dee,dee@example.com\n5,Eve,eve@example.com'),
    ]
    assert found[0]["reasons"] == ["malformed CSV: ',' expected after '\"'"]
    assert found[1]["reasons"] == [
        "malformed CSV: a quoted field opened on line 5 is never closed (it runs to the end "
        "of the file)"
    ]


def test_bad_json_and_bad_bytes_are_in_the_rejects_file_with_their_text(
    tmp_path: Path, kb: EmbeddedStore, parallel: str
) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(
        b'{"source_record_id": "1", "name": "Ann"}\n'
        b'{"source_record_id": "2", "name": \n'
        b'{"source_record_id": "3", "name": "Zo\xeb"}\n'
        b'{"source_record_id": "4", "name": "Zo\xc3\xab"}\n'
    )
    rejects = tmp_path / "r.jsonl"
    summary = load_file(kb, "customers", path, "crm", rejects_path=rejects)
    assert (summary.loaded, summary.rejected) == (2, 2)
    found = read_rejects(rejects)
    assert [(r["line"], r["reasons"][0][:13]) for r in found] == [  # type: ignore[index]
        (2, "invalid JSON:"),
        (3, "not valid UTF"),
    ]
    assert found[1]["record"] == '{"source_record_id": "3", "name": "Zo\ufffd"}'


# ----------------------------------------------------------------- 16. nothing in it


@pytest.mark.parametrize(
    ("content", "said"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"\n  \n", "empty", id="blank"),
        pytest.param(CUSTOMERS_HEADER.encode(), "only a header", id="header-only"),
        pytest.param(gzip.compress(b""), "empty", id="empty-gz"),
    ],
)
def test_a_file_with_no_records_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, said: str
) -> None:
    name = "crm.customers.csv.gz" if content[:2] == b"\x1f\x8b" else "crm.customers.csv"
    path = tmp_path / name
    path.write_bytes(content)
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    code = main(["--graph", graph, "load", "customers", str(path), "--source", "crm"])
    out = capsys.readouterr().out
    assert code == 0
    assert out == f"{path}: {said} — nothing loaded\n"
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        summary = load_file(store, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl")
    assert (summary.read, summary.empty) == (0, said)


def test_an_empty_json_lines_file_says_so(tmp_path: Path, kb: EmbeddedStore) -> None:
    path = write_file(tmp_path / "c.jsonl", "\n\n")
    summary = load_file(kb, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl")
    assert summary.empty == "empty"
    assert summary.as_dict()["empty"] == "empty"
