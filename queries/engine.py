"""The named-query engine: the ``.cypher`` file parser, the registry and the runner.

Each ``*.cypher`` file in queries/ is one query. Its header comment declares what it
answers and its parameters, which is what the Cypher linter checks the text against:

    // name: customer_sources
    // answers: Which source systems hold this customer, and how each record resolved.
    // param: customerId string  the golden customer ID
    MATCH (c:Customer {id: $customerId}) ...

Beside it, the module of the same name (``queries/customer_sources.py``) holds the
query's row shape, its embedded implementation over the store port and its result type,
and registers them with :func:`named_query` (a batch form, ``customers_sources``, lives
in its single-subject query's module). Both implementations give the same result type
through the same constructor; the conformance suite holds them to identical answers.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from graph.errors import CkbError
from graph.store import GraphStore
from queries.base import QueryParameterError, UnknownQueryError, reads_cypher

R = TypeVar("R")
Embedded = TypeVar("Embedded", bound=Callable[..., list[Any]])
Params = dict[str, Any]

QUERY_DIR = Path(__file__).parent
_HEADER = re.compile(r"^//\s*(name|answers|param|index)\s*:\s*(.*?)\s*$")

# ----------------------------------------------------------------------------- files


class QueryFileError(CkbError):
    """A .cypher file whose header is missing or malformed, or that no module registers."""


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


def _header(text: str) -> dict[str, list[str]]:
    """The header's lines by field: the comment lines before the first statement line."""
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
    return fields


def parse_query_file(path: Path) -> QueryFile:
    text = path.read_text(encoding="utf-8")
    fields = _header(text)
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


@cache
def _query_file(name: str) -> QueryFile:
    return parse_query_file(QUERY_DIR / f"{name}.cypher")


# ----------------------------------------------------------------------------- registry


def _no_check(params: Params) -> None:
    return None


def _unchanged(params: Params) -> Params:
    return params


@dataclass(frozen=True)
class NamedQuery(Generic[R]):
    name: str
    embedded: Callable[..., list[Any]]  # (store, **params) -> rows shaped like Cypher's
    result: Callable[[list[Any]], R]
    check: Callable[[Params], None] = _no_check
    # Derives parameters the caller does not type (e.g. a normalised form of their text).
    prepare: Callable[[Params], Params] = _unchanged
    # Answered by ``embedded`` on every store, Neo4j included (through the port): graph
    # algorithms Neo4j Community lacks. Its Cypher file is for analysts.
    in_python: bool = False

    @property
    def file(self) -> QueryFile:
        return _query_file(self.name)


class _Registry(Mapping[str, NamedQuery[Any]]):
    """Every named query by name, in name order. The query modules are imported on first
    use (each registers itself), so importing the engine costs no query module."""

    def __init__(self) -> None:
        self._queries: dict[str, NamedQuery[Any]] = {}
        self._complete: dict[str, NamedQuery[Any]] | None = None

    def add(self, query: NamedQuery[Any]) -> None:
        if query.name in self._queries:
            raise QueryFileError(f"named query {query.name} is registered twice")
        self._queries[query.name] = query

    def _all(self) -> dict[str, NamedQuery[Any]]:
        if self._complete is None:
            files = sorted(QUERY_DIR.glob("*.cypher"))
            for path in files:
                if path.with_suffix(".py").exists():
                    importlib.import_module(f"queries.{path.stem}")
            stems = {p.stem for p in files}
            if unregistered := sorted(stems - self._queries.keys()):
                raise QueryFileError(f"no module registers {', '.join(unregistered)}")
            if fileless := sorted(self._queries.keys() - stems):
                raise QueryFileError(f"no .cypher file for {', '.join(fileless)}")
            self._complete = {name: self._queries[name] for name in sorted(self._queries)}
        return self._complete

    def __getitem__(self, name: str) -> NamedQuery[Any]:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


QUERIES = _Registry()


def named_query(
    name: str,
    result: Callable[[list[Any]], Any],
    check: Callable[[Params], None] = _no_check,
    prepare: Callable[[Params], Params] = _unchanged,
    *,
    in_python: bool = False,
) -> Callable[[Embedded], Embedded]:
    """Register the decorated function as the embedded implementation of the query in
    ``queries/<name>.cypher``, whose rows ``result`` turns into the query's answer."""

    def register(embedded: Embedded) -> Embedded:
        QUERIES.add(NamedQuery(name, embedded, result, check, prepare, in_python))
        return embedded

    return register


# ----------------------------------------------------------------------------- runner

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "int": int,
    "float": (int, float),
    "list": list,
}


def _checked(query: NamedQuery[Any], params: Params) -> Params:
    declared = {p.name: p.type for p in query.file.params}
    missing = sorted(declared.keys() - params.keys())
    extra = sorted(params.keys() - declared.keys())
    if missing or extra:
        # Parameters ckb derives from the others are not the caller's to give.
        typed = [p.name for p in query.file.params if "(derived" not in p.doc]
        missing = [m for m in missing if m in typed] or missing
        raise QueryParameterError(
            f"{query.name} takes {', '.join(typed)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
        )
    for name, type_name in declared.items():
        expected = _TYPES.get(type_name, object)
        value = params[name]
        if not isinstance(value, expected) or (type_name == "int" and isinstance(value, bool)):
            raise QueryParameterError(f"{query.name}: {name} must be {type_name}, got {value!r}")
    query.check(params)
    return params


def run_query(store: GraphStore, name: str, /, **params: Any) -> Any:
    """Answer a named question on whichever store this is."""
    try:
        query = QUERIES[name]
    except KeyError:
        raise UnknownQueryError(f"unknown query {name!r}; queries: {', '.join(QUERIES)}") from None
    params = _checked(query, query.prepare(params))
    rows: list[Any]
    if reads_cypher(store) and not query.in_python:
        rows = store.read_query(name, query.file.text, params)
    else:
        rows = query.embedded(store, **params)
    return query.result(rows)
