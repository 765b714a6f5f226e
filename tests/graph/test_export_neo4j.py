"""`ckb export neo4j DIR`: the files parse back, as neo4j-admin reads them, into exactly the
graph in the store (counts equal `ckb stats`, content equal to the store file read
directly), on a loaded sample and on hand-made edge cases."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.embedded import EmbeddedStore
from graph.export import ExportError, export_neo4j, node_header
from graph.schema import schema
from graph.store import RelRow
from graph.walk import is_hub
from tests.support.commands import demo_store, run_ckb
from tests.support.store_file import dump

# ----------------------------------------------------------------------- reading back
# A reader with neo4j-admin's rules, written apart from the exporter: fields split on
# commas outside double quotes, "" inside quotes is one quote, quoted fields may span
# lines, an empty unquoted field is no property, a quoted empty one the empty string.


def _records(text: str) -> Iterator[list[tuple[str, bool]]]:
    row: list[tuple[str, bool]] = []
    field: list[str] = []
    quoted = in_quotes = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_quotes:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                field.append('"')
                i += 2
                continue
            if ch == '"':
                in_quotes = False
            else:
                field.append(ch)
        elif ch == '"':
            in_quotes = quoted = True
        elif ch == ",":
            row.append(("".join(field), quoted))
            field, quoted = [], False
        elif ch == "\n":
            row.append(("".join(field), quoted))
            yield row
            row, field, quoted = [], [], False
        else:
            field.append(ch)
        i += 1
    assert not in_quotes, "the file ends inside a quoted field"
    assert not row, "the last record has no line end"
    assert not field, "the last record has no line end"


def _typed(value: str, quoted: bool, kind: str) -> Any:
    if not value and not quoted:
        return None
    if kind == "long":
        return int(value)
    if kind == "double":
        return float(value)
    if kind == "boolean":
        assert value in ("true", "false"), value
        return value == "true"
    if kind == "string[]":
        return value.split(";") if value else []
    return value


def _header(cell: str) -> tuple[str, str]:
    name, _, kind = cell.partition(":")
    return name, kind or "string"


def read_export(directory: Path) -> tuple[dict[tuple[str, str], dict[str, Any]], list[tuple]]:
    """{(label, key): props} and [(src_label, src, type, dst_label, dst, props)]."""
    nodes: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted((directory / "nodes").glob("*.csv")):
        rows = _records(path.read_text(encoding="utf-8"))
        header = [c for c, _ in next(rows)]
        id_col = next(i for i, c in enumerate(header) if ":ID(" in c)
        key_name = header[id_col].split(":", 1)[0]
        space = header[id_col].split("(", 1)[1].rstrip(")")
        for row in rows:
            assert len(row) == len(header), (path, row)
            label = row[header.index(":LABEL")][0]
            assert label == space == path.stem
            props: dict[str, Any] = {}
            for (value, quoted), cell in zip(row, header, strict=True):
                if cell == ":LABEL":
                    continue
                name, kind = _header(cell)
                if kind.startswith("ID("):
                    props[key_name] = value
                    continue
                typed = _typed(value, quoted, kind)
                if typed is not None:
                    props[name] = typed
            assert (label, props[key_name]) not in nodes, "a key twice in one ID space"
            nodes[(label, props[key_name])] = props
    rels = []
    for path in sorted((directory / "relationships").glob("*.csv")):
        rows = _records(path.read_text(encoding="utf-8"))
        header = [c for c, _ in next(rows)]
        src_space = header[0].split("(", 1)[1].rstrip(")")
        dst_space = header[1].split("(", 1)[1].rstrip(")")
        for row in rows:
            props = {}
            for (value, quoted), cell in zip(row[3:], header[3:], strict=True):
                name, kind = _header(cell)
                typed = _typed(value, quoted, kind)
                if typed is not None:
                    props[name] = typed
            src, dst, rel_type = row[0][0], row[1][0], row[2][0]
            assert (src_space, src) in nodes, "a relationship from a node not exported"
            assert (dst_space, dst) in nodes, "a relationship to a node not exported"
            rels.append((src_space, src, rel_type, dst_space, dst, props))
    return nodes, rels


def _number(value: Any) -> Any:
    # A float property holding a whole number (price 10) is a double in Neo4j (10.0).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _canonical(nodes: dict[tuple[str, str], dict[str, Any]], rels: list[tuple]) -> list[str]:
    nodes = {k: {n: _number(v) for n, v in p.items()} for k, p in nodes.items()}
    rels = [(*r[:5], {n: _number(v) for n, v in r[5].items()}) for r in rels]
    lines = [
        json.dumps(["node", label, key, props], sort_keys=True)
        for (label, key), props in nodes.items()
    ]
    lines += [json.dumps(["rel", *r], sort_keys=True) for r in rels]
    return sorted(lines)


def store_file_graph(path: Path) -> tuple[dict[tuple[str, str], dict[str, Any]], list[tuple]]:
    """The graph in an embedded store file, read with SQL (not through the store port)."""
    nodes: dict[tuple[str, str], dict[str, Any]] = {}
    rels = []
    for row in dump(path):
        if len(row) == 3:
            label, key, props = row
            nodes[(str(label), str(key))] = json.loads(str(props))
        else:
            src_label, src, rel_type, dst_label, dst, _rkey, props = row
            rels.append((src_label, src, rel_type, dst_label, dst, json.loads(str(props) or "{}")))
    return nodes, rels


def content_hash(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# ----------------------------------------------------------------------- a loaded sample


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_store(tmp_path_factory.mktemp("sample"), customers=60, seed=5)


@pytest.mark.slow
def test_export_parses_back_to_the_store_counts_and_content(
    sample_store: Path, tmp_path: Path
) -> None:
    env = {"CKB_GRAPH": f"embedded:{sample_store}"}
    out = tmp_path / "out"
    done = run_ckb("export", "neo4j", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert "exported" in done.stdout
    assert "changed while exporting" not in done.stderr
    stats = json.loads(run_ckb("stats", "--json", env=env).stdout)

    nodes, rels = read_export(out)
    assert dict(Counter(label for label, _ in nodes)) == {
        label: n for label, n in stats["nodes"].items() if n
    }
    assert dict(Counter(r[2] for r in rels)) == {
        t: n for t, n in stats["relationships"].items() if n
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["nodes"] == stats["nodes"]
    assert manifest["relationships"] == stats["relationships"]
    # Lists, numbers and booleans came through typed, not as text.
    assert any(
        isinstance(p.get("churn_signals"), list)
        for (label, _), p in nodes.items()
        if label == "Customer"
    )
    assert any(isinstance(p.get("lifetime_value"), float) for p in nodes.values())

    expected_nodes, expected_rels = store_file_graph(sample_store)
    assert content_hash(_canonical(nodes, rels)) == content_hash(
        _canonical(expected_nodes, expected_rels)
    )


@pytest.mark.slow
def test_import_script_names_every_file_and_the_schema_comes_from_graph_schema(
    sample_store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert (
        run_ckb(
            "export", "neo4j", str(out), env={"CKB_GRAPH": f"embedded:{sample_store}"}
        ).returncode
        == 0
    )
    # Run the script with `echo` standing in for neo4j-admin: the exact command it runs.
    done = subprocess.run(
        ["sh", str(out / "import.sh")],
        env={"PATH": "/usr/bin:/bin", "NEO4J_ADMIN": "echo", "NEO4J_DATABASE": "kb"},
        capture_output=True,
        text=True,
        check=True,
    )
    words = done.stdout.split()
    assert words[:3] == ["database", "import", "full"]
    assert words[-1] == "kb"
    assert "--array-delimiter=;" in words
    assert "--multiline-fields=true" in words
    named = sorted(
        w.split("=", 1)[1] for w in words if w.startswith(("--nodes=", "--relationships="))
    )
    written = sorted(str(p.relative_to(out)) for p in out.glob("*/*.csv"))
    assert named == written
    statements = (out / "schema.cypher").read_text().strip().rstrip(";").split(";\n")
    model = schema()
    for node in model.nodes:
        assert any(
            f"FOR (n:{node.label}) REQUIRE n.{node.key} IS UNIQUE" in s for s in statements
        ), node.label
    assert any("FULLTEXT" in s for s in statements)


# ----------------------------------------------------------------------- edge cases


def _edge_store(path: Path) -> EmbeddedStore:
    store = EmbeddedStore(path)
    store.apply_schema()
    store.upsert_nodes(
        "Customer",
        [
            {
                "id": "C1",
                "name": 'Ann "the boss", Jr.',
                "address": "1 Long Road\nFlat 2",
                "churn_signals": ["unresolved_complaint", "lapsed"],
                "lifetime_value": 12.5,
                "recency_days": 3,
                "email": "",
            },
            {"id": "C2", "name": "王伟", "churn_signals": []},
            {"id": "C3"},
        ],
    )
    store.upsert_nodes("Consent", [{"id": "K1", "granted": False, "purpose": "marketing"}])
    store.upsert_nodes("Product", [{"id": "P1", "price": 10, "min_age": 18}])
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [
            RelRow("C1", "C2", {"kind": "family", "since": "2020-01-01"}),
            RelRow("C1", "C2", {"kind": "referral"}),
            RelRow("C3", "C3", {"kind": "employer"}),  # a loop
        ],
    )
    store.upsert_relationships("HAS_CONSENT", "Customer", "Consent", [RelRow("C1", "K1")])
    return store


def test_quotes_newlines_empty_strings_lists_and_loops_survive(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with _edge_store(path) as store:
        summary = export_neo4j(store, tmp_path / "out", page_size=2)
        counts = store.counts()
    assert summary.exported.nodes == counts.nodes
    assert summary.exported.relationships == counts.relationships
    nodes, rels = read_export(tmp_path / "out")
    assert nodes[("Customer", "C1")]["name"] == 'Ann "the boss", Jr.'
    assert nodes[("Customer", "C1")]["address"] == "1 Long Road\nFlat 2"
    assert nodes[("Customer", "C1")]["email"] == ""  # an empty string, not a missing property
    assert "email" not in nodes[("Customer", "C2")]
    assert nodes[("Customer", "C2")]["churn_signals"] == []
    assert nodes[("Consent", "K1")]["granted"] is False
    assert nodes[("Product", "P1")]["price"] == 10.0
    assert sorted(r[5]["kind"] for r in rels if r[2] == "RELATED_TO") == [
        "employer",
        "family",
        "referral",
    ]
    expected = store_file_graph(path)
    assert _canonical(nodes, rels) == _canonical(*expected)


def test_headers_are_typed_from_the_schema() -> None:
    header = node_header(schema().node("Customer"))
    assert header[0] == "id:ID(Customer)"
    assert header[-1] == ":LABEL"
    assert "lifetime_value:double" in header
    assert "recency_days:long" in header
    assert "churn_signals:string[]" in header
    assert "birth_date:string" in header
    assert "granted:boolean" in node_header(schema().node("Consent"))


def test_a_value_the_format_cannot_carry_is_refused_by_name(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "s.sqlite") as store:
        store.apply_schema()
        store.upsert_nodes("Customer", [{"id": "C9", "churn_signals": ["a;b"]}])
        with pytest.raises(ExportError, match=r"Customer C9\.churn_signals.*delimiter"):
            export_neo4j(store, tmp_path / "out")


def test_a_directory_of_other_files_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    env = {"CKB_GRAPH": f"embedded:{tmp_path / 's.sqlite'}"}
    assert run_ckb("schema", "apply", env=env).returncode == 0
    done = run_ckb("export", "neo4j", str(out), env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("ckb: error:")
    assert "not a ckb export" in done.stderr
    assert "Traceback" not in done.stderr
    assert (out / "notes.txt").read_text() == "mine"


def test_exporting_again_replaces_the_earlier_export(tmp_path: Path) -> None:
    with _edge_store(tmp_path / "s.sqlite") as store:
        export_neo4j(store, tmp_path / "out")
        store.delete_nodes("Consent", ["K1"])
        summary = export_neo4j(store, tmp_path / "out")
    assert not (tmp_path / "out" / "nodes" / "Consent.csv").exists()
    assert "relationships/HAS_CONSENT__Customer__Consent.csv" not in summary.files
    nodes, _ = read_export(tmp_path / "out")
    assert ("Consent", "K1") not in nodes


def test_a_hub_label_is_read_by_its_outgoing_relationships(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A product on 40 purchase lines is a hub: its page reads only its own outgoing
    relationships (its line), not every purchase line pointing at it; nothing is lost."""
    path = tmp_path / "s.sqlite"
    with EmbeddedStore(path) as store:
        store.apply_schema()
        store.upsert_nodes("ProductLine", [{"id": "L1"}])
        store.upsert_nodes("Product", [{"id": "P1"}])
        store.upsert_nodes("Purchase", [{"id": f"B{i}"} for i in range(40)])
        store.upsert_relationships("IN_LINE", "Product", "ProductLine", [RelRow("P1", "L1")])
        store.upsert_relationships(
            "INCLUDES",
            "Purchase",
            "Product",
            [RelRow(f"B{i}", "P1", {"quantity": 1, "amount": 2.5}) for i in range(40)],
        )
        assert is_hub(schema(), store.counts(), "Product")
        assert not is_hub(schema(), store.counts(), "Purchase")
        both_ways: list[str] = []
        real = store.relationships_of

        def spy(label: str, keys: Any) -> Any:
            both_ways.append(label)
            return real(label, keys)

        monkeypatch.setattr(store, "relationships_of", spy)
        export_neo4j(store, tmp_path / "out", page_size=7)
    assert "Product" not in both_ways
    assert "Purchase" in both_ways
    nodes, rels = read_export(tmp_path / "out")
    assert _canonical(nodes, rels) == _canonical(*store_file_graph(path))


def test_export_reads_a_neo4j_store_through_the_same_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export from Neo4j (a scripted driver answering the adapter's read statements
    from a small graph) writes the same files as from the embedded store."""
    import graph.neo4j_store as adapter
    from graph.cypher import adapter_statements
    from graph.neo4j_store import Neo4jStore
    from tests.support.neo4j_fakes import Counters, FakeDriver

    nodes = {
        ("Customer", "C1"): {"id": "C1", "name": "Ann", "churn_signals": ["lapsed"]},
        ("Customer", "C2"): {"id": "C2", "lifetime_value": 3.5},
        ("Household", "H1"): {"id": "H1", "size": 2},
    }
    rels = [
        ("Customer", "C1", "MEMBER_OF", "Household", "H1", {"role": "head"}),
        ("Customer", "C2", "MEMBER_OF", "Household", "H1", {}),
        ("Customer", "C1", "RELATED_TO", "Customer", "C2", {"kind": "spouse"}),
    ]
    by_text = {s.text: s.name for s in adapter_statements().values()}

    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        name = by_text[text]
        kind, _, label = name.partition(".")
        if name == "counts":
            found = Counter(lbl for lbl, _ in nodes)
            types = Counter(r[2] for r in rels)
            return [
                *({"kind": "node", "name": n, "count": c} for n, c in found.items()),
                *({"kind": "relationship", "name": t, "count": c} for t, c in types.items()),
            ], Counters()
        if kind == "keys_page":
            keys = sorted(k for lbl, k in nodes if lbl == label and k > (params["after"] or ""))
            return [{"key": k} for k in keys[: params["limit"]]], Counters()
        if kind == "get_nodes":
            return [
                {"key": k, "props": nodes[(label, k)]}
                for k in params["keys"]
                if (label, k) in nodes
            ], Counters()
        if kind == "relationships_of":
            out = []
            for k in params["keys"]:
                items = [
                    {"type": t, "label": dl, "key": d, "relProps": p, "outgoing": True}
                    for sl, s, t, dl, d, p in rels
                    if (sl, s) == (label, k)
                ] + [
                    {"type": t, "label": sl, "key": s, "relProps": p, "outgoing": False}
                    for sl, s, t, dl, d, p in rels
                    if (dl, d) == (label, k)
                ]
                out.append({"key": k, "items": items})
            return out, Counters()
        raise AssertionError(f"the export sent {name}")

    monkeypatch.setattr(adapter.GraphDatabase, "driver", lambda uri, **kw: FakeDriver(respond))
    with Neo4jStore.connect("neo4j://db:7687", password="p") as store:
        summary = export_neo4j(store, tmp_path / "out", page_size=1)
    assert summary.exported.nodes["Customer"] == 2
    assert summary.exported.relationships["MEMBER_OF"] == 2
    found_nodes, found_rels = read_export(tmp_path / "out")
    expected = {k: dict(v) for k, v in nodes.items()}
    assert _canonical(found_nodes, found_rels) == _canonical(expected, rels)
