"""The Cypher lint step really lints: it fails on a misspelled label, a syntax error, an
undeclared parameter and a deprecated subquery form, and passes on what ckb ships. Its
shortcuts (a cache of clean statements, one semantic analysis per statement shape, worker
threads) never hide a problem."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from queries.engine import parse_query_file
from queries.lint import lint_payload, linter_schema
from tests.support.paths import REPO

LINT = REPO / "tools" / "cypher-lint"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (LINT / "node_modules").is_dir(),
    reason="Cypher linter not installed: run `make test` (it runs npm ci in tools/cypher-lint)",
)


def _lint(
    tmp_path: Path, statements: list[dict[str, Any]], *options: str
) -> subprocess.CompletedProcess[str]:
    payload = {"schema": linter_schema(), "statements": statements}
    path = tmp_path / "lint.json"
    path.write_text(json.dumps(payload))
    return subprocess.run(
        ["node", str(LINT / "lint.mjs"), *options, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _stmt(text: str, *params: str, name: str = "probe") -> dict[str, Any]:
    return {"name": name, "origin": "test", "text": text, "parameters": list(params)}


def _problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if not line.startswith("cypher-lint:")]


def test_clean_statement_passes(tmp_path: Path) -> None:
    result = _lint(
        tmp_path,
        [_stmt("MATCH (c:Customer {id: $id})-[:HOLDS]->(h:Holding) RETURN h.status", "id")],
    )
    assert result.returncode == 0, result.stdout
    assert "1 statement(s) clean" in result.stdout


@pytest.mark.parametrize(
    ("text", "params", "expected"),
    [
        ("MATCH (c:Custmer) RETURN c", (), "Label Custmer is not present"),
        ("MATCH (c:Customer RETURN c", (), "error: Invalid input"),
        ("MATCH (c:Customer)-[:HOLD]->(h) RETURN h", (), "HOLD is not present"),
        ("MATCH (c:Customer) RETURN c.emial", (), "emial is not present"),
        ("MATCH (c:Customer {id: $id}) RETURN c", (), "Parameter $id is not defined"),
        ("MATCH (c:Customer) CALL { WITH c RETURN 1 AS one } RETURN one", (), "deprecated"),
    ],
)
def test_linter_fails_on_bad_cypher(
    tmp_path: Path, text: str, params: tuple[str, ...], expected: str
) -> None:
    result = _lint(tmp_path, [_stmt(text, *params)])
    assert result.returncode == 1
    assert expected in result.stdout


def test_query_file_header_declares_parameters(tmp_path: Path) -> None:
    path = tmp_path / "sources.cypher"
    path.write_text(
        "// name: customer_sources\n"
        "// answers: which systems hold this customer\n"
        "// param: customerId string  the golden ID\n"
        "MATCH (s:SourceRecord)-[r:RESOLVED_TO]->(c:Customer {id: $customerId})\n"
        "RETURN s.source_system AS system, s.source_record_id AS recordId, r.score AS score\n"
    )
    query = parse_query_file(path)
    assert query.parameters == ("customerId",)
    payload = lint_payload(query_dir=tmp_path)
    ours = [s for s in payload["statements"] if s["origin"] == "sources.cypher"]
    assert _lint(tmp_path, ours).returncode == 0
    ours[0]["parameters"] = []
    assert "Parameter $customerId is not defined" in _lint(tmp_path, ours).stdout


def test_cache_never_hides_an_error(tmp_path: Path) -> None:
    clean = _stmt("MATCH (c:Customer {id: $id}) RETURN c.name", "id", name="clean")
    bad = _stmt("MATCH (c:Custmer) RETURN c", name="bad")
    first = _lint(tmp_path, [clean, bad])
    assert first.returncode == 1
    assert (tmp_path / "cypher-lint.cache.json").is_file()
    second = _lint(tmp_path, [clean, bad])
    assert second.returncode == 1
    assert _problems(second) == _problems(first)
    assert "bad (test) 1:10 warning: Label Custmer is not present" in second.stdout
    assert "1 linted on 1 thread(s), 1 cached" in second.stdout
    # The cache is keyed on the declared parameters too: the clean text fails without them.
    third = _lint(tmp_path, [_stmt(clean["text"], name="clean")])
    assert third.returncode == 1
    assert "Parameter $id is not defined" in third.stdout
    # Only clean results are cached: a warm run of clean statements lints nothing.
    assert _lint(tmp_path, [clean]).returncode == 0
    warm = _lint(tmp_path, [clean])
    assert warm.returncode == 0
    assert "all cached" in warm.stdout


# Statements alike but for label, type and property names share one semantic analysis
# (shape.mjs); each must still get its own diagnostics, at its own positions.
SHAPES = [
    _stmt("MATCH (c:Customer)-[:HOLDS]->(h) RETURN c.name, h.status", name="s1"),
    _stmt("MATCH (c:Household)-[:MEMBER_OF]->(h) RETURN c.id, h.status", name="s2"),
    _stmt("MATCH (c:Household)-[:MEMBER_OF]->(h) RETURN d.id, h.status", name="s3"),
    _stmt("MATCH (c:Customer)-[:HOLDS]->(h) RETURN d.name, h.status", name="s4"),
    _stmt("MATCH (c:Custmer)-[:HOLDS]->(h) RETURN c.name, h.status", name="s5"),
    _stmt("MATCH (c:Customer)-[:HOLD]->(h) RETURN c.emial, h.status", name="s6"),
    _stmt("MATCH (c:Customer)-[:HOLDS]->(h) RETURN c.name, h.status", name="s7"),
    _stmt("MATCH (c:Customer)-[:HOLDS]->(h) RETURN c.name, h.status", name="s8"),
    _stmt(
        "MATCH (c:Customer {id: $id}) CALL { WITH c RETURN 1 AS one } RETURN one", "id", name="s9"
    ),
    _stmt("MATCH (c:Household {id: $id}) CALL { WITH c RETURN 1 AS one } RETURN one", name="s10"),
    _stmt("MATCH (c:Customer) WITH c, c.id AS id RETURN {key: id, name: c.name} AS m", name="s11"),
    _stmt("MATCH (c:Customer) WITH c, c.id AS x RETURN {key: id, name: c.name} AS m", name="s12"),
    _stmt("MATCH (c:Customer) RETURN c {.id, .name} AS m", name="s13"),
    _stmt("MATCH (c:Household)-[:MEMBER_OF]->(h) RETURN d.id, h.status", name="s14"),
    _stmt("MATCH (c:Customer {id: $id}) RETURN c.name", "id", name="s15"),
    _stmt("MATCH (c:Household {id: $id}) RETURN c.name", name="s16"),
]
SHAPE_PROBLEMS = [  # what the linter says with none of the shortcuts
    "s3 (test) 1:46 error: Variable `d` not defined",
    "s4 (test) 1:41 error: Variable `d` not defined",
    "s5 (test) 1:10 warning: Label Custmer is not present",
    "s6 (test) 1:22 warning: Relationship type HOLD is not present",
    "s6 (test) 1:42 warning: emial is not present",
    "s9 (test) 1:30 warning: CALL subquery without a variable scope clause is deprecated",
    "s10 (test) 1:25 error: Parameter $id is not defined.",
    "s10 (test) 1:31 warning: CALL subquery without a variable scope clause is deprecated",
    "s12 (test) 1:51 error: Variable `id` not defined",
    "s14 (test) 1:46 error: Variable `d` not defined",
    "s16 (test) 1:25 error: Parameter $id is not defined.",
]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_statements_sharing_a_shape_are_each_checked(tmp_path: Path, jobs: str) -> None:
    result = _lint(tmp_path, SHAPES, "--no-cache", "--jobs", jobs)
    assert result.returncode == 1
    problems = _problems(result)
    for expected in SHAPE_PROBLEMS:
        assert sum(line.startswith(expected) for line in problems) == 1, (expected, problems)
    assert len(problems) == len(SHAPE_PROBLEMS), problems
    # hooks.mjs warns here if the library it edits has changed under it
    assert result.stderr == ""
    assert not (tmp_path / "cypher-lint.cache.json").exists()
