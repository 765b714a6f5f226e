"""Disk faults (issue 17, item 16): a full disk, a read-only store, a rejects folder that
cannot be written. On the command line each is one line ("ckb: error: ..." on stderr,
exit status 1, saying what and where); over HTTP a 503 with a JSON body; in GraphQL a
precise code (STORE_FULL, STORE_READ_ONLY, STORE_UNAVAILABLE). A read-only store still
answers reading commands.

SQLite's errors are real ones: ``PRAGMA max_page_count`` at the file's size gives a true
SQLITE_FULL, a ``mode=ro`` connection a true SQLITE_READONLY. Where this process may
mount a tmpfs (root), a real full and a real read-only file system are tried too;
elsewhere those tests skip.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import string
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import AuthSettings
from api.cli.main import main
from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from graph.errors import StoreError
from loaders.pipeline import load_file
from tests.support.commands import run_ckb
from tests.support.disk_faults import (
    fill_disk,
    free_space,
    is_store_file,
    read_only_file,
    unwritable_folder,
)
from tests.support.serve import LiveServer

TOKEN = "disk-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
KEYS = AuthSettings.from_env(
    {
        "CKB_API_KEYS": "ana:analyst:k-analyst,lou:loader:k-loader,adam:admin:k-admin",
        "CKB_INGEST_TOKENS": TOKEN,
    }
)
UPSERT = """mutation ($record: JSON!) {
  upsertCustomerRecord(sourceSystem: "app", record: $record) { accepted customerId }
}"""


# ------------------------------------------------------------------ builders


def _customers(path: Path, n: int, prefix: str, bad: int = 0) -> Path:
    """A customers CSV of ``n`` records, the last ``bad`` of them rejected (an email that
    is not one)."""
    rows = ["source_record_id,name,email"]
    rows += [f"{prefix}{i},Person {prefix}{i},{prefix.lower()}{i}@example.com" for i in range(n)]
    rows += [f"{prefix}X{i},Nobody {i},not-an-email-{i}" for i in range(bad)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _ndjson(n: int, prefix: str) -> bytes:
    return b"".join(
        json.dumps({"source_record_id": f"{prefix}{i}", "name": f"Pushed {prefix}{i}"}).encode()
        + b"\n"
        for i in range(n)
    )


def _big_record(key: str) -> dict[str, str]:
    """One customer record of about 2 KB of distinct words: more than the free room in
    the pages of a freshly vacuumed store."""
    rnd = random.Random(key)

    def words() -> str:
        return " ".join("".join(rnd.choices(string.ascii_lowercase, k=8)) for _ in range(55))

    return {
        "source_record_id": key,
        "name": words(),
        "address": words(),
        "city": words(),
        "national_id": words(),
    }


def _store_with(path: Path, n: int = 20) -> Path:
    """A store holding ``n`` customers from one CSV."""
    with EmbeddedStore(path) as store:
        csv = _customers(path.parent / "seed.csv", n, "S")
        load_file(store, "customers", csv, "crm", rejects_path=path.parent / "seed.rejects")
    return path


def _one_line(err: str, *fragments: str) -> str:
    """The only line on stderr: a ckb error naming every fragment, no traceback."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ckb: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def _counts(graph: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["--graph", graph, "stats", "--json"]) == 0
    counts: dict[str, Any] = json.loads(capsys.readouterr().out)
    return {"nodes": counts["nodes"], "relationships": counts["relationships"]}


def _load(graph: str, csv: Path, *extra: str) -> int:
    return main(["--graph", graph, "load", "customers", str(csv), "--source", "crm", *extra])


def _seeded_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, str, dict[str, Any]]:
    """Working in ``tmp_path``, a store of 20 customers: its path, its --graph value and
    its counts."""
    monkeypatch.chdir(tmp_path)
    store = _store_with(tmp_path / "kb.sqlite")
    graph = f"embedded:{store}"
    return store, graph, _counts(graph, capsys)


def _loaded_here(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    customers: int,
) -> tuple[Path, str, dict[str, Any]]:
    """Working in ``tmp_path``, a store that ``ckb load`` filled with ``customers``
    customers: its path, its --graph value and its counts."""
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "kb.sqlite"
    graph = f"embedded:{store}"
    assert _load(graph, _customers(tmp_path / "first.csv", customers, "A")) == 0
    return store, graph, _counts(graph, capsys)


def _load_refused(
    graph: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], *fragments: str
) -> None:
    """Loading five more customers fails with one ckb error line naming ``fragments``."""
    assert _load(graph, _customers(tmp_path / "more.csv", 5, "M")) == 1
    _one_line(capsys.readouterr().err, *fragments)


def _graphql(server: Any, query: str, key: str, **variables: Any) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )
    found: dict[str, Any] = answer.json()
    return found


def _serve(path: Path, tmp: Path) -> LiveServer:
    settings = IngestSettings(rejects_dir=tmp / "rejects")
    return LiveServer(create_app(lambda: EmbeddedStore(path), settings, KEYS))


# ------------------------------------------------------------------ a full disk


def test_a_full_disk_ends_a_load_in_one_line_keeping_nothing_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, graph, before = _loaded_here(tmp_path, monkeypatch, capsys, customers=20)
    second = _customers(tmp_path / "second.csv", 2000, "B")
    with monkeypatch.context() as full:
        fill_disk(full, store)
        assert _load(graph, second) == 1
        _one_line(
            capsys.readouterr().err,
            f"the disk holding {store} is full",
            "rolled back, nothing of it kept",
            "free space",
        )
    # Nothing of the failed transaction is in the store; with room again the same
    # command completes.
    assert _counts(graph, capsys) == before
    assert _load(graph, second) == 0
    assert _counts(graph, capsys)["nodes"]["SourceRecord"] == 2020


def test_a_full_disk_answers_a_push_503_and_the_server_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _store_with(tmp_path / "kb.sqlite")
    opened = fill_disk(monkeypatch, path)
    body = _ndjson(500, "P")
    with _serve(path, tmp_path) as server:
        url = f"{server.url}/ingest/customers"
        answer = httpx.post(url, params={"source": "web"}, content=body, headers=BEARER, timeout=60)
        assert answer.status_code == 503
        assert f"the disk holding {path} is full" in answer.json()["error"]
        free_space(opened)  # space freed: the same server takes the batch
        answer = httpx.post(url, params={"source": "web"}, content=body, headers=BEARER, timeout=60)
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 500


def test_graphql_names_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _store_with(tmp_path / "kb.sqlite")
    fill_disk(monkeypatch, path)
    with _serve(path, tmp_path) as server:
        answer = _graphql(server, UPSERT, "k-loader", record=_big_record("G1"))
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "STORE_FULL"
    assert f"the disk holding {path} is full" in error["message"]


def test_a_full_disk_under_a_file_a_command_writes_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_open = Path.open

    def no_room(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and tmp_path in self.parents:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", no_room)
    out = tmp_path / "sample"
    assert main(["sample", "--customers", "20", "--out", str(out)]) == 1
    _one_line(capsys.readouterr().err, "the disk holding", str(out), "is full")


# ------------------------------------------------------------------ a read-only store


def test_a_read_only_store_answers_reading_commands_and_refuses_writes_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, graph, before = _seeded_here(tmp_path, monkeypatch, capsys)
    read_only_file(monkeypatch, store)
    assert _counts(graph, capsys) == before
    _load_refused(graph, tmp_path, capsys, str(store), "cannot be written", "reads work")
    monkeypatch.undo()
    assert _counts(graph, capsys) == before


def test_a_store_this_user_may_not_write_is_opened_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, graph, before = _seeded_here(tmp_path, monkeypatch, capsys)
    real_access = os.access

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        if mode & os.W_OK and is_store_file(path, store):
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    assert _counts(graph, capsys) == before
    _load_refused(
        graph,
        tmp_path,
        capsys,
        f"{store} is read-only here (this user may not write the file)",
        "nothing was written",
    )
    assert _counts(graph, capsys) == before


def test_graphql_reads_a_read_only_store_and_names_a_refused_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kb.sqlite"
    with EmbeddedStore(path) as store:
        store.upsert_nodes("Customer", [{"id": "C-RO", "name": "Ada Read"}])
    read_only_file(monkeypatch, path)
    with _serve(path, tmp_path) as server:
        read = _graphql(server, '{ customer(id: "C-RO") { id name } }', "k-analyst")
        written = _graphql(server, UPSERT, "k-loader", record=_big_record("R1"))
    assert read == {"data": {"customer": {"id": "C-RO", "name": "Ada Read"}}}
    [error] = written["errors"]
    assert error["extensions"]["code"] == "STORE_READ_ONLY"
    assert f"{path} cannot be written" in error["message"]


def test_a_store_whose_folder_cannot_be_made_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the store's folder should be\n")
    assert main(["--graph", f"embedded:{blocker / 'kb.sqlite'}", "stats"]) == 1
    _one_line(capsys.readouterr().err, f"cannot create the folder of {blocker / 'kb.sqlite'}")


def test_the_store_layer_says_what_a_full_disk_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _store_with(tmp_path / "kb.sqlite")
    fill_disk(monkeypatch, path)
    with EmbeddedStore(path) as store:
        before = store.counts()
        rows = [{"id": f"F{i}", "name": f"Full {i}"} for i in range(2000)]
        with (
            pytest.raises(StoreError, match=r"is full: the transaction under way was rolled"),
            store.atomic(),
        ):
            store.upsert_nodes("Customer", rows)
        assert store.counts() == before
        assert store.get_node("Customer", "F0") is None


# ------------------------------------------------------------------ the rejects folder


def test_a_load_that_cannot_keep_its_rejects_stops_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, graph, before = _loaded_here(tmp_path, monkeypatch, capsys, customers=5)
    rejects = tmp_path / "locked"
    rejects.mkdir()
    unwritable_folder(monkeypatch, rejects)
    where = ["--rejects", str(rejects / "bad.rejects.jsonl")]
    # A file with a record to reject stops: the record is never dropped unseen, and
    # nothing of the transaction it was in is kept.
    assert _load(graph, _customers(tmp_path / "bad.csv", 10, "B", bad=1), *where) == 1
    _one_line(
        capsys.readouterr().err,
        f"cannot write rejected records to {rejects / 'bad.rejects.jsonl'}",
        "this user may not write there",
    )
    assert _counts(graph, capsys) == before
    # A file without one never needs the folder.
    assert _load(graph, _customers(tmp_path / "good.csv", 10, "G"), *where) == 0


def test_a_push_whose_rejects_cannot_be_kept_is_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _store_with(tmp_path / "kb.sqlite")
    (tmp_path / "rejects").mkdir()
    unwritable_folder(monkeypatch, tmp_path / "rejects")
    body = b'{"source_record_id": "W1", "name": "Fine"}\n{"source_record_id": "W2"}\n'
    with _serve(path, tmp_path) as server:
        answer = httpx.post(
            f"{server.url}/ingest/customers",
            params={"source": "web"},
            content=body,
            headers=BEARER,
            timeout=60,
        )
    assert answer.status_code == 503
    assert "cannot write rejected records to" in answer.json()["error"]


def test_an_erasure_that_cannot_rewrite_a_rejects_file_says_so_and_erases_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kb.sqlite"
    with EmbeddedStore(path) as store:
        store.upsert_nodes(
            "Customer", [{"id": "C-ER", "name": "Eve Rased", "email": "eve@example.com"}]
        )
    rejects = tmp_path / "rejects"
    rejects.mkdir()
    hers = rejects / "ingest.web.touchpoints.rejects.jsonl"
    record = {"ckb_customer_id": "C-ER", "email": "eve@example.com", "channel": "pigeon"}
    line = {"source_file": "push", "kind": "touchpoints", "line": 1, "record": record}
    other = {**line, "line": 2, "record": {"ckb_customer_id": "C-OTHER", "channel": "owl"}}
    hers.write_text(
        "".join(
            json.dumps({**entry, "reasons": ["channel: not one"]}) + "\n" for entry in (line, other)
        )
    )
    unwritable_folder(monkeypatch, rejects)
    erase = 'mutation { eraseCustomer(customerId: "C-ER") { customerId } }'
    with _serve(path, tmp_path) as server:
        answer = _graphql(server, erase, "k-admin")
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "STORE_UNAVAILABLE"
    assert f"cannot rewrite {hers} without the lines to remove" in error["message"]
    monkeypatch.undo()
    assert len(hers.read_text().splitlines()) == 2  # the file is as it was
    with EmbeddedStore(path) as store:  # files come first: the store is untouched
        assert store.get_node("Customer", "C-ER") is not None


# ------------------------------------------------------------------ real file systems


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mounts tmpfs file systems of a given size (root only; skips elsewhere)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"fs{len(mounted)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


def test_a_real_read_only_file_system(tmp_path: Path, tmpfs: Callable[[str], Path]) -> None:
    disk = tmpfs("64m")
    graph = f"embedded:{disk / 'data' / 'kb.sqlite'}"
    rejects = str(tmp_path / "r.jsonl")
    csv = str(_customers(tmp_path / "c.csv", 30, "C"))
    loaded = run_ckb("--graph", graph, "load", "customers", csv, "--source", "crm")
    assert loaded.returncode == 0, loaded.stderr
    (disk / "rejects").mkdir()
    _remount(disk, "ro")

    stats = run_ckb("--graph", graph, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["nodes"]["Customer"] == 30
    found = run_ckb("--graph", graph, "query", "search_customers", "text=person", "first=5")
    assert found.returncode == 0, found.stderr
    assert len(json.loads(found.stdout)) == 5

    refused = run_ckb(
        "--graph", graph, "load", "customers", csv, "--source", "crm", "--rejects", rejects
    )
    assert refused.returncode == 1
    _one_line(refused.stderr, "is read-only here", "mounted read-only", "nothing was written")
    missing = run_ckb("--graph", f"embedded:{disk / 'other.sqlite'}", "stats")
    _one_line(missing.stderr, f"cannot create the store {disk / 'other.sqlite'}")
    bad = str(_customers(tmp_path / "bad.csv", 0, "B", bad=1))
    on_ro = str(disk / "rejects" / "bad.rejects.jsonl")
    writable = f"embedded:{tmp_path / 'kb.sqlite'}"
    kept = run_ckb(
        "--graph", writable, "load", "customers", bad, "--source", "crm", "--rejects", on_ro
    )
    _one_line(kept.stderr, f"cannot write rejected records to {on_ro}", "mounted read-only")


def test_a_real_full_disk(tmp_path: Path, tmpfs: Callable[[str], Path]) -> None:
    disk = tmpfs("1m")
    graph = f"embedded:{disk / 'kb.sqlite'}"
    csv = str(_customers(tmp_path / "c.csv", 3000, "C"))
    full = run_ckb("--graph", graph, "load", "customers", csv, "--source", "crm")
    _one_line(full.stderr, f"the disk holding {disk / 'kb.sqlite'} is full", "rolled back")
    stats = run_ckb("--graph", graph, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    _remount(disk, "size=64m")
    again = run_ckb("--graph", graph, "load", "customers", csv, "--source", "crm")
    assert again.returncode == 0, again.stderr
    stats = run_ckb("--graph", graph, "stats", "--json")
    assert json.loads(stats.stdout)["nodes"]["SourceRecord"] == 3000
    small = tmpfs("256k")
    sample = run_ckb("sample", "--customers", "2000", "--out", str(small / "sample"))
    _one_line(sample.stderr, "the disk holding", "is full")
