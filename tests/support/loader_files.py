"""Files for the loader tests, and what a load leaves behind: a text file written (and
loaded), its rejects file read back, the stored source record and the singleton customer
of a record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graph.store import GraphStore
from loaders.pipeline import LoadSummary, load_file
from loaders.record_rows import singleton_customer_id

CUSTOMERS_HEADER = "source_record_id,name,email,phone,postal_code\n"
"""The header of the customer files the loader fault tests write."""


def write_file(path: Path, text: str) -> Path:
    """``text`` written to ``path`` in UTF-8; the path."""
    path.write_text(text, encoding="utf-8")
    return path


def load_text(
    store: GraphStore, kind: str, path: Path, text: str, system: str, **options: Any
) -> LoadSummary:
    """``text`` written to ``path`` and loaded as ``kind`` records from ``system``
    (``options`` as ``load_file`` takes them)."""
    return load_file(store, kind, write_file(path, text), system, **options)


def read_rejects(path: Path) -> list[dict[str, object]]:
    """Every entry of the rejects file at ``path``."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def source_props(store: GraphStore, key: str) -> dict[str, object]:
    """The properties of source record ``key``, which must exist."""
    node = store.get_node("SourceRecord", key)
    assert node is not None, key
    return dict(node.props)


def customer_props(store: GraphStore, system: str, record_id: str) -> dict[str, object]:
    """The properties of the customer record ``record_id`` of ``system`` made, which must
    exist."""
    node = store.get_node("Customer", singleton_customer_id(system, record_id))
    assert node is not None
    return dict(node.props)
