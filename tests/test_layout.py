"""The layout stays the one issue 15 set out: rooms by capability, none taking over.

A room is a top-level package, or a package inside one (the API's HTTP edge, GraphQL schema
and command line, the embedded store inside graph/): each is a capability of its own. No room may hold a fifth of
the product's code, and no module may outgrow what one reader holds in mind, except the
declarative tables named below. The import-layer contract itself is `lint-imports` in
`make lint` (pyproject.toml, [tool.importlinter]).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.support.paths import REPO

ROOMS = ("graph", "identity", "epcis", "scoring", "governance", "loaders", "queries", "sample")
INNER_ROOMS = ("api/graphql", "api/http", "api/cli", "graph/embedded")
MODULE_LINES = 500
# Declarative tables: long because they list, not because they do.
TABLES = {"graph/schema.py"}


def _lines(path: Path) -> int:
    return len(path.read_text("utf-8").splitlines())


def _room(relative: Path) -> str:
    parts = relative.parts
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def _modules() -> dict[Path, int]:
    found: dict[Path, int] = {}
    for top in (*ROOMS, "api"):
        for path in (REPO / top).rglob("*.py"):
            found[path.relative_to(REPO)] = _lines(path)
    return found


def test_no_room_holds_a_fifth_of_the_code() -> None:
    modules = _modules()
    total = sum(modules.values())
    per_room: Counter[str] = Counter()
    for relative, lines in modules.items():
        per_room[_room(relative)] += lines
    assert set(per_room) >= {*ROOMS, *INNER_ROOMS}
    too_big = {
        room: round(lines / total, 3) for room, lines in per_room.items() if lines >= total / 5
    }
    assert not too_big, f"rooms over 20% of {total} lines: {too_big}"


def test_no_module_outgrows_a_reader() -> None:
    too_long = {
        str(relative): lines
        for relative, lines in _modules().items()
        if lines > MODULE_LINES and relative.as_posix() not in TABLES
    }
    assert not too_long, f"modules over {MODULE_LINES} lines: {too_long}"
