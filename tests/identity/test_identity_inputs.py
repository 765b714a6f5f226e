"""Customer inputs as independent data writes them (issue 16): birth dates in the common
spellings, impossible and future dates flagged and kept (never a reject), records without
a name, repeated-digit postcodes, a second address line and a state, and an evaluation
that counts every record of the truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from api.cli.main import main
from graph.store import GraphStore, Node
from identity.evaluate import truth_clusters
from identity.merge import survivor_attributes
from identity.normalize import normalize_postal
from identity.profile import profile
from identity.quality import quality_report
from identity.resolve import resolve_store, source_records
from loaders.models import CustomerRecord
from loaders.pipeline import load_file

TODAY = date(2026, 11, 23)


def summary_owner(store: GraphStore, key: str) -> str | None:
    return next(owner for node, owner in source_records(store) if node.key == key)


def _customer(**fields: str) -> CustomerRecord:
    return CustomerRecord.model_validate({"source_record_id": "1", "name": "Ann Lee", **fields})


SPELLINGS = {
    "1980-12-25": "1980-12-25",
    "19801225": "1980-12-25",  # not a Unix timestamp
    "25/12/1980": "1980-12-25",
    "5/1/1980": "1980-01-05",  # day first
    "25.12.1980": "1980-12-25",
    "1980/12/25": "1980-12-25",
    "12/25/1980": "1980-12-25",  # month first: the only reading that is a date
}


def test_common_birth_date_spellings_are_read() -> None:
    read = {raw: _customer(birth_date=raw).birth_date for raw in SPELLINGS}
    assert {raw: d.isoformat() if d else None for raw, d in read.items()} == SPELLINGS


def test_a_day_month_that_reads_both_ways_is_read_day_first_flagged_and_kept() -> None:
    rec = _customer(birth_date="06/05/1980")
    assert rec.birth_date == date(1980, 5, 6)
    assert rec.birth_date_raw == "06/05/1980"
    assert "ambiguous_birth_date" in profile("s:1", rec.model_dump(mode="json"), TODAY).flags
    same = _customer(birth_date="07/07/1980")  # both readings the same date: not ambiguous
    assert same.birth_date == date(1980, 7, 7)
    assert same.birth_date_raw is None


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("1955-11-92", "invalid_birth_date"),
        ("1980-13-01", "invalid_birth_date"),
        ("1980-02-30", "invalid_birth_date"),
        ("31/02/1980", "invalid_birth_date"),
        ("1850-01-01", "invalid_birth_date"),
        ("around 1980", "invalid_birth_date"),
        ("2999-01-01", "future_birth_date"),
    ],
)
def test_an_impossible_or_future_birth_date_is_kept_as_text_and_flagged(
    raw: str, flag: str
) -> None:
    rec = _customer(birth_date=raw)
    assert rec.birth_date is None
    assert rec.birth_date_raw == raw
    p = profile("s:1", rec.model_dump(mode="json"), TODAY)
    assert p.birth_date is None  # matching treats it as missing
    assert flag in p.flags


def test_a_file_of_odd_birth_dates_loads_every_record_and_quality_counts_them(
    store: GraphStore, tmp_path: Path
) -> None:
    path = tmp_path / "crm.customers.csv"
    path.write_text(
        "source_record_id,name,birth_date\n"
        "1,Ann Lee,25/12/1980\n"
        "2,Bob Stone,19751231\n"
        "3,Cy Twain,1955-11-92\n"
        "4,Dee Vance,30/02/1990\n"
        "5,Eve Moss,2999-01-01\n"
        "6,Fay Wong,6/5/1980\n",
        encoding="utf-8",
    )
    summary = load_file(store, "customers", path, "crm", rejects_path=tmp_path / "rej.jsonl")
    assert (summary.read, summary.loaded, summary.rejected) == (6, 6, 0)
    flagged = quality_report(store, TODAY)["systems"]["crm"]["flagged"]
    assert flagged == {
        "ambiguous_birth_date": 1,
        "future_birth_date": 1,
        "invalid_birth_date": 2,
    }
    held = store.get_nodes("SourceRecord", ["crm:2", "crm:3"])
    assert held["crm:2"].props["birth_date"] == "1975-12-31"
    assert held["crm:3"].props.get("birth_date") is None
    assert held["crm:3"].props["birth_date_raw"] == "1955-11-92"


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "ann@example.com"},
        {"phone": "+61 2 9999 0000"},
        {"national_id": "123456789"},
        {"birth_date": "1980-12-25", "address": "5 Elm Street"},
    ],
)
def test_a_record_without_a_name_loads_on_another_identifier(fields: dict[str, str]) -> None:
    rec = CustomerRecord.model_validate({"source_record_id": "1", **fields})
    p = profile("s:1", rec.model_dump(mode="json"), TODAY)
    assert p.name is None
    assert "missing_name" in p.flags


@pytest.mark.parametrize(
    "fields",
    [{}, {"address": "5 Elm Street"}, {"birth_date": "1980-12-25"}, {"city": "Sydney"}],
)
def test_a_record_with_nothing_to_know_the_person_by_is_rejected(fields: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="needs a name"):
        CustomerRecord.model_validate({"source_record_id": "1", **fields})


def test_a_nameless_record_in_a_file_loads_and_keeps_no_empty_name(
    store: GraphStore, tmp_path: Path
) -> None:
    path = tmp_path / "crm.customers.csv"
    path.write_text(
        "source_record_id,name,email\n1,,ann@example.com\n2,Ann Lee,ann@example.com\n",
        encoding="utf-8",
    )
    summary = load_file(store, "customers", path, "crm")
    assert (summary.loaded, summary.rejected) == (2, 0)
    assert store.get_nodes("SourceRecord", ["crm:1"])["crm:1"].props.get("name") in (None, "")
    customer = store.get_nodes("Customer", [str(summary_owner(store, "crm:1"))])
    assert all(not p.props.get("name") for p in customer.values())
    resolve_store(store, TODAY)  # a record without a name is matched on the rest


def test_repeated_digit_postcodes_are_valid_junk_is_flagged() -> None:
    valid = ["2222", "3333", "0800", "SW1A 1AA", "10001"]
    junk = ["0000", "00000", "XXXX", "#12", "1"]
    assert {c: normalize_postal(c).flag for c in valid} == dict.fromkeys(valid)
    assert {c: normalize_postal(c).flag for c in junk} == dict.fromkeys(junk, "invalid_postal_code")


def test_address_line2_and_state_are_kept_on_records_and_customers(
    store: GraphStore, tmp_path: Path
) -> None:
    path = tmp_path / "crm.customers.csv"
    path.write_text(
        "source_record_id,name,email,address,address_line2,city,state,postal_code,country\n"
        "1,Ann Lee,ann@example.com,5 Elm Street,Unit 4,Bondi,NSW,2026,AU\n",
        encoding="utf-8",
    )
    web = tmp_path / "web.customers.csv"
    web.write_text(
        "source_record_id,name,email,region\n1,Ann Lee,ann@example.com,New South Wales\n",
        encoding="utf-8",
    )
    summary = load_file(store, "customers", path, "crm")
    assert summary.ignored_fields == set()
    assert load_file(store, "customers", web, "web").ignored_fields == set()
    held = store.get_nodes("SourceRecord", ["crm:1", "web:1"])
    assert held["crm:1"].props["address_line2"] == "Unit 4"
    assert held["crm:1"].props["region"] == "NSW"
    assert held["web:1"].props["region"] == "New South Wales"
    resolve_store(store, TODAY)
    (owner,) = {o for _, o in source_records(store)}
    assert owner is not None
    golden = store.get_nodes("Customer", [owner])[owner].props
    assert golden["address_line2"] == "Unit 4"
    assert golden["region"] in ("NSW", "New South Wales")


def test_the_second_address_line_comes_with_the_address_it_belongs_to() -> None:
    records = [
        Node("SourceRecord", "crm:1", {"source_system": "crm", "address": "2 Ash Court"}),
        Node("SourceRecord", "web:1", {"source_system": "webshop", "address": "5 Elm Street",
             "address_line2": "Unit 4"}),
    ]  # fmt: skip
    golden = survivor_attributes(records)
    assert golden["address"] == "2 Ash Court"
    assert golden["address_line2"] is None  # not Unit 4 of another house


def test_truth_records_never_loaded_still_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"source_system": "crm", "source_record_id": "1", "person_id": "P1"},
        {"source_system": "crm", "source_record_id": "2", "person_id": "P1"},
        {"source_system": "crm", "source_record_id": "9", "person_id": "P1"},  # never loaded
    ]
    assert truth_clusters(rows) == [["crm:1", "crm:2", "crm:9"]]
    assert truth_clusters(rows, {"crm:1", "crm:2"}) == [["crm:1", "crm:2"]]  # loaded only

    path = tmp_path / "crm.customers.csv"
    path.write_text(
        "source_record_id,name,email,gender\n"
        "1,Ann Lee,ann@example.com,\n"
        "2,Ann Lee,ann@example.com,\n"
        "3,Ann Lee,ann@example.com,robot\n",  # rejected at load
        encoding="utf-8",
    )
    truth = tmp_path / "truth.csv"
    truth.write_text(
        "source_system,source_record_id,person_id\ncrm,1,P1\ncrm,2,P1\ncrm,3,P1\n",
        encoding="utf-8",
    )
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    assert main(["--graph", graph, "load", "customers", str(path), "--source", "crm"]) == 0
    capsys.readouterr()
    assert main(["--graph", graph, "resolve", "--evaluate", str(truth)]) == 0
    out = capsys.readouterr().out
    assert "recall 0.3333" in out  # 1 of 3 true pairs: the rejected record's two are missed
    assert "1 of 3 truth records not in the store" in out
