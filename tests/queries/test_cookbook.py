"""The analysts' cookbook (queries/cookbook/*.cypher, docs/analysts.md): 20+ questions the
named queries do not answer, each a query file with a header, checked by Neo4j's linter
against graph/schema.py like every other Cypher, explained in the doc; and run on a real
Neo4j holding a loaded sample when CKB_TEST_NEO4J_URI is set."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.cypher_shell import parse_value
from queries.engine import QUERY_DIR, QueryFile, query_files
from queries.lint import lint_payload
from tests.support.commands import demo_store, run_ckb
from tests.support.paths import REPO
from tests.support.real_neo4j import NEO4J_SKIP, NEO4J_URI, open_neo4j

COOKBOOK = QUERY_DIR / "cookbook"
DOC = REPO / "docs" / "analysts.md"
LINTER = REPO / "tools" / "cypher-lint"
RECIPES = query_files(COOKBOOK)
PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
EXAMPLE = re.compile(r"e\.g\. (\S+)\s*$")


def _example_params(recipe: QueryFile) -> dict[str, Any]:
    """Each parameter's example value, from its header line ('... e.g. 20')."""
    params = {}
    for p in recipe.params:
        found = EXAMPLE.search(p.doc)
        assert found, f"{recipe.path.name}: give {p.name} an example ('e.g. ...')"
        params[p.name] = parse_value(found.group(1))
    return params


def test_at_least_twenty_recipes_numbered_and_named() -> None:
    assert len(RECIPES) >= 20
    names = [r.name for r in RECIPES]
    assert len(set(names)) == len(names)
    for recipe in RECIPES:
        assert re.fullmatch(rf"\d\d_{recipe.name}", recipe.path.stem), recipe.path.name
        assert len(recipe.answers) > 60, f"{recipe.name}: say what question it answers"


def test_recipes_are_not_named_queries() -> None:
    named = {q.name for q in query_files(QUERY_DIR)}
    assert not named & {r.name for r in RECIPES}


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_parameters_are_declared_used_and_exemplified(recipe: QueryFile) -> None:
    body = "\n".join(line for line in recipe.text.splitlines() if not line.startswith("//"))
    assert set(PARAM.findall(body)) == set(recipe.parameters)
    _example_params(recipe)


def test_the_linter_gets_every_recipe_with_its_declared_parameters() -> None:
    statements = {
        s["origin"]: s for s in lint_payload()["statements"] if s["origin"].startswith("cookbook/")
    }
    assert sorted(statements) == sorted(f"cookbook/{r.path.name}" for r in RECIPES)
    for recipe in RECIPES:
        assert statements[f"cookbook/{recipe.path.name}"]["parameters"] == list(recipe.parameters)


@pytest.mark.slow
def test_recipes_lint_clean(tmp_path: Path) -> None:
    if not (LINTER / "node_modules").is_dir():
        pytest.skip("Neo4j's Cypher linter is not installed (make install)")
    payload = lint_payload()
    payload["statements"] = [
        s for s in payload["statements"] if s["origin"].startswith("cookbook/")
    ]
    export = tmp_path / "cookbook.json"
    export.write_text(json.dumps(payload), encoding="utf-8")
    done = subprocess.run(
        ["node", str(LINTER / "lint.mjs"), "--no-cache", str(export)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(RECIPES)} statement(s) clean" in done.stderr + done.stdout


def _doc_sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_the_doc_asks_the_question_shows_the_query_and_says_how_to_read_it(
    recipe: QueryFile,
) -> None:
    sections = [s for s in _doc_sections().values() if f"queries/cookbook/{recipe.path.name}" in s]
    assert len(sections) == 1, f"docs/analysts.md: one section names {recipe.path.name}"
    section = sections[0]
    assert "**Question.**" in section
    assert "**Reading it.**" in section
    body = recipe.text.split("\n")
    query = "\n".join(line for line in body if not line.startswith("//")).strip()
    assert query in section, f"the doc shows {recipe.path.name} as it is in the file"
    for p in recipe.params:
        assert f"{p.name}=" in section, f"the doc shows how to pass {p.name}"


# ----------------------------------------------------------------------- a real Neo4j


@pytest.fixture(scope="module")
def loaded_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small loaded sample, copied into the Neo4j under test."""
    if not NEO4J_URI:
        pytest.skip(NEO4J_SKIP)
    root = tmp_path_factory.mktemp("cookbook")
    store = demo_store(root, customers=300, seed=9)
    env = {"CKB_GRAPH": f"embedded:{store}"}
    neo = open_neo4j()
    neo.clear()
    neo.close()
    done = run_ckb("copy", "--to", NEO4J_URI, env=env, cwd=root)
    assert done.returncode == 0, done.stderr
    yield NEO4J_URI
    neo = open_neo4j()
    neo.clear()
    neo.close()


# Recipes whose answer may be empty on a 300-customer sample (a rare shape of data).
MAY_BE_EMPTY = {"household_value_concentration", "largest_identity_clusters", "referral_chains"}


@pytest.mark.neo4j
@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_recipe_runs_on_neo4j(loaded_neo4j: str, recipe: QueryFile) -> None:
    args = ["cypher", "-", "--format", "json"]
    for name, value in _example_params(recipe).items():
        args += ["-p", f"{name}={json.dumps(value) if isinstance(value, str) else value}"]
    done = run_ckb(*args, env={"CKB_GRAPH": loaded_neo4j}, input=recipe.text, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    if recipe.name not in MAY_BE_EMPTY:
        assert rows, f"{recipe.name} answered nothing on the sample"
