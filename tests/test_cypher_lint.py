"""The Cypher lint step really lints: it fails on a misspelled label, a syntax error, an
undeclared parameter and a deprecated subquery form, and passes on what ckb ships."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from queries import parse_query_file
from queries.lint import lint_payload, linter_schema

REPO = Path(__file__).resolve().parent.parent
LINT = REPO / "tools" / "cypher-lint"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (LINT / "node_modules").is_dir(),
    reason="Cypher linter not installed: run `make test` (it runs npm ci in tools/cypher-lint)",
)


def _lint(tmp_path: Path, statements: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    payload = {"schema": linter_schema(), "statements": statements}
    path = tmp_path / "lint.json"
    path.write_text(json.dumps(payload))
    return subprocess.run(
        ["node", str(LINT / "lint.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _stmt(text: str, *params: str) -> dict[str, Any]:
    return {"name": "probe", "origin": "test", "text": text, "parameters": list(params)}


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
