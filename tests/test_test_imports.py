"""Test modules stand alone: what two of them share lives in tests/support/ (builders,
fakes, clients) or in a conftest.py (fixtures), never in a test module another imports,
and no module imports a conftest (pytest loads those itself)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tests.support.paths import REPO

TESTS = REPO / "tests"
SHARED = "tests.support"


def _imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) for each import in ``tree``, relative ones marked with their dots."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, "." * node.level + (node.module or "")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def _outside_support(module: str) -> bool:
    if module.startswith("."):
        return True  # tests import by absolute name, so a move shows in the import line
    if module == "conftest" or module.endswith(".conftest"):
        return True
    return _within(module, "tests") and not _within(module, SHARED)


def test_test_code_imports_shared_code_only_from_tests_support() -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line}: {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, module in _imported(ast.parse(path.read_text("utf-8"), str(path)))
        if _outside_support(module)
    ]
    assert not wrong, "import shared test code from tests/support/ instead:\n" + "\n".join(wrong)


def test_the_scan_sees_what_it_forbids() -> None:
    tree = ast.parse(
        "from tests.queries.test_named_queries import x\n"
        "import tests.epcis.test_shelf\n"
        "from tests.conftest import LiveServer\n"
        "from .test_graphql import served\n"
        "def late():\n"
        "    from tests.identity.test_resolve import TODAY\n"
        "from tests.support.paths import REPO\n"
        "from tests.support import fuzz\n"
        "from graph.store import GraphStore\n"
    )
    flagged = [module for _, module in _imported(tree) if _outside_support(module)]
    assert flagged == [
        "tests.queries.test_named_queries",
        "tests.epcis.test_shelf",
        "tests.conftest",
        ".test_graphql",
        "tests.identity.test_resolve",
    ]
