"""The sample generator: deterministic, realistic enough to load, bad exactly where planted."""

from __future__ import annotations

import csv
import filecmp
import json
import sqlite3
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from loaders.directory import plan_directory
from loaders.pipeline import LoadSummary, load_file
from loaders.sample import generate_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "s"
    generate_sample(400, 7, out)
    return out


def _load_all(sample: Path, store: EmbeddedStore, rejects: Path) -> list[LoadSummary]:
    plan = plan_directory(sample, None)
    assert [p.name for p, _ in plan.skipped] == ["third_party_demographics.csv"]
    return [
        load_file(
            store,
            item.kind,
            item.path,
            item.system,
            rejects_path=rejects / f"{item.path.name}.jsonl",
        )
        for item in plan.loads
    ]


def _dump(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return (
            conn.execute("SELECT * FROM nodes ORDER BY id").fetchall()
            + conn.execute("SELECT * FROM rels ORDER BY id").fetchall()
        )


def test_same_seed_same_bytes(sample: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_sample(400, 7, again)
    names = sorted(p.name for p in sample.iterdir() if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(sample, again, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert len(match) == 22
    other = tmp_path / "other"
    generate_sample(400, 8, other)
    assert not filecmp.cmp(
        sample / "billing.customers.csv", other / "billing.customers.csv", shallow=False
    )


def test_every_planted_record_and_nothing_else_is_rejected_then_reload_is_a_no_op(
    sample: Path, tmp_path: Path
) -> None:
    store = EmbeddedStore(tmp_path / "kb.sqlite")
    summaries = _load_all(sample, store, tmp_path / "rejects")
    rejected = set()
    for s in summaries:
        if s.rejected:
            assert s.rejects_path is not None
            for line in s.rejects_path.read_text().splitlines():
                entry = json.loads(line)
                assert entry["reasons"], entry
                rejected.add((Path(entry["source_file"]).name, entry["line"]))
    with (sample / "truth" / "planted_rejects.csv").open() as f:
        planted = {(row["file"], int(row["line"])) for row in csv.DictReader(f)}
    assert len(planted) >= 15
    assert rejected == planted
    assert sum(s.loaded for s in summaries) > 10_000

    with (sample / "truth" / "identity.csv").open() as f:
        source_records = sum(1 for _ in csv.DictReader(f))
    counts = store.counts()
    assert counts.nodes["SourceRecord"] == source_records
    assert counts.nodes["Customer"] == source_records  # one each until identity resolution
    assert counts.relationships["RESOLVED_TO"] == source_records
    for label in (
        "Household",
        "Holding",
        "Purchase",
        "Touchpoint",
        "Campaign",
        "Consent",
        "CreditProfile",
        "Agent",
    ):
        assert counts.nodes[label] > 0, label
    for rel in (
        "MEMBER_OF",
        "HOLDS",
        "MADE",
        "INCLUDES",
        "HAD_TOUCHPOINT",
        "RESPONDED_TO",
        "RELATED_TO",
        "OWNED_BY",
    ):
        assert counts.relationships[rel] > 0, rel

    before = _dump(store.path)
    again = _load_all(sample, store, tmp_path / "rejects2")
    assert sum(s.nodes_written + s.relationships_written for s in again) == 0
    assert _dump(store.path) == before
    store.close()
