"""One setting picks the store: ``CKB_GRAPH``.

``embedded:PATH`` (the default, ``embedded:./data/ckb.sqlite``) or a Neo4j URI
(``neo4j://``, ``bolt://`` and their ``+s`` / ``+ssc`` variants) with ``NEO4J_USER``,
``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from graph.errors import StoreConfigError
from graph.store import GraphStore

DEFAULT_GRAPH = "embedded:./data/ckb.sqlite"
NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


@dataclass(frozen=True, slots=True)
class StoreSettings:
    kind: Literal["embedded", "neo4j"]
    target: str  # file path or Neo4j URI without credentials
    user: str | None = None
    password: str | None = None
    database: str = "neo4j"
    batch_size: int = 1000
    sqlite_sync: str = "FULL"
    # How long an embedded write waits for another process's write to end.
    busy_timeout: float = 60.0

    def describe(self) -> str:
        return self.target if self.kind == "neo4j" else f"embedded:{self.target}"


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise StoreConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < 1:
        raise StoreConfigError(f"{name} must be at least 1, got {value}")
    return value


def settings_from_env(
    env: Mapping[str, str] | None = None, graph: str | None = None
) -> StoreSettings:
    env = os.environ if env is None else env
    spec = (graph if graph is not None else env.get("CKB_GRAPH", DEFAULT_GRAPH)).strip()
    if not spec:
        spec = DEFAULT_GRAPH
    if spec.startswith("embedded:"):
        path = spec.removeprefix("embedded:").strip()
        if not path:
            raise StoreConfigError(
                "CKB_GRAPH=embedded: needs a file path, e.g. embedded:./data/ckb.sqlite"
            )
        sync = env.get("CKB_SQLITE_SYNC", "FULL").upper()
        if sync not in {"FULL", "NORMAL", "EXTRA"}:
            raise StoreConfigError(f"CKB_SQLITE_SYNC={sync!r}: use FULL, NORMAL or EXTRA")
        wait = _positive_int("CKB_SQLITE_BUSY_TIMEOUT", env.get("CKB_SQLITE_BUSY_TIMEOUT", "60"))
        return StoreSettings("embedded", path, sqlite_sync=sync, busy_timeout=float(wait))
    parts = urlsplit(spec)
    if parts.scheme in NEO4J_SCHEMES:
        if not parts.hostname:
            raise StoreConfigError(f"CKB_GRAPH={spec!r} names no host, e.g. neo4j://localhost:7687")
        user = parts.username or env.get("NEO4J_USER") or "neo4j"
        password = parts.password or env.get("NEO4J_PASSWORD")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        batch = _positive_int("CKB_NEO4J_BATCH_SIZE", env.get("CKB_NEO4J_BATCH_SIZE", "1000"))
        return StoreSettings(
            "neo4j",
            clean,
            user=user,
            password=password,
            database=env.get("NEO4J_DATABASE") or "neo4j",
            batch_size=batch,
        )
    raise StoreConfigError(
        f"CKB_GRAPH={spec!r} is not understood; use embedded:PATH "
        f"(default {DEFAULT_GRAPH}) or a Neo4j URI such as neo4j://localhost:7687"
    )


def open_store(settings: StoreSettings | None = None) -> GraphStore:
    """Open the configured store; errors are StoreError subclasses with one-line messages."""
    settings = settings or settings_from_env()
    if settings.kind == "embedded":
        from graph.embedded import EmbeddedStore

        return EmbeddedStore(
            settings.target,
            synchronous=settings.sqlite_sync,
            busy_timeout=settings.busy_timeout,
        )
    # Imported here so an embedded-only run never pays for the driver import.
    from graph.neo4j_store import Neo4jStore

    return Neo4jStore.connect(
        settings.target,
        user=settings.user,
        password=settings.password,
        database=settings.database,
        batch_size=settings.batch_size,
    )
