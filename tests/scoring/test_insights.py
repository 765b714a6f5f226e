"""Churn, RFM, white space and channel preference: the pure rules alone, then the named
queries and `ckb segment` on every store, against hand-checked answers."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from graph.store import GraphStore, RelRow
from queries.at_risk import AtRisk
from queries.base import QueryParameterError
from queries.channel_preference import ChannelStats
from queries.engine import run_query
from scoring.churn import (
    ChurnInputs,
    Window,
    assess,
    churn_inputs,
    holding_active,
    risk_key,
)
from scoring.rfm import RfmValues, rfm_code, rfm_cuts, rfm_values
from scoring.segments import assign_segments
from scoring.whitespace import co_ownership, rank_white_space

AS_OF = date(2026, 6, 30)

# ----------------------------------------------------------------------------- pure rules


def test_window_boundaries_count_the_whole_as_of_day() -> None:
    w = Window(AS_OF)
    assert w.until == "2026-07-01"
    assert w.params()["since90"] == "2026-04-02"  # 90 days: 2026-04-02 .. 2026-06-30
    assert w.until > "2026-06-30T23:59:59Z"
    assert "2026-04-02T00:00:00Z" >= w.params()["since90"] > "2026-04-01T23:59:59Z"


@pytest.mark.parametrize(
    ("holding", "active"),
    [
        ({"status": "active", "opened_on": "2020-01-01"}, True),
        ({"status": "active", "opened_on": "2026-07-01"}, False),  # opened after
        ({"status": "closed", "closed_on": "2026-08-01"}, True),  # closed after: active then
        ({"status": "closed", "closed_on": "2026-06-30"}, False),
        ({"status": "closed"}, False),
        ({"status": "suspended"}, False),
    ],
)
def test_holding_active_as_of(holding: dict[str, str], active: bool) -> None:
    assert holding_active(holding, Window(AS_OF)) is active


def _no_signals(**changes: object) -> ChurnInputs:
    base = ChurnInputs(
        holdings=2,
        active_holdings=2,
        closed_recently=(),
        complaints_90d=0,
        open_complaints=0,
        oldest_open_complaint=None,
        competitor_inquiries=0,
        last_competitor_inquiry=None,
        inbound_recent=3,
        inbound_prior=6,
    )
    return dataclasses.replace(base, **changes)


def test_each_signal_fires_on_its_threshold_and_not_below() -> None:
    w = Window(AS_OF)
    assert assess("c", _no_signals(), w).score == 0.0
    assert [s.name for s in assess("c", _no_signals(complaints_90d=2), w).signals] == []
    burst = assess("c", _no_signals(complaints_90d=3), w)
    assert [(s.name, s.evidence) for s in burst.signals] == [
        ("complaint_burst", "3 complaints in the last 90 days")
    ]
    assert burst.score == 0.45
    # 6 contacts in 270 days = 2 per 90 days; 1 recent is below half of that, 1.0 is not.
    assert [s.name for s in assess("c", _no_signals(inbound_recent=0), w).signals] == [
        "falling_activity"
    ]
    assert assess("c", _no_signals(inbound_recent=1), w).signals == ()
    assert assess("c", _no_signals(inbound_prior=3, inbound_recent=0), w).signals == ()
    # Closing a product while keeping none is lapsing, not a signal.
    lapsed = assess("c", _no_signals(active_holdings=0, closed_recently=("a1",)), w)
    assert (lapsed.lapsed, lapsed.score, lapsed.signals) == (True, None, ())
    never_held = assess("c", _no_signals(holdings=0, active_holdings=0), w)
    assert (never_held.lapsed, never_held.score) == (False, 0.0)


def _churn_history() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    holdings: list[dict[str, object]] = [
        {"id": "h1", "status": "active", "opened_on": "2020-01-01"},
        {"id": "h2", "status": "closed", "opened_on": "2021-01-01", "closed_on": "2026-05-01"},
        {"id": "h3", "status": "active", "opened_on": "2026-07-15"},
        {"id": "h4", "status": "closed", "opened_on": "2021-01-01", "closed_on": "2026-08-01"},
    ]
    complaint = {"kind": "complaint", "direction": "inbound", "channel": "call_center"}
    touchpoints: list[dict[str, object]] = [
        {"id": "c1", **complaint, "occurred_at": "2026-06-25T09:00:00Z", "resolution_status": "open"},
        {"id": "c2", **complaint, "occurred_at": "2026-05-10T09:00:00Z",
         "resolution_status": "resolved", "resolved_at": "2026-07-05T09:00:00Z"},
        {"id": "c3", **complaint, "occurred_at": "2026-04-15T09:00:00Z",
         "resolution_status": "resolved", "resolved_at": "2026-04-20T09:00:00Z"},
        {"id": "c4", **complaint, "occurred_at": "2026-07-10T09:00:00Z", "resolution_status": "open"},
        {"id": "q1", "kind": "inquiry", "direction": "inbound", "channel": "call_center",
         "occurred_at": "2026-06-01T09:00:00Z", "reason": "competitor_offer"},
        {"id": "q2", "kind": "inquiry", "direction": "inbound", "channel": "call_center",
         "occurred_at": "2026-03-01T09:00:00Z", "category": "switching"},
    ] + [
        {"id": f"w{i}", "kind": "visit", "direction": "inbound", "channel": "web",
         "occurred_at": f"2025-{9 + i}-1{i}T12:00:00Z"}
        for i in range(3)
    ] + [
        {"id": f"m{i}", "kind": "campaign_contact", "direction": "outbound", "channel": ch,
         "occurred_at": f"2026-02-0{i + 1}T08:00:00Z"}
        for i, ch in enumerate(["email", "post"])
    ] + [
        {"id": "r1", "kind": "campaign_response", "direction": "inbound", "channel": "web",
         "occurred_at": "2026-02-03T08:00:00Z"},
    ]  # fmt: skip
    return holdings, touchpoints


def test_churn_inputs_and_score_on_a_hand_checked_history() -> None:
    holdings, touchpoints = _churn_history()
    inputs = churn_inputs(touchpoints, holdings, Window(AS_OF))
    assert inputs == ChurnInputs(
        holdings=3,
        active_holdings=2,
        closed_recently=("h2",),
        complaints_90d=3,
        open_complaints=1,
        oldest_open_complaint="2026-05-10T09:00:00Z",
        competitor_inquiries=1,
        last_competitor_inquiry="2026-06-01T09:00:00Z",
        inbound_recent=4,
        inbound_prior=5,
    )
    risk = assess("ann", inputs, Window(AS_OF))
    assert [(s.name, s.evidence) for s in risk.signals] == [
        (
            "competitor_inquiry",
            "1 inquiry about switching or a competitor offer, the last 29 days ago",
        ),
        ("complaint_burst", "3 complaints in the last 90 days"),
        ("product_closure", "closed h2 in the last 180 days; 2 still active"),
        ("unresolved_complaint", "1 complaint(s) unresolved, the oldest open 51 days"),
    ]
    assert risk.score == round(1 - 0.4 * 0.55 * 0.7 * 0.7, 4) == 0.8922


def test_rfm_quintiles_five_is_best() -> None:
    purchases = [
        {"purchased_at": "2026-06-20T10:00:00Z", "amount": 100.0},
        {"purchased_at": "2026-01-20T10:00:00Z", "amount": 50},
        {"purchased_at": "2025-01-01T10:00:00Z", "amount": 999.0},  # outside the year
        {"purchased_at": "2026-07-02T10:00:00Z", "amount": 999.0},  # after the as-of date
    ]
    assert rfm_values(purchases, AS_OF) == RfmValues(10, 2, 150.0)
    assert rfm_values(purchases[2:3], AS_OF) is None
    population = [RfmValues(d, f, m) for d, f, m in zip(range(10, 110, 10), range(1, 11), range(100, 1100, 100), strict=True)]  # fmt: skip
    cuts = rfm_cuts(population)
    assert cuts.frequency == (3, 5, 7, 9)
    assert rfm_code(RfmValues(10, 10, 1000.0), cuts) == "555"
    assert rfm_code(RfmValues(100, 1, 100.0), cuts) == "111"
    assert rfm_code(RfmValues(50, 5, 500.0), cuts) == "433"


def test_co_ownership_rules_and_ranking_with_evidence() -> None:
    customers = [{"mobile", "broadband"}] * 6 + [{"mobile"}] * 4 + [{"tv"}] * 10 + [set()] * 5
    stats = co_ownership(customers, min_support=5)
    assert stats.base == 20
    assert stats.holders == {"mobile": 10, "broadband": 6, "tv": 10}
    # 6 of 10 mobile holders hold broadband; broadband's penetration is 6/20 = 0.3.
    assert stats.pairs == {("mobile", "broadband"): (6, 0.6, 2.0), ("broadband", "mobile"): (6, 1.0, 2.0)}  # fmt: skip
    ranked = rank_white_space(
        [
            {"line": "tv", "name": "TV", "penetration": 0.5, "rules": [], "products": []},
            {
                "line": "broadband",
                "name": "Broadband",
                "penetration": 0.3,
                "rules": [{"basis": "mobile", "customers": 6, "confidence": 0.6, "lift": 2.0}],
                "products": [
                    {"id": "BB-1", "name": "Fibre", "holders": 2},
                    {"id": "BB-2", "name": "Fibre Max", "holders": 4},
                ],
            },
        ],
        first=5,
    )
    assert [(r.line, r.score, r.basis_line, r.product_id) for r in ranked] == [
        ("broadband", 0.6, "mobile", "BB-2"),
        ("tv", 0.5, None, None),
    ]
    assert ranked[0].evidence == (
        "Broadband: held by 60% of customers who hold mobile (2.0 times the 30% base rate, "
        "6 customers)"
    )
    assert ranked[1].evidence == "TV: held by 50% of all customers"


# ----------------------------------------------------------------------------- on every store


def _load_history(store: GraphStore) -> None:
    holdings, touchpoints = _churn_history()
    store.upsert_nodes("Customer", [{"id": "ann", "name": "Ann"}, {"id": "bob"}, {"id": "cy"}])
    store.upsert_nodes(
        "Holding",
        [dict(h) for h in holdings]
        + [{"id": "b1", "status": "closed", "opened_on": "2020-01-01", "closed_on": "2026-01-01"}],
    )
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow("ann", str(h["id"])) for h in holdings] + [RelRow("bob", "b1")],
    )
    store.upsert_nodes("Touchpoint", touchpoints)
    store.upsert_relationships(
        "HAD_TOUCHPOINT",
        "Customer",
        "Touchpoint",
        [RelRow("ann", str(t["id"])) for t in touchpoints],
    )
    store.upsert_nodes("Campaign", [{"id": "K1"}, {"id": "K2"}])
    store.upsert_relationships(
        "PART_OF", "Touchpoint", "Campaign", [RelRow("m0", "K1"), RelRow("m1", "K2")]
    )
    store.upsert_relationships(
        "RESPONDED_TO", "Touchpoint", "Campaign", [RelRow("r1", "K1", {"converted": True})]
    )
    store.upsert_nodes(
        "Touchpoint",
        [
            {"id": f"cy{i}", "kind": "visit", "direction": "inbound", "channel": "store",
             "occurred_at": f"2025-1{i}-01T10:00:00Z"}
            for i in range(2)
        ],
    )  # fmt: skip
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow("cy", f"cy{i}") for i in range(2)]
    )


def test_churn_risk_query(store: GraphStore) -> None:
    _load_history(store)
    risk = run_query(store, "churn_risk", customerId="ann", asOf="2026-06-30")
    assert risk.score == 0.8922
    assert [s.name for s in risk.signals] == [
        "competitor_inquiry",
        "complaint_burst",
        "product_closure",
        "unresolved_complaint",
    ]
    # A year earlier none of it had happened yet: no complaints, the web visits were recent.
    calm = run_query(store, "churn_risk", customerId="ann", asOf="2025-11-30")
    assert (calm.score, calm.signals) == (0.0, ())
    bob = run_query(store, "churn_risk", customerId="bob", asOf="2026-06-30")
    assert (bob.lapsed, bob.score) == (True, None)
    cy = run_query(store, "churn_risk", customerId="cy", asOf="2026-06-30")
    assert (cy.lapsed, cy.score, cy.signals) == (False, 0.0, ())  # 2 prior contacts: too few
    assert run_query(store, "churn_risk", customerId="nobody", asOf="2026-06-30") is None
    with pytest.raises(QueryParameterError, match="asOf must be a date"):
        run_query(store, "churn_risk", customerId="ann", asOf="30/06/2026")


def test_channel_preference_by_use_and_by_response(store: GraphStore) -> None:
    _load_history(store)
    pref = run_query(
        store, "channel_preference", customerId="ann", **{"from": "2026-01-01", "to": "2026-07-01"}
    )
    assert pref.channels == (
        ChannelStats("call_center", 5, 0, 0, 0),
        ChannelStats("email", 0, 1, 1, 1),
        ChannelStats("post", 0, 1, 1, 0),
        ChannelStats("web", 1, 0, 0, 0),
    )
    assert (pref.by_use, pref.by_response) == ("call_center", "email")
    assert pref.channels[1].response_rate == 1.0
    empty = run_query(
        store, "channel_preference", customerId="bob", **{"from": "2026-01-01", "to": "2026-07-01"}
    )
    assert (empty.channels, empty.by_use, empty.by_response) == ((), None, None)
    with pytest.raises(QueryParameterError, match="from must be before to"):
        run_query(store, "channel_preference", customerId="ann", **{"from": "b", "to": "a"})


def _catalogue(store: GraphStore) -> None:
    lines = ["broadband", "mobile", "tv"]
    store.upsert_nodes("ProductLine", [{"id": line, "name": line.title()} for line in lines])
    store.upsert_nodes(
        "Product",
        [{"id": p, "name": p} for p in ("BB-1", "BB-2", "MOB", "TV")],
    )
    store.upsert_relationships(
        "IN_LINE",
        "Product",
        "ProductLine",
        [RelRow("BB-1", "broadband"), RelRow("BB-2", "broadband"), RelRow("MOB", "mobile"), RelRow("TV", "tv")],
    )  # fmt: skip
    # Six customers hold mobile and BB-2, four mobile only, five tv only: mobile -> broadband
    # has confidence 0.6 on 6 customers; tv -> anything rests on too few to keep.
    owners = (
        [(f"mb{i}", ["MOB", "BB-2"]) for i in range(6)]
        + [(f"m{i}", ["MOB"]) for i in range(4)]
        + [(f"t{i}", ["TV"]) for i in range(5)]
        + [("x", ["BB-1", "TV"])]
    )
    store.upsert_nodes("Customer", [{"id": c} for c, _ in owners] + [{"id": "new"}])
    store.upsert_nodes(
        "Holding",
        [{"id": f"{c}-{p}", "status": "active", "monthly_value": 10.0} for c, ps in owners for p in ps],
    )  # fmt: skip
    store.upsert_relationships(
        "HOLDS", "Customer", "Holding", [RelRow(c, f"{c}-{p}") for c, ps in owners for p in ps]
    )
    store.upsert_relationships(
        "OF_PRODUCT", "Holding", "Product", [RelRow(f"{c}-{p}", p) for c, ps in owners for p in ps]
    )
    store.upsert_nodes("Household", [{"id": "hh"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow("m0", "hh"), RelRow("t0", "hh")]
    )


def test_next_best_products_from_segment_rules(store: GraphStore) -> None:
    _catalogue(store)
    summary = assign_segments(store, AS_OF)
    assert summary.line_rules == 2  # mobile <-> broadband, 6 customers each way
    m0 = run_query(store, "next_best_products", customerId="m0", first=5)
    assert m0.held_lines == ("mobile",)
    assert [(r.line, r.score, r.basis_line, r.lift, r.product_id) for r in m0.recommendations] == [
        ("broadband", 0.6, "mobile", round(0.6 / (7 / 16), 4), "BB-2"),
        ("tv", 0.375, None, None, "TV"),  # no rule from mobile: by penetration, 6 of 16
    ]
    assert m0.recommendations[0].evidence.startswith(
        "Broadband: held by 60% of customers who hold mobile"
    )
    newcomer = run_query(store, "next_best_products", customerId="new", first=1)
    assert [r.line for r in newcomer.recommendations] == ["mobile"]  # 10 of 16 hold it
    household = run_query(store, "household_white_space", householdId="hh", first=5)
    assert household.held_lines == ("mobile", "tv")
    assert [r.line for r in household.recommendations] == ["broadband"]
    assert run_query(store, "next_best_products", customerId="nobody", first=5) is None
    assert run_query(store, "household_white_space", householdId="none", first=5) is None
    # Re-running the job changes nothing; a rule that loses its support is removed.
    assert assign_segments(store, AS_OF).line_rules == 2
    store.upsert_nodes("Holding", [{"id": f"mb{i}-BB-2", "status": "closed"} for i in range(2)])
    assert assign_segments(store, AS_OF).line_rules == 0
    again = run_query(store, "next_best_products", customerId="m0", first=5)
    assert [r.basis_line for r in again.recommendations] == [None, None]


def test_segment_stores_churn_and_rfm_for_at_risk_and_the_360(store: GraphStore) -> None:
    _load_history(store)
    store.upsert_nodes(
        "Purchase",
        [
            {"id": "p1", "purchased_at": "2026-06-20T10:00:00Z"},
            {"id": "p2", "purchased_at": "2026-03-01T10:00:00Z"},
        ],
    )
    store.upsert_relationships(
        "MADE", "Customer", "Purchase", [RelRow("ann", "p1"), RelRow("ann", "p2")]
    )
    store.upsert_nodes("Product", [{"id": "RT-LAMP"}])
    store.upsert_relationships(
        "INCLUDES",
        "Purchase",
        "Product",
        [RelRow("p1", "RT-LAMP", {"amount": 80.0}), RelRow("p2", "RT-LAMP", {"amount": 20.0})],
    )
    summary = assign_segments(store, AS_OF)
    assert (summary.customers, summary.at_risk, summary.lapsed, summary.rfm_scored) == (3, 1, 1, 1)
    assert run_query(store, "at_risk", tier="bronze", minScore=0.5, first=10) == [
        AtRisk(
            "ann",
            "Ann",
            0.8922,
            ("competitor_inquiry", "complaint_burst", "product_closure", "unresolved_complaint"),
            0.0,
            "2026-06-30",
        )
    ]
    assert [r.customer_id for r in run_query(store, "at_risk", tier="bronze", minScore=0.0, first=10)] == ["ann", "cy"]  # fmt: skip
    assert run_query(store, "at_risk", tier="gold", minScore=0.0, first=10) == []
    view = run_query(store, "customer_360", customerId="ann", first=1)
    assert view.customer["churn_score"] == 0.8922
    assert view.customer["rfm"] == "555"  # alone in the population: reaches every cut point
    assert view.customer["scored_on"] == "2026-06-30"
    bob = store.get_node("Customer", "bob")
    assert bob is not None
    assert "churn_score" not in bob.props
    with pytest.raises(QueryParameterError, match="minScore must be between 0 and 1"):
        run_query(store, "at_risk", tier="gold", minScore=1.5, first=10)


def test_at_risk_orders_by_score_then_value_from_one_index(store: GraphStore) -> None:
    # Two gold customers tie on the score and are ordered by lifetime value; one has none
    # (first, as Cypher sorts nulls when descending); bronze ones outscore them all.
    rows: list[dict[str, object]] = [
        {"id": f"b{i:02d}", "value_tier": "bronze", "churn_score": 0.9, "lifetime_value": 1.0}
        for i in range(40)
    ]
    rows += [
        {"id": "g1", "value_tier": "gold", "churn_score": 0.51, "lifetime_value": 100.0},
        {"id": "g2", "value_tier": "gold", "churn_score": 0.51, "lifetime_value": 900.0},
        {"id": "g3", "value_tier": "gold", "churn_score": 0.6, "lifetime_value": 1.0},
        {"id": "g4", "value_tier": "gold", "churn_score": 0.2, "lifetime_value": 5000.0},
        {"id": "g5", "value_tier": "gold", "churn_score": 0.51},
    ]
    for row in rows:
        ltv = row.get("lifetime_value")
        row["risk_key"] = risk_key(str(row["value_tier"]), float(row["churn_score"]), ltv)  # type: ignore[arg-type]
    store.upsert_nodes("Customer", rows)
    top = run_query(store, "at_risk", tier="gold", minScore=0.3, first=3)
    assert [r.customer_id for r in top] == ["g3", "g5", "g2"]
    every = run_query(store, "at_risk", tier="gold", minScore=0.0, first=10)
    assert [r.customer_id for r in every] == ["g3", "g5", "g2", "g1", "g4"]
    assert run_query(store, "at_risk", tier="gold", minScore=0.6, first=10)[0].customer_id == "g3"
    assert len(run_query(store, "at_risk", tier="gold", minScore=0.61, first=10)) == 0
    assert len(run_query(store, "at_risk", tier="bronze", minScore=0.5, first=500)) == 40
