"""Issue 17's fault injection, fuzzing part: files of every record kind and format, pushed
batches and EPCIS documents, valid and then mutated every way tests/support/fuzz*.py know
(wrong types, missing fields, 1 MiB fields, control characters, NUL and invalid UTF-8
bytes, latin-1, GB18030 and UTF-16 with and without a byte-order mark, CRLF / CR / mixed
line ends, stray and unbalanced quotes, extra and missing columns, duplicate headers,
damaged gzip, trailing garbage, deep nesting, numbers out of range, odd dates).

The properties: a file is refused whole with one line saying why (``SourceFileError``,
nothing written, no rejects file) or read line by line, every record it holds either
loaded or in the rejects file with its line and a reason, and loading it again changes
nothing; the CLI never shows a traceback; a pushed batch is never answered 500 and its
answer lists every non-blank line once; every EPCIS event read is captured or rejected
with a reason, by file and over HTTP alike, and capturing again changes nothing.

Each property runs a hundred or so examples (the file takes 20-35 s on a shared 2-core
machine); ``CKB_FUZZ_EXAMPLES=5000`` runs that many of each (a fiftieth of that through the
CLI, a tenth in parallel loads). The explicit examples are what the fuzzer found.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from hypothesis import example, given

from api.auth import AuthSettings
from api.http.app import create_app
from api.http.ingest import IngestSettings
from epcis.capture import capture
from epcis.documents import read_documents
from graph.embedded import EmbeddedStore
from loaders.kinds import KINDS
from loaders.pipeline import LoadSummary, load_file
from loaders.rejects import RejectsFile
from loaders.sources import SourceFileError, read_csv
from tests.support import fuzz, fuzz_epcis, fuzz_files, fuzz_oracles
from tests.support.commands import run_ckb
from tests.support.fuzz import SYSTEM, examples
from tests.support.fuzz_epcis import EpcisInput
from tests.support.fuzz_files import FuzzFile
from tests.support.serve import LiveServer
from tests.support.store_file import dump

KEY = "fuzz-loader-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
# Two load times: a reload that writes anything at all shows in loaded_at.
FIRST, SECOND = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding the referents fuzzed records name (copied for each example)."""
    folder = tmp_path_factory.mktemp("seed")
    path = folder / "seed.sqlite"
    with EmbeddedStore(path) as store:
        store.apply_schema()
        fuzz.seed(store, folder / "files")
    return path


@pytest.fixture
def scratch(template: Path) -> Callable[[], tempfile.TemporaryDirectory[str]]:
    """Per example: a folder with a fresh copy of the seeded store."""

    def fresh() -> tempfile.TemporaryDirectory[str]:
        folder = tempfile.TemporaryDirectory(prefix="fuzz-")
        shutil.copy(template, Path(folder.name) / "kb.sqlite")
        return folder

    return fresh


@pytest.fixture(scope="module")
def server(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("server")
    path = folder / "kb.sqlite"
    shutil.copy(template, path)
    settings = IngestSettings(max_bytes=16 * 2**20, rejects_dir=folder / "rejects")
    auth = AuthSettings.from_env({"CKB_API_KEYS": f"fuzzer:loader:{KEY}"})
    with LiveServer(create_app(lambda: EmbeddedStore(path), settings, auth)) as live:
        yield live


def _entries(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    text = path.read_text("utf-8")  # U+0085 or U+2028 may stand in a line: split at LF
    return [json.loads(line) for line in text.split("\n") if line]


def test_the_fuzzer_has_values_for_every_field_of_every_kind() -> None:
    for kind in KINDS:
        required, optional = fuzz.fields(kind)
        for name in [*required, *optional]:
            fuzz.value_for(kind, name, 0)  # KeyError names a field the fuzzer misses


# --------------------------------------------------------------------- record files


def _refused(exc: SourceFileError, f: FuzzFile, before: list[Any], db: Path, rejects: Path) -> None:
    message = str(exc)
    assert message.strip(), "a refusal must say why"
    assert "\n" not in message, f"a refusal is one line: {message!r}"
    assert dump(db) == before, "a refused file wrote to the store"
    assert not rejects.exists(), "a refused file left rejects"
    assert not f.clean, f"a file ckb must take was refused: {message}"


def _accepted(f: FuzzFile, summary: Any, plain: bytes | None, rejects: Path) -> None:
    assert plain is not None, "a damaged gzip file was loaded, not refused"
    assert summary.read == summary.loaded + summary.rejected, summary
    entries = _entries(rejects)
    assert len(entries) == summary.rejected, "every rejected record is in the rejects file"
    lines = [e["line"] for e in entries]
    assert lines == sorted(set(lines)), f"rejects out of line order or repeated: {lines}"
    last = fuzz_oracles.line_count(plain)
    for entry in entries:
        assert isinstance(entry["line"], int), entry
        assert 1 <= entry["line"] <= last, (entry["line"], last)
        assert entry["reasons"], entry
        assert all(isinstance(r, str) and r.strip() for r in entry["reasons"]), entry
        assert "record" in entry
        assert entry["kind"] == f.kind
    if f.fmt == "jsonl":
        content = fuzz_oracles.jsonl_content_lines(plain, f.encoding)
        assert content is not None, "a file not in its encoding was read"
        assert summary.read == len(content), (summary.read, sorted(content))
        assert set(lines) <= content, "a blank line was rejected"
    elif f.rows is not None:
        assert summary.read == f.rows, "a CSV record was lost or made up"


def _load(db: Path, f: FuzzFile, path: Path, rejects: Path, now: str) -> LoadSummary:
    with EmbeddedStore(db) as store, fuzz.production_stack():
        return load_file(
            store, f.kind, path, SYSTEM, rejects_path=rejects, encoding=f.encoding, now=now
        )


# Found by the fuzzer (each was a traceback from load_file and the CLI, a 500 from push
# ingest): a rejected record nested deeper than orjson writes (255 levels) ...
DEEP_NAME = FuzzFile(
    "customers",
    "crm.customers.jsonl",
    b'{"source_record_id": "S1", "name": ' + b"[" * 300 + b"]" * 300 + b"}\n",
    None,
    ("deep:name",),
    None,
    True,
)
# ... or 1,000 deep, whose repr in the reason raised RecursionError (in production only:
# hypothesis raises the recursion limit; a parallel load's reading process showed it) ...
DEEPER_ID = FuzzFile(
    "agents",
    "crm.agents.jsonl",
    b'{"agent_id": ' + b"[" * 1000 + b"]" * 1000 + b', "name": "x"}\n',
    None,
    ("deep:agent_id",),
    None,
    True,
)
# ... a store_id written as an SGLN URN whose parts are not digits (epcis/epc.py) ...
BAD_STORE = FuzzFile(
    "purchases",
    "crm.purchases.csv",
    b"purchase_id,customer_id,purchased_at,product_id,amount,store_id\n"
    b"PU1,C1,2024-01-01T00:00:00Z,P1,5,urn:epc:id:sgln:06141x41.00101.0\n",
    None,
    ("control:store_id",),
    1,
    True,
)
# ... (not a traceback: every record was rejected, the blank line read as the header) ...
BLANK_BEFORE_HEADER = FuzzFile(
    "agents", "crm.agents.csv", b"\nagent_id,name\nA7,Ann\n", None, ("blank@1",), 1, True
)
# ... and --encoding utf-16 for a file without a byte-order mark (UnicodeError).
UTF16_UNMARKED = FuzzFile(
    "agents",
    "crm.agents.csv",
    "agent_id,name\nA7,Ann\n".encode("utf-16-le"),
    "utf-16",
    ("encoding:utf-16-le/utf-16/b''",),
    None,
    False,
)


@examples(300)
@given(f=fuzz_files.record_files())
@example(f=DEEP_NAME)
@example(f=DEEPER_ID)
@example(f=BAD_STORE)
@example(f=BLANK_BEFORE_HEADER)
@example(f=UTF16_UNMARKED)
def test_a_file_is_refused_whole_or_every_record_is_loaded_or_rejected(
    scratch: Any, f: FuzzFile
) -> None:
    with scratch() as tmp:
        folder = Path(tmp)
        db, path, rejects = folder / "kb.sqlite", folder / f.name, folder / "rejects.jsonl"
        path.write_bytes(f.data)
        before = dump(db)
        plain = fuzz_oracles.decompressed(f.name, f.data)
        try:
            summary = _load(db, f, path, rejects, FIRST)
        except SourceFileError as exc:
            _refused(exc, f, before, db, rejects)
            return
        _accepted(f, summary, plain, rejects)
        loaded, kept = dump(db), rejects.read_bytes() if rejects.exists() else None
        again = _load(db, f, path, rejects, SECOND)
        assert (again.read, again.loaded, again.rejected) == (
            summary.read,
            summary.loaded,
            summary.rejected,
        )
        assert dump(db) == loaded, "loading the same file again changed the store"
        assert (rejects.read_bytes() if rejects.exists() else None) == kept


@examples(16, share=0.1)
@given(f=fuzz_files.record_files())
@example(f=DEEPER_ID)
def test_a_parallel_load_loads_and_rejects_what_one_process_does(scratch: Any, f: FuzzFile) -> None:
    outcomes: list[Any] = []
    for parallel in ("0", "1"):
        env = {"CKB_LOAD_PARALLEL": parallel, "CKB_LOAD_READERS": "1"}
        with scratch() as tmp, mock.patch.dict(os.environ, env):
            folder = Path(tmp)
            db, path, rejects = folder / "kb.sqlite", folder / f.name, folder / "rejects.jsonl"
            path.write_bytes(f.data)
            try:
                summary = _load(db, f, path, rejects, FIRST)
            except SourceFileError as exc:
                outcomes.append(str(exc).replace(tmp, "FOLDER"))
                continue
            # In a parallel load, records rejected for an unknown referent come last.
            entries = sorted(
                ({**e, "source_file": None} for e in _entries(rejects)), key=lambda e: e["line"]
            )
            counts = (summary.read, summary.loaded, summary.rejected)
            outcomes.append((counts, entries, dump(db)))
    assert outcomes[0] == outcomes[1]


def test_a_file_led_by_a_blank_line_reads_its_header_from_the_next() -> None:
    """Found by the fuzzer: the blank line was taken for an empty header and every record
    was rejected ("row has 2 fields, the header has 0")."""
    records = list(read_csv(io.BytesIO(b"\n \nagent_id,name\nA7,Ann\n")))
    assert [(r.line, r.data) for r in records] == [(4, {"agent_id": "A7", "name": "Ann"})]


@examples(3, share=0.02)
@given(f=fuzz_files.record_files())
@example(f=DEEPER_ID)
@example(f=UTF16_UNMARKED)
def test_the_cli_loads_a_file_or_says_in_one_line_why_not(scratch: Any, f: FuzzFile) -> None:
    with scratch() as tmp:
        folder = Path(tmp)
        path = folder / f.name
        path.write_bytes(f.data)
        flags = ["--encoding", f.encoding] if f.encoding else []
        done = run_ckb(
            "--graph", f"embedded:{folder / 'kb.sqlite'}", "load", f.kind, str(path),
            "--source", SYSTEM, "--rejects", str(folder / "r.jsonl"), *flags,
            env={"CKB_LOAD_PARALLEL": "0"},
        )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode in (0, 1), done.stderr[-3000:]
    if done.returncode == 1:
        assert done.stderr.startswith("ckb: error: "), done.stderr[-3000:]
        assert done.stderr.count("\n") == 1, done.stderr[-3000:]


# ---------------------------------------------------------------------- push ingest


@examples(120)
@given(pushed=fuzz_files.push_bodies())
@example(pushed=("customers", DEEP_NAME.data))
@example(pushed=("agents", DEEPER_ID.data))
def test_a_pushed_batch_is_answered_line_by_line_and_never_with_a_500(
    server: LiveServer, pushed: tuple[str, bytes]
) -> None:
    kind, body = pushed
    with fuzz.production_stack(limit=1000):
        answer = httpx.post(
            f"{server.url}/ingest/{kind}?source={SYSTEM}", content=body, headers=AUTH, timeout=120
        )
    if not body.strip():
        assert answer.status_code == 400, answer.text[:500]
        return
    assert answer.status_code == 200, answer.text[:2000]
    got = answer.json()
    results = got["results"]
    assert [r["line"] for r in results] == fuzz_oracles.push_content_lines(body)
    assert got["received"] == got["accepted"] + got["rejected"] == len(results)
    assert "warning" not in got, "identity resolution on arrival failed"
    assert got["rejected"] == sum(r["status"] == "rejected" for r in results)
    for r in results:
        assert r["status"] in ("accepted", "rejected"), r
        if r["status"] == "rejected":
            assert r["reasons"], r
            assert all(isinstance(x, str) and x.strip() for x in r["reasons"]), r


# ---------------------------------------------------------------------------- EPCIS


def _check_capture(answer: dict[str, Any], e: EpcisInput) -> None:
    """Every event read captured or rejected with reasons, once; refused documents said."""
    results = answer["results"]
    events = [r for r in results if "event" in r]
    refused = [r for r in results if "event" not in r and "masterData" not in r]
    assert answer["events"] == answer["captured"] + answer["rejected"] == len(events), answer
    assert len(refused) == answer["refused"], answer
    assert len({(r["line"], r["event"]) for r in events}) == len(events), "an event answered twice"
    for r in events:
        assert r["status"] in ("captured", "rejected"), r
    for r in results:
        if r["status"] == "rejected":
            assert r["reasons"], r
            assert all(isinstance(x, str) and x.strip() for x in r["reasons"]), r
    if e.per_line is not None:
        refused_lines = {r["line"] for r in refused}
        for line, count in e.per_line.items():
            if line not in refused_lines:
                assert sum(r["line"] == line for r in events) == count, (line, results)
        assert {r["line"] for r in events} <= set(e.per_line), "events on lines that hold none"


def _outcomes(results: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (r["line"], r.get("event"), r.get("masterData"), r["status"], tuple(r.get("reasons", ())))
        for r in results
    ]


# Found by the fuzzer (each a traceback from ckb load epcis, a 500 from /epcis/capture):
# JSON nested too deeply for json.loads (RecursionError), an integer beyond 64 bits (which
# orjson cannot write back), bytes not in UTF-8 in a file, an EPC URN whose parts are not
# digits (in an event, or a master data element's ID), empty EPCs and transaction IDs (an
# empty node key); and a bare CR taken for a line end in a file, not over HTTP.
DEEP_EVENT = EpcisInput(b"[" * 5000 + b"\n", True, ("deep",), None)
BIG_INTEGER = EpcisInput(
    b'{"type": "ObjectEvent", "eventTime": "2024-05-01T10:00:00Z", "eventTimeZoneOffset": '
    b'"+00:00", "action": "OBSERVE", "epcList": [], "ex:n": 123456789012345678901234567890}',
    False,
    ("number:ex:n",),
    {1: 1},
)
NOT_UTF8 = EpcisInput(b'{"type": "ObjectEvent", "ex:name": "Ren\xe9e"}\n', True, ("latin1",), None)
BAD_EPC = EpcisInput(
    b'{"type": "ObjectEvent", "eventTime": "2024-05-01T10:00:00Z", "eventTimeZoneOffset": '
    b'"+00:00", "action": "OBSERVE", "epcList": ["urn:epc:id:sgtin:06141x41.107346.2017"]}\n'
    b'{"type": "EPCISDocument", "epcisHeader": {"epcisMasterData": {"vocabularyList": [{"type": '
    b'"urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [{"id": '
    b'"urn:epc:id:sgln:0614141.x.0"}]}]}}}\n',
    True,
    ("bad_epc",),
    {1: 1, 2: 0},
)
EMPTY_PARENT = EpcisInput(
    b'{"type": "AggregationEvent", "eventTime": "2020-01-01T00:00:00+00:00", "eventTimeZoneOffset": '
    b'"+00:00", "action": "ADD", "parentID": "", "childEPCs": [" "], "bizTransactionList": '
    b'[{"type": "po", "bizTransaction": ""}], "sourceList": [{"type": "owning_party", "source": ""}]}',
    False,
    ("wrong_type:parentID",),
    {1: 1},
)
# One line (LF ends a line, a bare CR does not), which is not one JSON value: refused.
BARE_CR = EpcisInput(b'{"type": "ObjectEvent"}\r{"type": "ObjectEvent"}\n', True, ("cr",), {1: 0})


@examples(100)
@given(e=fuzz_epcis.epcis_inputs())
@example(e=DEEP_EVENT)
@example(e=BIG_INTEGER)
@example(e=NOT_UTF8)
@example(e=BARE_CR)
@example(e=BAD_EPC)
@example(e=EMPTY_PARENT)
def test_every_epcis_event_is_captured_or_rejected_by_file_and_over_http_alike(
    scratch: Any, server: LiveServer, e: EpcisInput
) -> None:
    with scratch() as tmp:
        folder = Path(tmp)
        db = folder / "kb.sqlite"
        path = folder / ("events.jsonl" if e.lines else "events.json")
        path.write_bytes(e.data)
        rejects = RejectsFile(folder / "rejects.jsonl", str(path), "epcis")
        with EmbeddedStore(db) as store, fuzz.production_stack():
            try:
                summary = capture(store, read_documents(path), rejects)
            finally:
                rejects.close()
        by_file = {
            "events": summary.events,
            "captured": summary.captured,
            "rejected": summary.rejected,
            "refused": summary.refused_documents,
            "results": summary.results,
        }
        _check_capture(by_file, e)
        written = summary.rejected + summary.refused_documents + summary.master_data_rejected
        assert len(_entries(folder / "rejects.jsonl")) == written
        captured = dump(db)
        again = RejectsFile(folder / "again.jsonl", str(path), "epcis")
        with EmbeddedStore(db) as store, fuzz.production_stack():
            try:
                capture(store, read_documents(path), again)
            finally:
                again.close()
        assert dump(db) == captured, "capturing the same events again changed the store"

    kind = "application/x-ndjson" if e.lines else "application/json"
    with fuzz.production_stack(limit=1000):
        answer = httpx.post(
            f"{server.url}/epcis/capture",
            content=e.data,
            headers={**AUTH, "content-type": kind},
            timeout=120,
        )
    if not e.data.strip():
        assert answer.status_code == 400, answer.text[:500]
        return
    assert answer.status_code in (202, 400), answer.text[:2000]
    got = answer.json()
    _check_capture({**got, "refused": got["refusedDocuments"]}, e)
    nothing = not got["captured"] and (got["rejected"] or got["refusedDocuments"])
    assert answer.status_code == (400 if nothing else 202), got
    try:
        e.data.decode("utf-8")
    except UnicodeDecodeError:
        return  # over HTTP a byte not in UTF-8 reads as U+FFFD (api/http/capture.py)
    assert _outcomes(got["results"]) == _outcomes(summary.results)


@pytest.mark.parametrize(
    "e",
    [
        pytest.param(DEEP_EVENT, id="deep"),
        pytest.param(BIG_INTEGER, id="big-integer"),
        pytest.param(NOT_UTF8, id="not-utf8"),
        pytest.param(BAD_EPC, id="bad-epc"),
    ],
)
def test_the_cli_captures_an_epcis_file_without_a_traceback(scratch: Any, e: EpcisInput) -> None:
    with scratch() as tmp:
        folder = Path(tmp)
        path = folder / ("events.jsonl" if e.lines else "events.json")
        path.write_bytes(e.data)
        done = run_ckb(
            "--graph", f"embedded:{folder / 'kb.sqlite'}", "load", "epcis", str(path),
            "--rejects", str(folder / "r.jsonl"),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "rejected" in done.stdout or "refused" in done.stdout, done.stdout
