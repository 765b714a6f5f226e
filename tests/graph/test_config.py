"""Store settings from the environment and --graph: the embedded default, Neo4j's URI and
credentials, what overrides what, and bad settings explained."""

from __future__ import annotations

import pytest

from graph.config import DEFAULT_GRAPH, settings_from_env
from graph.errors import StoreConfigError


def test_default_is_the_embedded_store() -> None:
    settings = settings_from_env({})
    assert (settings.kind, settings.target) == ("embedded", "./data/ckb.sqlite")
    assert settings.describe() == DEFAULT_GRAPH


def test_embedded_path_and_sync_mode() -> None:
    settings = settings_from_env(
        {"CKB_GRAPH": "embedded:/tmp/x.sqlite", "CKB_SQLITE_SYNC": "normal"}
    )
    assert (settings.target, settings.sqlite_sync) == ("/tmp/x.sqlite", "NORMAL")


def test_neo4j_settings_from_env_and_uri() -> None:
    env = {
        "CKB_GRAPH": "neo4j://db.internal:7687",
        "NEO4J_USER": "ckb",
        "NEO4J_PASSWORD": "s3cret",
        "NEO4J_DATABASE": "kb",
    }
    settings = settings_from_env(env)
    assert (
        settings.kind,
        settings.target,
        settings.user,
        settings.password,
        settings.database,
    ) == (
        "neo4j",
        "neo4j://db.internal:7687",
        "ckb",
        "s3cret",
        "kb",
    )
    inline = settings_from_env({"CKB_GRAPH": "bolt+s://me:pw@host:7687"})
    assert (inline.target, inline.user, inline.password) == ("bolt+s://host:7687", "me", "pw")
    assert "pw" not in inline.describe()


def test_explicit_graph_overrides_env() -> None:
    settings = settings_from_env({"CKB_GRAPH": "neo4j://x:7687"}, graph="embedded:here.sqlite")
    assert settings.target == "here.sqlite"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("postgres://x", "is not understood"),
        ("embedded:", "needs a file path"),
        ("neo4j://", "names no host"),
        ("./data/ckb.sqlite", "is not understood"),
    ],
)
def test_bad_settings_are_explained(spec: str, message: str) -> None:
    with pytest.raises(StoreConfigError, match=message):
        settings_from_env({"CKB_GRAPH": spec})


def test_bad_batch_size_and_sync_mode() -> None:
    with pytest.raises(StoreConfigError, match="CKB_NEO4J_BATCH_SIZE"):
        settings_from_env({"CKB_GRAPH": "bolt://h:7687", "CKB_NEO4J_BATCH_SIZE": "lots"})
    with pytest.raises(StoreConfigError, match="CKB_SQLITE_SYNC"):
        settings_from_env({"CKB_SQLITE_SYNC": "OFF"})
    with pytest.raises(StoreConfigError, match="CKB_SQLITE_BUSY_TIMEOUT"):
        settings_from_env({"CKB_SQLITE_BUSY_TIMEOUT": "0"})
    assert settings_from_env({"CKB_SQLITE_BUSY_TIMEOUT": "5"}).busy_timeout == 5.0
