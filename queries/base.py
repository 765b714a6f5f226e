"""What every named query shares: the row shape, parameter errors, bound checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graph.errors import CkbError

Record = dict[str, Any]


class UnknownQueryError(CkbError):
    pass


class QueryParameterError(CkbError):
    """Parameters that do not match the query's declaration, or out of range."""


def bounded(param: str, most: int, least: int = 1) -> Callable[[dict[str, Any]], None]:
    """A check that a numeric parameter lies in least..most (page sizes, caps)."""

    def check(params: dict[str, Any]) -> None:
        if not least <= params[param] <= most:
            raise QueryParameterError(
                f"{param} must be between {least} and {most}, got {params[param]}"
            )

    return check


def number(value: Any) -> float | None:
    return None if value is None else float(value)


CypherReader = Callable[[str, str, dict[str, Any]], list[Record]]


def cypher_reader(store: object) -> CypherReader | None:
    """How this store answers Cypher (Neo4jStore.read_query), or None (embedded).

    Asked by attribute rather than by class, so a proxy in front of the store
    (api.http.instrumented_store) is served the same way as the store itself.
    """
    reader: CypherReader | None = getattr(store, "read_query", None)
    return reader
