"""Named Cypher queries kept as files so analysts can read and reuse them.

Each ``*.cypher`` file in this folder is one query. Its header comment declares what it
answers and its parameters, which is what the Cypher linter checks the text against:

    // name: customer_sources
    // answers: Which source systems hold this customer, and how each record resolved.
    // param: customerId string  the golden customer ID
    MATCH (c:Customer {id: $customerId}) ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from graph.errors import CkbError

QUERY_DIR = Path(__file__).parent
_HEADER = re.compile(r"^//\s*(name|answers|param|index)\s*:\s*(.*?)\s*$")


class QueryFileError(CkbError):
    """A .cypher file whose header is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    doc: str


@dataclass(frozen=True, slots=True)
class QueryFile:
    name: str
    answers: str
    params: tuple[Param, ...]
    indexes: tuple[str, ...]
    text: str
    path: Path

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


def parse_query_file(path: Path) -> QueryFile:
    text = path.read_text(encoding="utf-8")
    fields: dict[str, list[str]] = {"name": [], "answers": [], "param": [], "index": []}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            if stripped:
                break
            continue
        match = _HEADER.match(stripped)
        if match:
            fields[match.group(1)].append(match.group(2))
    if len(fields["name"]) != 1 or not fields["name"][0]:
        raise QueryFileError(f"{path}: the header needs exactly one '// name: ...' line")
    if not fields["answers"]:
        raise QueryFileError(f"{path}: the header needs an '// answers: ...' line")
    params = []
    for raw in fields["param"]:
        parts = raw.split(None, 2)
        if len(parts) < 2:
            raise QueryFileError(f"{path}: '// param: {raw}' should read 'NAME TYPE description'")
        params.append(Param(parts[0].lstrip("$"), parts[1], parts[2] if len(parts) > 2 else ""))
    return QueryFile(
        fields["name"][0],
        " ".join(fields["answers"]),
        tuple(params),
        tuple(fields["index"]),
        text,
        path,
    )


def query_files(directory: Path = QUERY_DIR) -> list[QueryFile]:
    return [parse_query_file(p) for p in sorted(directory.glob("*.cypher"))]
