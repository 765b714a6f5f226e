"""Ad-hoc Cypher against Neo4j for analysts (``ckb cypher``): typed parameters, read
transactions unless writing is asked for, a time limit, and driver errors as one line.

Only Neo4j speaks Cypher; the embedded store answers the named queries but not ad-hoc
Cypher, so on it the caller is told how to get the same data into Neo4j.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver, GraphDatabase, ManagedTransaction, unit_of_work
from neo4j import exceptions as neo4j_errors

from graph.config import StoreSettings
from graph.errors import CkbError, StoreUnavailableError, one_line

EMBEDDED_HINT = (
    "ckb cypher needs Neo4j, and {store} is the embedded store: put the same data into "
    "Neo4j with `ckb export neo4j out/` (offline import, docs/analysts.md) or "
    "`ckb copy --to neo4j://localhost:7687` (a running Neo4j), then run with "
    "CKB_GRAPH=neo4j://localhost:7687"
)
DEFAULT_TIMEOUT = 60.0
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class CypherParameterError(CkbError):
    """A ``--param`` that is not NAME=VALUE or whose JSON does not parse."""


class CypherQueryError(CkbError):
    """Neo4j refused or failed a statement."""


def parse_value(raw: str) -> Any:
    """A parameter value, typed as a person would read it: whole numbers are integers,
    other numbers floats, true / false booleans, null nothing, [..] and {..} JSON lists
    and maps, "..." a JSON string (to pass "42" as text); anything else the text as it is."""
    text = raw.strip()
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if text[:1] in ("[", "{", '"'):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise CypherParameterError(f"{raw!r} is not valid JSON: {exc}") from None
    return raw


def parse_param(item: str) -> tuple[str, Any]:
    name, sep, value = item.partition("=")
    name = name.strip().lstrip("$")
    if not sep or not _NAME.fullmatch(name):
        raise CypherParameterError(f"write parameters as NAME=VALUE, e.g. tier=gold; got {item!r}")
    return name, parse_value(value)


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    return dict(parse_param(item) for item in items)


def split_statements(text: str) -> tuple[list[str], str]:
    """Complete statements (ended by ``;`` outside quotes and comments) and the rest."""
    statements: list[str] = []
    start = 0
    i = 0
    quote: str | None = None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in ("'", '"', "`"):
            quote = ch
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        elif ch == ";":
            statement = text[start:i].strip()
            if statement:
                statements.append(statement)
            start = i + 1
        i += 1
    return statements, text[start:]


@dataclass(frozen=True, slots=True)
class CypherResult:
    keys: list[str]
    rows: list[list[Any]]
    counters: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class CypherSession:
    """One driver for a run of statements (a command or an interactive prompt)."""

    def __init__(self, driver: Driver, database: str, description: str) -> None:
        self._driver = driver
        self._database = database
        self.description = description

    @classmethod
    def open(cls, settings: StoreSettings) -> CypherSession:
        if settings.kind != "neo4j":
            raise StoreUnavailableError(EMBEDDED_HINT.format(store=settings.describe()))
        auth = (settings.user or "neo4j", settings.password) if settings.password else None
        try:
            driver = GraphDatabase.driver(settings.target, auth=auth, connection_timeout=10.0)
            driver.verify_connectivity()
        except neo4j_errors.AuthError:
            raise StoreUnavailableError(
                f"Neo4j at {settings.target} refused the credentials "
                "(check NEO4J_USER / NEO4J_PASSWORD)"
            ) from None
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError, ValueError) as exc:
            raise StoreUnavailableError(
                f"cannot reach Neo4j at {settings.target}: {one_line(exc)}"
            ) from None
        return cls(driver, settings.database, f"{settings.target} (database {settings.database})")

    def close(self) -> None:
        self._driver.close()

    def run(
        self,
        query: str,
        params: dict[str, Any] | None = None,
        *,
        write: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> CypherResult:
        """Run one statement in a read transaction (a write one with ``write``), ended by
        the server after ``timeout`` seconds."""
        params = params or {}
        started = time.perf_counter()

        @unit_of_work(timeout=timeout)
        def work(tx: ManagedTransaction) -> CypherResult:
            result = tx.run(query, params)
            keys = list(result.keys())
            rows = [list(record.values()) for record in result]
            counters = result.consume().counters
            changed = {
                name: int(getattr(counters, name))
                for name in _COUNTERS
                if int(getattr(counters, name, 0) or 0)
            }
            return CypherResult(keys, rows, changed)

        with (
            self._translated(timeout),
            self._driver.session(database=self._database) as session,
        ):
            found = session.execute_write(work) if write else session.execute_read(work)
        return CypherResult(found.keys, found.rows, found.counters, time.perf_counter() - started)

    @staticmethod
    def _refusal(exc: neo4j_errors.Neo4jError, timeout: float) -> str:
        code = exc.code or ""
        message = exc.message or one_line(exc)
        if code.endswith("AccessMode") or "in read access mode" in message:
            return "this statement writes; run it again with --write (read-only by default)"
        if code.endswith("Forbidden") or code.startswith("Neo.ClientError.Security"):
            return f"Neo4j refused: your role may not do this ({one_line(exc)})"
        if "TransactionTimedOut" in code or "Terminated" in code or "timed out" in message:
            return f"the statement ran longer than the {timeout:g} s limit (--timeout)"
        return f"Neo4j: {code.removeprefix('Neo.')}: {' '.join(message.split())}"

    @contextlib.contextmanager
    def _translated(self, timeout: float) -> Iterator[None]:
        try:
            yield
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
            raise StoreUnavailableError(f"lost Neo4j: {one_line(exc)}") from None
        except neo4j_errors.Neo4jError as exc:
            raise CypherQueryError(self._refusal(exc, timeout)) from None
        except neo4j_errors.DriverError as exc:
            raise CypherQueryError(f"Neo4j driver: {one_line(exc)}") from None


_COUNTERS = (
    "nodes_created",
    "nodes_deleted",
    "relationships_created",
    "relationships_deleted",
    "properties_set",
    "labels_added",
    "labels_removed",
    "indexes_added",
    "indexes_removed",
    "constraints_added",
    "constraints_removed",
)
