"""Files that are damaged or in another encoding (issue 17): a load never writes garbage
and refuses what it cannot read whole, in one line, guessing the encoding where it can."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path

import pytest

from api.cli.main import main
from graph.embedded import EmbeddedStore
from loaders.pipeline import load_file
from loaders.sources import SourceFileError
from tests.support.loader_files import (
    CUSTOMERS_HEADER,
    customer_props,
    source_props,
)

# ------------------------------------------------------------- 2. damaged gzip files


def _customers_csv(count: int) -> bytes:
    rows = "".join(
        f"{i},Person {i},p{i}@example.com,+47900{i:05d},{1000 + i % 90}\n" for i in range(count)
    )
    return (CUSTOMERS_HEADER + rows).encode()


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
    names = [source_props(kb, f"crm:{i}")["name"] for i, _, _ in GBK_ROWS]
    assert names == [n for _, n, _ in GBK_ROWS]
    assert customer_props(kb, "crm", "3")["name"] == "郑伟"


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
    assert source_props(kb, "crm:3")["name"] == "郑伟"


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
    assert source_props(kb, "crm:1")["name"] == "Zoë Ünal"
    assert source_props(kb, "crm:2")["name"] == "王芳"


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
        assert source_props(store, "web:3")["name"] == "郑伟"


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
    assert (summary.loaded, source_props(kb, "crm:2")["name"]) == (3, "Renée Dupont")


def test_load_dir_skips_a_file_whose_system_name_is_not_valid(tmp_path: Path) -> None:
    from loaders.directory import plan_directory

    (tmp_path / "Billing.customers.csv").write_text("source_record_id,name\nB1,Ann\n")
    (tmp_path / "billing.customers.csv").write_text("source_record_id,name\nB1,Ann\n")
    plan = plan_directory(tmp_path, None)
    assert [p.path.name for p in plan.loads] == ["billing.customers.csv"]
    [(skipped, why)] = plan.skipped
    assert skipped.name == "Billing.customers.csv"
    assert "is not a valid name" in why
