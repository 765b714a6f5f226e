"""Reading source files: CSV rows carry their starting line, bad UTF-8 rejects a row not
the file, JSON lines and gzip, reading given lines only, unknown formats and missing
files, and any CSV the csv module writes reads back."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.sources import SourceFileError, read_csv, read_records


def test_csv_rows_carry_their_starting_line(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('id,note\n1,plain\n2,"two\nlines"\n\n3,after\n4,too,many\n', encoding="utf-8")
    records = list(read_records(path))
    assert [(r.line, r.data, r.error) for r in records] == [
        (2, {"id": "1", "note": "plain"}, None),
        (3, {"id": "2", "note": "two\nlines"}, None),
        (6, {"id": "3", "note": "after"}, None),
        (7, None, "row has 3 fields, the header has 2"),
    ]
    assert records[-1].text == "4,too,many"


def test_bad_utf8_rejects_the_row_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"id,name\n1,ok\n2,caf\xe9\n3,\xe7\x8e\x8b\n")
    records = list(read_records(path))
    assert records[0].data == {"id": "1", "name": "ok"}
    assert (records[1].line, records[1].error) == (3, "not valid UTF-8")
    assert records[2].data == {"id": "3", "name": "王"}


def test_jsonl_and_gzip(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl.gz"
    with gzip.open(path, "wb") as f:
        f.write(b'{"a": 1}\n\n[1, 2]\n{"a": \n{"b": "\xe7\x8e\x8b"}\n')
    records = list(read_records(path))
    assert [(r.line, r.data) for r in records] == [
        (1, {"a": 1}),
        (3, None),
        (4, None),
        (5, {"b": "王"}),
    ]
    assert "JSON object" in (records[1].error or "")
    assert "invalid JSON" in (records[2].error or "")


def test_only_the_records_starting_on_given_lines(tmp_path: Path) -> None:
    csv_path = tmp_path / "x.csv"
    csv_path.write_text('id,note\n1,plain\n2,"two\nlines"\n3,after\n4,too,many\n', "utf-8")
    picked = [(r.line, r.data, r.error) for r in read_records(csv_path, {3, 6, 7})]
    assert picked == [
        (3, {"id": "2", "note": "two\nlines"}, None),
        (6, None, "row has 3 fields, the header has 2"),
    ]  # line 7 is the end of the file: no record starts there
    jsonl_path = tmp_path / "x.jsonl"
    jsonl_path.write_bytes(b'{"a": 1}\n{"a": \n{"b": 2}\n')
    assert [(r.line, r.data) for r in read_records(jsonl_path, {2, 3})] == [
        (2, None),
        (3, {"b": 2}),
    ]


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match="unknown format"):
        list(read_records(tmp_path / "x.xlsx"))
    with pytest.raises(SourceFileError, match="cannot open"):
        list(read_records(tmp_path / "missing.csv"))
    bad = tmp_path / "dup.csv"
    bad.write_text("id,id\n1,2\n")
    with pytest.raises(SourceFileError, match="repeated"):
        list(read_records(bad))


_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_cell, min_size=3, max_size=3), max_size=8))
def test_any_csv_written_by_the_csv_module_reads_back(rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)  # default \r\n terminator: the writer then quotes a lone \r
    writer.writerow(["a", "b", "c"])
    writer.writerows(rows)
    records = list(read_csv(io.BytesIO(buf.getvalue().encode())))
    expected = rows
    got = [[rec.data[k] for k in "abc"] for rec in records if rec.data]  # type: ignore[index]
    assert all(rec.error is None for rec in records)
    assert got == expected
