"""Value tiers and lifetime value: the rules alone, then the batch job and the segment query
on every store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.store import GraphStore, RelRow
from queries.engine import run_query
from queries.segment_members import SegmentMember
from scoring.segments import (
    DEFAULT_RULES,
    TierRule,
    UnknownSegmentError,
    assign_segments,
    check_segment,
    lifetime_value,
    list_segments,
    segment_definition,
    segment_names,
    segment_size,
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


def test_the_segments_are_the_tiers_and_another_name_is_refused() -> None:
    assert segment_names() == ("gold", "silver", "bronze")
    assert segment_names([TierRule("platinum", 1000), TierRule("standard", 0)]) == (
        "platinum",
        "standard",
    )
    assert segment_definition("gold") == (
        "monthly value >= 500; or monthly value >= 200 with tenure >= 5 years"
    )
    assert segment_definition("bronze") == "any other customer"
    assert check_segment("silver") == "silver"
    with pytest.raises(UnknownSegmentError, match=r"no segment 'platinum'; the segments are gold, silver, bronze"):  # fmt: skip
        check_segment("platinum")


def test_list_segments_counts_what_the_last_run_stored(store: GraphStore) -> None:
    tiers = ["gold", "bronze", "bronze", None, "bronze", "gold"]
    store.upsert_nodes(
        "Customer", [{"id": f"c{i}", "value_tier": tier} for i, tier in enumerate(tiers)]
    )
    assert [(s.name, s.customers) for s in list_segments(store)] == [
        ("gold", 2),
        ("silver", 0),
        ("bronze", 3),
    ]
    assert list_segments(store)[2].definition == "any other customer"
    assert segment_size(store, "gold") == 2
    with pytest.raises(UnknownSegmentError):
        segment_size(store, "Gold")


def test_graphql_lists_segments_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    import httpx

    from api.auth import AuthSettings
    from api.http.app import create_app
    from api.http.ingest import IngestSettings
    from graph.embedded import EmbeddedStore
    from tests.support.serve import LiveServer

    path = tmp_path / "kb.sqlite"
    with EmbeddedStore(path) as made:
        made.apply_schema()
        made.upsert_nodes("Customer", [{"id": "c1", "value_tier": "gold"}, {"id": "c2"}])
    auth = AuthSettings.from_env({"CKB_API_KEYS": "ana:analyst:k"})
    app = create_app(lambda: EmbeddedStore(path), IngestSettings(rejects_dir=tmp_path), auth)

    def ask(query: str) -> dict[str, Any]:
        r = httpx.post(
            f"{live.url}/graphql",
            json={"query": query},
            headers={"authorization": "Bearer k"},
            timeout=30,
        )
        body: dict[str, Any] = r.json()
        return body

    with LiveServer(app) as live:
        listed = ask("{ segments { name definition size } }")
        assert "errors" not in listed, listed
        assert [(s["name"], s["size"]) for s in listed["data"]["segments"]] == [
            ("gold", 1),
            ("silver", 0),
            ("bronze", 0),
        ]
        assert listed["data"]["segments"][2]["definition"] == "any other customer"
        unknown = ask('{ segment(name: "platinum") { name size } }')
        assert unknown["data"] is None
        [error] = unknown["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"] == "no segment 'platinum'; the segments are gold, silver, bronze"
