"""Value tiers and lifetime value: the rules alone, then the batch job and the segment query
on every store."""

from __future__ import annotations

from datetime import date

import pytest

from graph.store import GraphStore, RelRow
from queries.named import SegmentMember, run_query
from queries.segments import (
    DEFAULT_RULES,
    TierRule,
    assign_segments,
    lifetime_value,
    tenure_years,
    value_tier,
)


@pytest.mark.parametrize(
    ("monthly", "years", "tier"),
    [
        (600, 0, "gold"),
        (250, 5, "gold"),
        (250, 4, "silver"),
        (100, 0, "silver"),
        (60, 3, "silver"),
        (60, 2, "bronze"),
        (0, 30, "bronze"),
    ],
)
def test_default_rules(monthly: float, years: int, tier: str) -> None:
    assert value_tier(monthly, years, DEFAULT_RULES) == tier


def test_custom_rules_first_match_wins() -> None:
    rules = [TierRule("platinum", 1000), TierRule("standard", 0)]
    assert value_tier(1500, 0, rules) == "platinum"
    assert value_tier(999.99, 0, rules) == "standard"


def test_tenure_and_lifetime_value() -> None:
    assert tenure_years("2020-06-15", date(2025, 6, 14)) == 4
    assert tenure_years("2020-06-15", date(2025, 6, 15)) == 5
    assert tenure_years(None, date(2025, 1, 1)) == 0
    assert tenure_years("garbage", date(2025, 1, 1)) == 0
    assert lifetime_value(100) == 8052.10
    assert lifetime_value(0) == 0.0


def test_assign_segments_and_page_through_a_segment(store: GraphStore) -> None:
    store.upsert_nodes("ProductLine", [{"id": "mobile"}])
    store.upsert_nodes("Product", [{"id": "MOB"}])
    store.upsert_relationships("IN_LINE", "Product", "ProductLine", [RelRow("MOB", "mobile")])
    values = {"c1": 700.0, "c2": 260.0, "c3": 120.0, "c4": 10.0, "c5": 600.0}
    store.upsert_nodes(
        "Customer",
        [
            {
                "id": k,
                "name": k.upper(),
                "customer_since": "2018-01-01" if k == "c2" else "2024-01-01",
            }
            for k in values
        ]
        + [{"id": "c6", "name": "C6"}],
    )
    store.upsert_nodes("Holding", [{"id": f"a{k}", "status": "active", "monthly_value": v} for k, v in values.items()]
                       + [{"id": "closed", "status": "closed", "monthly_value": 5000.0}])  # fmt: skip
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow(k, f"a{k}") for k in values] + [RelRow("c4", "closed")],
    )
    store.upsert_relationships(
        "OF_PRODUCT",
        "Holding",
        "Product",
        [RelRow(f"a{k}", "MOB") for k in values] + [RelRow("closed", "MOB")],
    )
    summary = assign_segments(store, date(2025, 6, 1), batch=2)
    assert summary.customers == 6
    assert summary.by_tier == {"gold": 3, "silver": 1, "bronze": 2}
    c4 = store.get_node("Customer", "c4")
    assert c4 is not None
    assert (c4.props["value_tier"], c4.props["lifetime_value"]) == ("bronze", lifetime_value(10.0))
    page1 = run_query(store, "segment_members", tier="gold", after="", first=2)
    assert page1 == [
        SegmentMember("c1", "C1", lifetime_value(700.0)),
        SegmentMember("c2", "C2", lifetime_value(260.0)),
    ]
    page2 = run_query(store, "segment_members", tier="gold", after="c2", first=2)
    assert [m.customer_id for m in page2] == ["c5"]
    assert run_query(store, "segment_members", tier="gold", after="c5", first=2) == []
    assert [
        m.customer_id
        for m in run_query(store, "segment_members", tier="bronze", after="", first=10)
    ] == ["c4", "c6"]
