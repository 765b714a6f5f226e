"""The ``ckb`` command as a user runs it: a real subprocess of the installed script."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.store import RelRow
from tests.support.commands import run_ckb
from tests.support.serve import free_port


def _assert_one_line_error(result: object, *fragments: str) -> None:
    assert result.returncode == 1  # type: ignore[attr-defined]
    err: str = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith("ckb: error: ")
    for fragment in fragments:
        assert fragment in err


def test_help_lists_the_commands() -> None:
    result = run_ckb("--help")
    assert result.returncode == 0
    for word in ("schema", "stats", "serve", "CKB_GRAPH", "neo4j://"):
        assert word in result.stdout
    schema_help = run_ckb("schema", "--help")
    assert all(w in schema_help.stdout for w in ("apply", "docs", "cypher"))


def test_schema_apply_and_stats_on_the_embedded_store(tmp_path: Path) -> None:
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    applied = run_ckb("schema", "apply", env={"CKB_GRAPH": graph})
    assert applied.returncode == 0, applied.stderr
    assert "schema applied to embedded store" in applied.stdout
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        store.upsert_nodes("Customer", [{"id": "c1"}, {"id": "c2"}])
        store.upsert_nodes("Household", [{"id": "h1"}])
        store.upsert_relationships("MEMBER_OF", "Customer", "Household", [RelRow("c1", "h1")])
    text = run_ckb("--graph", graph, "stats")
    assert text.returncode == 0, text.stderr
    assert "nodes: 3" in text.stdout
    assert "relationships: 1" in text.stdout
    assert "Customer" in text.stdout
    assert "EpcisEvent" not in text.stdout
    assert "EpcisEvent" in run_ckb("--graph", graph, "stats", "--all").stdout
    data = json.loads(run_ckb("--graph", graph, "stats", "--json").stdout)
    assert data["nodes"]["Customer"] == 2
    assert data["relationships"]["MEMBER_OF"] == 1


def test_wrong_graph_setting_is_one_line() -> None:
    _assert_one_line_error(
        run_ckb("stats", env={"CKB_GRAPH": "mysql://x"}), "CKB_GRAPH='mysql://x'"
    )


def test_unreachable_neo4j_is_one_line() -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    _assert_one_line_error(run_ckb("--graph", uri, "stats"), "cannot reach Neo4j")


def test_the_cli_reads_while_another_process_writes_and_a_writer_waits(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    graph = f"embedded:{path}"
    with EmbeddedStore(path) as store:
        store.upsert_nodes("Customer", [{"id": "c1"}])
        with store.atomic():  # this process holds the write lock
            store.upsert_nodes("Customer", [{"id": "c2"}])
            read = run_ckb("--graph", graph, "stats", "--json")
            assert read.returncode == 0, read.stderr
            # The block is not committed: the other process sees the graph before it.
            assert json.loads(read.stdout)["nodes"]["Customer"] == 1
            _assert_one_line_error(
                run_ckb("--graph", graph, "schema", "apply", env={"CKB_SQLITE_BUSY_TIMEOUT": "1"}),
                "kept the write lock for more than 1 s",
            )
    assert json.loads(run_ckb("--graph", graph, "stats", "--json").stdout)["nodes"]["Customer"] == 2


def test_corrupt_store_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    path.write_bytes(b"\x00garbage" * 500)
    _assert_one_line_error(
        run_ckb("--graph", f"embedded:{path}", "stats"), "not a readable ckb store"
    )


def test_schema_docs_writes_and_checks(tmp_path: Path) -> None:
    out = tmp_path / "schema.md"
    assert run_ckb("schema", "docs", "--check", "--out", str(out)).returncode == 1
    assert run_ckb("schema", "docs", "--out", str(out)).returncode == 0
    assert run_ckb("schema", "docs", "--check", "--out", str(out)).returncode == 0
    assert "```mermaid" in out.read_text()


def test_schema_cypher_lists_every_statement() -> None:
    result = run_ckb("schema", "cypher", "--json")
    payload = json.loads(result.stdout)
    names = {s["name"] for s in payload["statements"]}
    assert {"merge_nodes.Customer", "constraint.Customer", "counts"} <= names
    assert "Customer" in payload["schema"]["labels"]


def test_load_prints_a_summary_and_bad_files_are_one_line(tmp_path: Path) -> None:
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    lines = tmp_path / "lines.csv"
    lines.write_text("line_id,name,industry\nmobile,Mobile,telco\ntv,TV,broadcast\n")
    result = run_ckb("--graph", graph, "load", "product_lines", str(lines), "--source", "catalog",
                     "--rejects", str(tmp_path / "rej.jsonl"), cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "product_lines from catalog: read 2, loaded 1, rejected 1" in result.stdout
    assert str(tmp_path / "rej.jsonl") in result.stdout
    as_json = run_ckb(
        "--graph",
        graph,
        "load",
        "product_lines",
        str(lines),
        "--source",
        "catalog",
        "--json",
        cwd=tmp_path,
    )
    assert json.loads(as_json.stdout)["loaded"] == 1
    for unreadable, error in (("missing.csv", "cannot open"), ("x.xml", "unknown format")):
        path = str(tmp_path / unreadable)
        load = ("--graph", graph, "load", "product_lines", path, "--source", "x")
        _assert_one_line_error(run_ckb(*load, cwd=tmp_path), error)
    bad_kind = run_ckb(
        "--graph", graph, "load", "clients", str(lines), "--source", "x", cwd=tmp_path
    )
    assert bad_kind.returncode == 2
    assert "invalid choice: 'clients'" in bad_kind.stderr


def _loaded_sample(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A 40-customer sample (seed 3) made and loaded by the CLI into a store in
    ``tmp_path``: the environment naming that store, and the sample folder."""
    env = {"CKB_GRAPH": f"embedded:{tmp_path / 'kb.sqlite'}"}
    sample = tmp_path / "sample"
    made = run_ckb("sample", "--customers", "40", "--seed", "3", "--out", str(sample))
    assert made.returncode == 0, made.stderr
    loaded = run_ckb("load-dir", str(sample), env=env)
    assert loaded.returncode == 0, loaded.stderr
    return env, sample


def test_resolve_evaluates_against_the_sample_truth(tmp_path: Path) -> None:
    env, sample = _loaded_sample(tmp_path)
    result = run_ckb("resolve", "--evaluate", str(sample / "truth" / "identity.csv"), env=env)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if "against" in x)
    found = re.search(
        r"F1 ([\d.]+); (\d+) of (\d+) people resolved exactly \([\d.]+%\), (\d+) split over "
        r"several customers, (\d+) customers mixing people",
        line,
    )
    assert found, line
    f1, exact, people, split, mixed = float(found[1]), *map(int, found.groups()[1:])
    with (sample / "truth" / "identity.csv").open(encoding="utf-8") as f:
        persons = {row["person_id"] for row in csv.DictReader(f)}
    assert people == len(persons)
    assert f1 > 0.9
    assert exact + split <= people
    assert exact > 0.9 * people
    assert mixed < 0.1 * people


def test_load_dir_leaves_enrichment_files_to_ckb_enrich(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "catalog.product_lines.csv").write_text(
        "line_id,name,industry\nmobile,Mobile,telco\n"
    )
    # Purchased demographics, whatever the name: recognised by their fields.
    (source / "acme_demographics.csv").write_text(
        "provider,name,address,postal_code,birth_date\nacme,Ann Lee,5 Elm St,10001,1980-05-06\n"
    )
    (source / "notes.csv").write_text("when,what\n2026-01-01,hello\n")
    result = run_ckb(
        "--graph", f"embedded:{tmp_path / 'kb.sqlite'}", "load-dir", str(source), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "acme_demographics.csv: enrichment data (purchased demographics), not loaded here; "
        f"after ckb resolve, run: ckb enrich {source / 'acme_demographics.csv'}",
        "skipped notes.csv: name is not <kind> or <system>.<kind>",
    ]
    assert "product_lines from catalog: read 1, loaded 1" in result.stdout


def test_segment_list_names_each_segment_with_its_rule_and_size(tmp_path: Path) -> None:
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    empty = run_ckb("--graph", graph, "segment", "--list")
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.splitlines()[-1] == "no customer is in a segment yet: run ckb segment"
    with EmbeddedStore(tmp_path / "kb.sqlite") as store:
        store.upsert_nodes("Customer", [{"id": "c1", "value_tier": "silver"}])
    listed = run_ckb("--graph", graph, "segment", "--list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split(None, 2) for line in listed.stdout.splitlines()[1:4]]
    assert [(name, count) for name, count, _ in rows] == [
        ("gold", "0"),
        ("silver", "1"),
        ("bronze", "0"),
    ]
    assert rows[2][2] == "any other customer"
    assert "ckb query segment_members tier=NAME" in listed.stdout


def test_resolve_explains_a_pair_field_by_field(tmp_path: Path) -> None:
    env, _ = _loaded_sample(tmp_path)
    assert run_ckb("resolve", env=env).returncode == 0
    # Wang Wei's billing and webshop records (sample/showcase.py): one person.
    same = run_ckb("resolve", "--explain", "billing:B1000000007", "webshop:W1000000007", env=env)
    assert same.returncode == 0, same.stderr
    head, *rows = same.stdout.splitlines()
    assert head.startswith("billing:B1000000007 ~ webshop:W1000000007: weight +")
    assert "rule email: merged (a deterministic rule)" in head
    levels = {r.split()[0]: r.split()[1] for r in rows[1:] if not r.startswith("  worth")}
    assert levels["name"] == "exact"
    assert levels["email"] == "exact"
    assert levels["birth_date"] == "exact"
    # Each weight is log2(m / u) of the m and u shown beside it, under a fitted model.
    shown = [r.split() for r in rows[1:] if len(r.split()) == 5]
    assert {r[0] for r in shown} >= {"name", "birth_date", "email"}
    for _, _, weight, m, u in shown:
        assert float(weight) == pytest.approx(math.log2(float(m) / float(u)), abs=0.05)
    assert rows[-1].startswith("  model: version 1, estimated ")
    assert "m fitted to the data, households found" in rows[-1]
    # His 12-year-old son: same home, another person.
    other = run_ckb("resolve", "--explain", "billing:B1000000007", "billing:B1000000009", env=env)
    assert other.returncode == 0, other.stderr
    assert "not merged" in other.stdout.splitlines()[0]
    assert "birth_date   different" in other.stdout
    missing = run_ckb("resolve", "--explain", "billing:NOPE", "billing:B1000000009", env=env)
    _assert_one_line_error(missing, "no source record 'billing:NOPE'")
