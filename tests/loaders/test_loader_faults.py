"""Files that are damaged, in another encoding, with unexpected headers, or with nothing in
them (issue 17): a load never writes garbage, never loses data it was not given, and
every rejected line is in the rejects file."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator
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

HEADER = "source_record_id,name,email,phone,postal_code\n"


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        yield store


@pytest.fixture(params=["0", "1"], ids=["one-process", "parallel"])
def parallel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CKB_LOAD_PARALLEL", request.param)
    monkeypatch.setenv("CKB_LOAD_READERS", "1")
    return str(request.param)


def _rejects(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _source(store: EmbeddedStore, key: str) -> dict[str, object]:
    node = store.get_node("SourceRecord", key)
    assert node is not None, key
    return dict(node.props)


def _customer(store: EmbeddedStore, system: str, record_id: str) -> dict[str, object]:
    node = store.get_node("Customer", singleton_customer_id(system, record_id))
    assert node is not None
    return dict(node.props)


# ------------------------------------------------------------- 2. damaged gzip files


def _customers_csv(count: int) -> bytes:
    rows = "".join(
        f"{i},Person {i},p{i}@example.com,+47900{i:05d},{1000 + i % 90}\n" for i in range(count)
    )
    return (HEADER + rows).encode()


def _flipped_in_the_middle(data: bytes) -> bytes:
    """A .gz whose deflate stream still decodes, to wrong bytes, and fails its CRC only
    at the end: the damage that committed garbage in the trial."""
    bad = bytearray(data)
    middle = len(bad) // 2
    for k in range(4):
        bad[middle + k] ^= 0xFF
    return bytes(bad)


def _streamed_lines(data: bytes, count: list[int]) -> None:
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        for _ in stream:
            count[0] += 1


def test_the_corrupt_gzip_fails_only_at_its_end_when_streamed() -> None:
    damaged = _flipped_in_the_middle(gzip.compress(_customers_csv(3000)))
    lines = [0]
    with pytest.raises(gzip.BadGzipFile, match="CRC check failed"):
        _streamed_lines(damaged, lines)
    assert lines[0] > 1000  # much of the file streamed out before the error


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(_flipped_in_the_middle, id="bytes-flipped"),
        pytest.param(lambda data: data[: len(data) * 2 // 3], id="truncated"),
        pytest.param(lambda data: data[:30] + b"\x00" * 20 + data[50:], id="bad-deflate"),
    ],
)
def test_a_damaged_gzip_is_refused_before_anything_loads(
    tmp_path: Path, kb: EmbeddedStore, parallel: str, damage: object
) -> None:
    path = tmp_path / "crm.customers.csv.gz"
    path.write_bytes(damage(gzip.compress(_customers_csv(3000))))  # type: ignore[operator]
    rejects = tmp_path / "r.jsonl"
    with pytest.raises(SourceFileError) as caught:
        load_file(kb, "customers", path, "crm", rejects_path=rejects, batch_size=100)
    # Nothing committed, no garbled line rejected: the file was refused whole.
    assert kb.counts().nodes.get("SourceRecord", 0) == 0
    assert not rejects.exists()
    assert "nothing from it was loaded" in str(caught.value)


def test_the_cli_says_in_one_line_that_a_damaged_gzip_loaded_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.csv.gz"
    path.write_bytes(_flipped_in_the_middle(gzip.compress(_customers_csv(3000))))
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    code = main(["--graph", graph, "load", "customers", str(path), "--source", "crm"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("ckb: error: ")
    assert err.count("\n") == 1
    assert "CRC" in err
    assert "nothing from it was loaded" in err
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        assert store.counts().nodes.get("SourceRecord", 0) == 0


# ------------------------------------------------------------------- 3. encodings

GBK_ROWS = [
    ("1", "王芳", "Beijing"),
    ("2", "李娜", "Shanghai"),
    ("3", "郑伟", "Guangzhou"),  # its GBK bytes happen to be valid UTF-8: '֣ΰ'
    ("4", "张伟", "Shenzhen"),
    ("5", "刘洋", "Hangzhou"),
]


def _gbk_customers(path: Path) -> Path:
    text = "source_record_id,name,city\n" + "".join(f"{i},{n},{c}\r\n" for i, n, c in GBK_ROWS)
    path.write_bytes(text.encode("gbk"))
    return path


def test_gbk_bytes_that_pass_as_utf8_are_the_case_the_trial_hit() -> None:
    assert "郑伟".encode("gbk").decode("utf-8") == "֣ΰ"


def test_an_undeclared_gbk_file_is_refused_whole_with_a_guess(
    tmp_path: Path, kb: EmbeddedStore
) -> None:
    path = _gbk_customers(tmp_path / "crm.customers.csv")
    rejects = tmp_path / "r.jsonl"
    with pytest.raises(SourceFileError, match=r"not UTF-8.*--encoding gb18030") as caught:
        load_file(kb, "customers", path, "crm", rejects_path=rejects)
    assert "(4 of 5 lines with non-ASCII text are not)" in str(caught.value)
    assert "looks like GB18030 (its line 2 then reads '1,王芳,Beijing')" in str(caught.value)
    # Not even the line that decodes "validly" loaded.
    assert kb.counts().nodes.get("SourceRecord", 0) == 0
    assert not rejects.exists()


def test_a_declared_encoding_loads_the_text_right(tmp_path: Path, kb: EmbeddedStore) -> None:
    path = _gbk_customers(tmp_path / "crm.customers.csv")
    summary = load_file(
        kb, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl", encoding="gb18030"
    )
    assert (summary.loaded, summary.rejected) == (5, 0)
    names = [_source(kb, f"crm:{i}")["name"] for i, _, _ in GBK_ROWS]
    assert names == [n for _, n, _ in GBK_ROWS]
    assert _customer(kb, "crm", "3")["name"] == "郑伟"


def test_a_declared_encoding_reads_json_lines_in_every_process(
    tmp_path: Path, kb: EmbeddedStore, parallel: str
) -> None:
    path = tmp_path / "crm.customers.jsonl.gz"
    lines = [
        json.dumps({"source_record_id": i, "name": n}, ensure_ascii=False) for i, n, _ in GBK_ROWS
    ]
    path.write_bytes(gzip.compress("\n".join(lines).encode("gb18030")))
    summary = load_file(
        kb, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl", encoding="GBK"
    )
    assert (summary.loaded, summary.rejected) == (5, 0)
    assert _source(kb, "crm:3")["name"] == "郑伟"


def test_an_unknown_encoding_and_a_bom_that_contradicts_it_are_refused(
    tmp_path: Path, kb: EmbeddedStore
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"\xef\xbb\xbfsource_record_id,name\n1,Ann\n")
    with pytest.raises(SourceFileError, match="unknown encoding"):
        load_file(kb, "customers", path, "crm", encoding="klingon")
    with pytest.raises(SourceFileError, match="UTF-8 byte-order mark"):
        load_file(kb, "customers", path, "crm", encoding="gb18030")
    assert kb.counts().nodes.get("SourceRecord", 0) == 0


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        pytest.param("c.csv", lambda t: b"\xef\xbb\xbf" + t.encode(), id="csv-utf8-bom"),
        pytest.param("c.jsonl", lambda t: b"\xef\xbb\xbf" + t.encode(), id="jsonl-utf8-bom"),
        pytest.param("c.csv", lambda t: t.encode("utf-16"), id="csv-utf16-native-bom"),
        pytest.param("c.csv", lambda t: b"\xff\xfe" + t.encode("utf-16-le"), id="csv-utf16le-bom"),
        pytest.param(
            "c.jsonl.gz",
            lambda t: gzip.compress(b"\xfe\xff" + t.encode("utf-16-be")),
            id="jsonl-gz-utf16be-bom",
        ),
    ],
)
def test_a_byte_order_mark_says_the_encoding_and_the_first_record_loads(
    tmp_path: Path, kb: EmbeddedStore, name: str, encode: object
) -> None:
    if ".csv" in name:
        text = "source_record_id,name\n1,Zoë Ünal\n2,王芳\n"
    else:
        text = '{"source_record_id": "1", "name": "Zoë Ünal"}\n{"source_record_id": "2", "name": "王芳"}\n'
    path = tmp_path / name
    path.write_bytes(encode(text))  # type: ignore[operator]
    summary = load_file(kb, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl")
    assert (summary.read, summary.loaded, summary.rejected) == (2, 2, 0)
    assert _source(kb, "crm:1")["name"] == "Zoë Ünal"
    assert _source(kb, "crm:2")["name"] == "王芳"


def test_the_cli_takes_the_encoding_for_load_and_load_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    path = _gbk_customers(tmp_path / "c.csv")
    refused = main(["--graph", graph, "load", "customers", str(path), "--source", "crm"])
    err = capsys.readouterr().err
    assert refused == 1
    assert err.count("\n") == 1
    assert "rerun with --encoding gb18030" in err
    flags = ["--source", "crm", "--encoding", "gb18030"]
    loaded = main(["--graph", graph, "load", "customers", str(path), *flags])
    assert loaded == 0
    assert "loaded 5, rejected 0" in capsys.readouterr().out
    folder = tmp_path / "in"
    folder.mkdir()
    _gbk_customers(folder / "web.customers.csv")
    code = main(["--graph", graph, "load-dir", str(folder), "--encoding", "gb18030"])
    assert code == 0
    assert "loaded 5, rejected 0" in capsys.readouterr().out
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        assert _source(store, "web:3")["name"] == "郑伟"


# ----------------------------------------------------- 4. headers, absent and empty


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


FULL = (
    HEADER
    + "1,Ann Lee,ann@example.com,+4790000001,0150\n2,Bob Stone,bob@example.com,+4790000002,0151\n"
)


def _whole_match_keys(props: dict[str, object], key: str) -> str:
    return " ".join(match_terms(profile(key, props, datetime.now(UTC).date())))


def test_headers_match_whatever_their_case_and_spacing(tmp_path: Path, kb: EmbeddedStore) -> None:
    load_file(kb, "customers", _write(tmp_path / "c.csv", FULL), "crm")
    changed = _write(
        tmp_path / "c2.csv",
        "Source Record ID, Name ,EMAIL, Phone ,postal code\n"
        "1,Ann Lee,ann@new.example,+4790000009,0160\n",
    )
    summary = load_file(kb, "customers", changed, "crm", rejects_path=tmp_path / "r.jsonl")
    assert (summary.loaded, summary.rejected, summary.ignored_fields) == (1, 0, set())
    ann = _source(kb, "crm:1")
    assert (ann["email"], ann["phone"], ann["postal_code"]) == (
        "ann@new.example",
        "+4790000009",
        "0160",
    )
    assert _customer(kb, "crm", "1")["email"] == "ann@new.example"


def test_two_columns_naming_one_field_are_refused(tmp_path: Path, kb: EmbeddedStore) -> None:
    path = _write(tmp_path / "c.csv", "source_record_id,name,email,EMAIL\n1,Ann,a@x.io,b@x.io\n")
    with pytest.raises(SourceFileError, match="repeated column names"):
        load_file(kb, "customers", path, "crm")
    jsonl = _write(
        tmp_path / "c.jsonl",
        '{"source_record_id": "1", "name": "Ann", "email": "a@x.io", "Email": "b@x.io"}\n',
    )
    summary = load_file(kb, "customers", jsonl, "crm", rejects_path=tmp_path / "r.jsonl")
    assert (summary.loaded, summary.rejected) == (0, 1)
    assert _rejects(tmp_path / "r.jsonl")[0]["reasons"] == ["'email' and 'Email' both give email"]


def test_a_missing_column_leaves_the_field_and_an_empty_cell_clears_it(
    tmp_path: Path, kb: EmbeddedStore
) -> None:
    load_file(kb, "customers", _write(tmp_path / "c.csv", FULL), "crm")
    # Unknown headers (a typo) and no phone column: nothing is wiped.
    narrow = _write(
        tmp_path / "c2.csv",
        "source_record_id,name,e_mail_address\n1,Ann Lee-Park,x\n2,Bob Stone,y\n",
    )
    summary = load_file(kb, "customers", narrow, "crm", rejects_path=tmp_path / "r.jsonl")
    assert summary.ignored_fields == {"e_mail_address"}
    for key, email, phone in (
        ("1", "ann@example.com", "+4790000001"),
        ("2", "bob@example.com", "+4790000002"),
    ):
        source, customer = _source(kb, f"crm:{key}"), _customer(kb, "crm", key)
        assert (source["email"], source["phone"], source["postal_code"]) == (
            email,
            phone,
            f"015{int(key) - 1}",
        )
        assert (customer["email"], customer["phone"]) == (email, phone)
        # Match keys come from the whole record: what it held, updated by what it gave.
        assert source["match_keys"] == _whole_match_keys(source, f"crm:{key}")
    assert _source(kb, "crm:1")["name"] == "Ann Lee-Park"
    # An empty cell is a value: nothing, and it clears the field.
    cleared = _write(tmp_path / "c3.csv", "source_record_id,name,email\n2,Bob Stone,\n")
    load_file(kb, "customers", cleared, "crm", rejects_path=tmp_path / "r.jsonl")
    bob = _source(kb, "crm:2")
    assert "email" not in bob
    assert bob["phone"] == "+4790000002"
    assert "email" not in _customer(kb, "crm", "2")
    assert bob["match_keys"] == _whole_match_keys(bob, "crm:2")


def test_a_missing_json_key_leaves_the_field_and_null_clears_it(
    tmp_path: Path, kb: EmbeddedStore
) -> None:
    load_file(kb, "customers", _write(tmp_path / "c.csv", FULL), "crm")
    lines = [
        {"source_record_id": "1", "name": "Ann Lee"},
        {"source_record_id": "2", "name": "Bob Stone", "email": None, "Phone": ""},
    ]
    path = _write(tmp_path / "c.jsonl", "\n".join(json.dumps(r) for r in lines) + "\n")
    load_file(kb, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl")
    ann, bob = _source(kb, "crm:1"), _source(kb, "crm:2")
    assert (ann["email"], ann["phone"]) == ("ann@example.com", "+4790000001")
    assert "email" not in bob
    assert "phone" not in bob
    assert bob["postal_code"] == "0151"


def test_a_missing_column_leaves_relationship_and_other_kinds_fields(
    tmp_path: Path, kb: EmbeddedStore
) -> None:
    load_file(
        kb,
        "households",
        _write(
            tmp_path / "h.csv", "household_id,name,address,postal_code\nH1,Lees,1 Main St,0150\n"
        ),
        "crm",
    )
    load_file(kb, "customers", _write(tmp_path / "c.csv", FULL), "crm")
    members = "household_id,customer_id,role,age_band,since\nH1,1,head,35-44,2020-01-01\n"
    load_file(kb, "household_members", _write(tmp_path / "m.csv", members), "crm")
    load_file(
        kb, "households", _write(tmp_path / "h2.csv", "household_id,name\nH1,The Lees\n"), "crm"
    )
    load_file(
        kb,
        "household_members",
        _write(tmp_path / "m2.csv", "household_id,customer_id,role\nH1,1,head\n"),
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
    path = _write(
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
    found = _rejects(rejects)
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
    found = _rejects(rejects)
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
        pytest.param(HEADER.encode(), "only a header", id="header-only"),
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
    path = _write(tmp_path / "c.jsonl", "\n\n")
    summary = load_file(kb, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl")
    assert summary.empty == "empty"
    assert summary.as_dict()["empty"] == "empty"


def test_zlib_errors_are_source_file_errors_not_tracebacks(tmp_path: Path) -> None:
    from loaders.sources import read_records

    path = tmp_path / "c.csv.gz"
    data = gzip.compress(_customers_csv(50))
    path.write_bytes(data[:30] + b"\x00" * 20 + data[50:])
    with pytest.raises(zlib.error):
        gzip.decompress(path.read_bytes())
    with pytest.raises(SourceFileError, match="unreadable"):
        list(read_records(path))


@pytest.mark.parametrize(
    ("rows", "encoding"),
    [
        pytest.param(["1,王小明,台北市", "2,陳美玲,高雄市", "3,林志強,台中市"], "big5", id="big5"),
        pytest.param(["1,山田太郎,東京都", "2,佐藤花子,大阪府"] * 5, "cp932", id="shift-jis"),
        pytest.param(["1,김민수,서울", "2,이영희,부산"] * 10, "cp949", id="euc-kr"),
        pytest.param(["1,Иванов Иван,Москва", "2,Петрова Анна,Пермь"] * 10, "cp1251", id="cp1251"),
    ],
)
def test_the_guess_tells_other_cjk_and_cyrillic_encodings_from_gb18030(
    rows: list[str], encoding: str
) -> None:
    from loaders.file_check import guess_encoding

    assert guess_encoding([r.encode(encoding) for r in rows]) == encoding


def test_a_file_whose_only_non_ascii_line_is_latin1_is_not_utf8(
    tmp_path: Path, kb: EmbeddedStore
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"source_record_id,name\n1,Ann\n2,Ren\xe9e Dupont\n3,Bob\n")
    with pytest.raises(SourceFileError, match=r"not UTF-8 \(1 of 1 lines"):
        load_file(kb, "customers", path, "crm")
    assert kb.counts().nodes.get("SourceRecord", 0) == 0
    summary = load_file(
        kb, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl", encoding="latin-1"
    )
    assert (summary.loaded, _source(kb, "crm:2")["name"]) == (3, "Renée Dupont")


def test_load_dir_skips_a_file_whose_system_name_is_not_valid(tmp_path: Path) -> None:
    from loaders.directory import plan_directory

    (tmp_path / "Billing.customers.csv").write_text("source_record_id,name\nB1,Ann\n")
    (tmp_path / "billing.customers.csv").write_text("source_record_id,name\nB1,Ann\n")
    plan = plan_directory(tmp_path, None)
    assert [p.path.name for p in plan.loads] == ["billing.customers.csv"]
    [(skipped, why)] = plan.skipped
    assert skipped.name == "Billing.customers.csv"
    assert "is not a valid name" in why
