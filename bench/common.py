"""Shared by the benchmarks: a sample loaded into a fresh embedded store."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.embedded import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from identity.resolve import resolve_store
from loaders.directory import plan_directory
from loaders.pipeline import load_file
from sample.generator import generate_sample


def sample_store(customers: int, prefix: str, resolve: bool = False) -> tuple[EmbeddedStore, Path]:
    """Generate the seed-42 sample of this size and load it (and, if asked, run identity
    resolution as ``make demo`` does); returns the store and the work directory (the
    sample, with its ground truth, is under ``sample/``)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    generate_sample(customers, 42, work / "sample")
    store = EmbeddedStore(work / "kb.sqlite", synchronous="NORMAL")
    for item in plan_directory(work / "sample", None).loads:
        load_file(
            store, item.kind, item.path, item.system, rejects_path=work / "rejects" / item.path.name
        )
    if resolve:
        resolve_store(store, date(2026, 11, 23))
    return store, work


def bench_neo4j() -> Neo4jStore | None:
    """The Neo4j named by CKB_BENCH_NEO4J_URI (NEO4J_USER / NEO4J_PASSWORD), cleared and
    with the schema applied; None when the variable is not set."""
    uri = os.environ.get("CKB_BENCH_NEO4J_URI")
    if not uri:
        return None
    neo = Neo4jStore.connect(
        uri, user=os.environ.get("NEO4J_USER"), password=os.environ.get("NEO4J_PASSWORD")
    )
    neo.clear()
    neo.apply_schema()
    return neo


def billing_customers(store: EmbeddedStore) -> dict[str, str]:
    """Billing source record ID -> the customer it resolves to."""
    records = [k for k in store.keys("SourceRecord") if k.startswith("billing:")]
    found = store.neighbours_many("SourceRecord", records, "RESOLVED_TO", limit=1)
    return {key.split(":", 1)[1]: n[0].node.key for key, n in found.items()}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
