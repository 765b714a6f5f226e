"""`ckb enrich` on every store: match rate, consent gate, unmatched and rejected rows."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from graph.store import GraphStore, RelRow
from identity.resolve import resolve_store
from loaders.enrich import enrich
from tests.support.identity_fixtures import TODAY, customer_of, load_customer_records

DEMOGRAPHICS = (
    "provider,name,address,postal_code,birth_date,household_size,income_band,home_value_band\n"
    "dataco,Ann Lee,5 Elm St,10001,1980-05-06,2,75-100k,250-500k\n"
    "dataco,BOB STONE,9 Pine Road,20002,1975-01-02,1,50-75k,renting\n"
    "dataco,Nobody Known,1 Nowhere,99999,1970-01-01,3,<25k,<100k\n"
    "dataco,Cy Twain,1 Oak Lane,30003,1990-03-04,1,lots,<100k\n"
)


def test_enrich_matches_and_attaches_only_with_consent(store: GraphStore, tmp_path: Path) -> None:
    load_customer_records(store, tmp_path)
    resolve_store(store, TODAY)
    ann, bob = customer_of(store, "billing:B1"), customer_of(store, "billing:B2")
    store.upsert_nodes(
        "Consent",
        [
            {"id": "k-ann", "purpose": "third_party_data", "channel": "any", "granted": True},
            {"id": "k-bob", "purpose": "third_party_data", "channel": "any", "granted": False},
        ],
    )
    store.upsert_relationships(
        "HAS_CONSENT", "Customer", "Consent", [RelRow(ann, "k-ann"), RelRow(bob, "k-bob")]
    )
    path = tmp_path / "dataco.csv"
    path.write_text(DEMOGRAPHICS, encoding="utf-8")
    unmatched = tmp_path / "unmatched.csv"
    summary = enrich(store, path, unmatched, tmp_path / "rejects.jsonl", date(2026, 11, 23))
    assert (summary.rows, summary.rejected, summary.matched) == (4, 1, 2)
    assert (summary.attached, summary.no_consent, summary.unmatched) == (1, 1, 1)
    assert summary.match_rate == 2 / 3
    [profile] = store.neighbours("Customer", ann, "HAS_THIRD_PARTY_PROFILE")
    assert profile.node.props["income_band"] == "75-100k"
    assert profile.node.props["provider"] == "dataco"
    assert store.neighbours("Customer", bob, "HAS_THIRD_PARTY_PROFILE") == []
    with unmatched.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["line"], r["reason"]) for r in rows] == [("4", "no candidate")]
    assert "income_band" in (tmp_path / "rejects.jsonl").read_text(encoding="utf-8")
    # Re-running attaches nothing new.
    again = enrich(store, path, unmatched, tmp_path / "rejects2.jsonl", date(2026, 11, 23))
    assert again.attached == 1
    assert len(store.neighbours("Customer", ann, "HAS_THIRD_PARTY_PROFILE")) == 1
