"""Scripted stand-ins for the Neo4j Python driver, so the Neo4j adapter and ``ckb cypher``
run without a server: each statement is answered by a ``respond`` function the test
writes, and what was sent is recorded.

``FakeDriver`` serves the store adapter (graph/neo4j_store.py): records come back as
dicts and every call is recorded as a ``Call``. ``ScriptedNeo4j`` serves the Cypher shell
(graph/cypher_shell.py): answers are a table (keys and rows) and every statement is
recorded as a ``Sent`` with its time limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[list[str], list[list[Any]]]
"""What ``ScriptedNeo4j`` answers a statement with: the column names and the rows."""


@dataclass
class Counters:
    """The write counters of a result's summary."""

    nodes_created: int = 0
    relationships_created: int = 0
    properties_set: int = 0


Respond = Callable[[str, dict[str, Any]], tuple[list[dict[str, Any]], Counters]]
"""How ``FakeDriver`` answers a statement and its parameters: records and counters."""


class FakeRecord:
    """One record: read by name (``data``) or by position (``values``)."""

    def __init__(self, keys: list[str], values: list[Any]) -> None:
        self._keys = keys
        self._values = values

    def data(self) -> dict[str, Any]:
        return dict(zip(self._keys, self._values, strict=True))

    def values(self) -> list[Any]:
        return self._values


class FakeResult:
    """A statement's result: its records, then a summary with the write counters."""

    def __init__(self, keys: list[str], records: list[FakeRecord], counters: Any) -> None:
        self._keys = keys
        self._records = records
        self._counters = counters

    @classmethod
    def of_dicts(cls, records: list[dict[str, Any]], counters: Any) -> FakeResult:
        """The result holding ``records``, each a dict of its fields."""
        keys = list(records[0]) if records else []
        return cls(keys, [FakeRecord(list(r), list(r.values())) for r in records], counters)

    @classmethod
    def of_table(cls, keys: list[str], rows: list[list[Any]], counters: Any) -> FakeResult:
        """The result holding ``rows``, each a list of values under ``keys``."""
        return cls(keys, [FakeRecord(keys, row) for row in rows], counters)

    def keys(self) -> list[str]:
        return self._keys

    def __iter__(self) -> Iterator[FakeRecord]:
        return iter(self._records)

    def consume(self) -> Any:
        return type("Summary", (), {"counters": self._counters})()


# --------------------------------------------------------------- the store adapter's driver


@dataclass
class Call:
    """One statement (or commit, or rollback) the adapter sent."""

    kind: str  # read | write | explicit | autocommit | commit | rollback
    database: str | None
    text: str
    params: dict[str, Any]


@dataclass
class FakeDriver:
    """A driver whose statements ``respond`` answers; ``calls`` records them in order."""

    respond: Respond
    calls: list[Call] = field(default_factory=list)
    connect_error: Exception | None = None
    closed: bool = False

    def verify_connectivity(self) -> None:
        if self.connect_error:
            raise self.connect_error

    def session(self, database: str | None = None) -> FakeSession:
        return FakeSession(self, database)

    def close(self) -> None:
        self.closed = True


class FakeTx:
    """A transaction of ``FakeDriver``: managed (read, write), explicit or autocommit."""

    def __init__(self, session: FakeSession, kind: str) -> None:
        self.session = session
        self.kind = kind

    def commit(self) -> None:
        self.session.driver.calls.append(Call("commit", self.session.database, "", {}))
        self.kind = "done"

    def close(self) -> None:
        if self.kind != "done":  # an explicit transaction closed without commit rolls back
            self.session.driver.calls.append(Call("rollback", self.session.database, "", {}))

    def run(self, text: str, params: dict[str, Any] | None = None) -> FakeResult:
        params = params or {}
        self.session.driver.calls.append(Call(self.kind, self.session.database, text, params))
        records, counters = self.session.driver.respond(text, params)
        return FakeResult.of_dicts(records, counters)


class FakeSession:
    """A session of ``FakeDriver`` on one database."""

    def __init__(self, driver: FakeDriver, database: str | None) -> None:
        self.driver = driver
        self.database = database

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute_write(self, work: Callable[[FakeTx], Any]) -> Any:
        return work(FakeTx(self, "write"))

    def begin_transaction(self) -> FakeTx:
        return FakeTx(self, "explicit")

    def close(self) -> None:
        pass

    def execute_read(self, work: Callable[[FakeTx], Any]) -> Any:
        return work(FakeTx(self, "read"))

    def run(self, query: Any) -> FakeResult:
        return FakeTx(self, "autocommit").run(str(query.text))


def respond_nothing(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
    """An answer to any statement: no records, nothing written."""
    return [], Counters()


# --------------------------------------------------------------- the Cypher shell's driver


@dataclass
class Sent:
    """One statement the shell sent, in its transaction mode and with its time limit."""

    mode: str
    database: str | None
    query: str
    params: dict[str, Any]
    timeout: float | None


@dataclass
class ScriptedNeo4j:
    """Answers each statement with ``respond(query, params)``; records what was sent."""

    respond: Callable[[str, dict[str, Any]], Answer]
    sent: list[Sent] = field(default_factory=list)
    counters: Any = field(default_factory=Counters)
    closed: bool = False

    def verify_connectivity(self) -> None:
        pass

    def session(self, database: str | None = None) -> ScriptedSession:
        return ScriptedSession(self, database)

    def close(self) -> None:
        self.closed = True


class ScriptedTx:
    """A managed transaction of ``ScriptedNeo4j``, with the time limit its work carried."""

    def __init__(self, session: ScriptedSession, mode: str, timeout: float | None) -> None:
        self.session, self.mode, self.timeout = session, mode, timeout

    def run(self, query: str, params: dict[str, Any]) -> FakeResult:
        driver = self.session.driver
        driver.sent.append(Sent(self.mode, self.session.database, query, params, self.timeout))
        keys, rows = driver.respond(query, params)
        return FakeResult.of_table(keys, rows, driver.counters)


class ScriptedSession:
    """A session of ``ScriptedNeo4j`` on one database."""

    def __init__(self, driver: ScriptedNeo4j, database: str | None) -> None:
        self.driver, self.database = driver, database

    def __enter__(self) -> ScriptedSession:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute_read(self, work: Any) -> Any:
        return work(ScriptedTx(self, "read", getattr(work, "timeout", None)))

    def execute_write(self, work: Any) -> Any:
        return work(ScriptedTx(self, "write", getattr(work, "timeout", None)))
