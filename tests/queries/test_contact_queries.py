"""Conformance on every store: contact frequency against a target, and campaign response
by channel and tier, give the hand-checked answers."""

from __future__ import annotations

import pytest

from graph.store import GraphStore, RelRow
from queries.base import QueryParameterError
from queries.engine import run_query


def test_contact_frequency_against_a_target(store: GraphStore) -> None:
    store.upsert_nodes("Agent", [{"id": "ao1"}, {"id": "ao2"}])
    store.upsert_nodes(
        "Customer",
        [{"id": k, "name": k.upper(), "value_tier": "gold"} for k in ("c1", "c2", "c3", "c4")],
    )
    store.upsert_relationships(
        "OWNED_BY",
        "Customer",
        "Agent",
        [RelRow("c1", "ao1"), RelRow("c2", "ao1"), RelRow("c3", "ao1"), RelRow("c4", "ao2")],
    )
    touchpoints = [
        ("t1", "c1", "sales_call", "2025-03-01T10:00:00Z"),
        ("t2", "c1", "sales_visit", "2025-04-01T10:00:00Z"),
        ("t3", "c1", "sales_call", "2025-07-01T00:00:00Z"),  # outside [from, to)
        ("t4", "c2", "sales_call", "2025-02-01T10:00:00Z"),
        ("t5", "c2", "complaint", "2025-02-02T10:00:00Z"),  # not a sales contact
        ("t6", "c4", "sales_call", "2025-02-01T10:00:00Z"),
    ]
    store.upsert_nodes(
        "Touchpoint", [{"id": t, "kind": k, "occurred_at": at} for t, _, k, at in touchpoints]
    )
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow(c, t) for t, c, _, _ in touchpoints]
    )
    rows = run_query(
        store,
        "contact_frequency",
        agentId="ao1",
        **{"from": "2025-01-01", "to": "2025-07-01", "target": 2},
    )
    assert [(r.customer_id, r.contacts, r.on_target) for r in rows] == [
        ("c3", 0, False),
        ("c2", 1, False),
        ("c1", 2, True),
    ]
    assert rows[0].value_tier == "gold"
    assert (
        run_query(
            store,
            "contact_frequency",
            agentId="nobody",
            **{"from": "2025-01-01", "to": "2025-07-01", "target": 2},
        )
        == []
    )
    with pytest.raises(QueryParameterError, match="from must be before to"):
        run_query(
            store,
            "contact_frequency",
            agentId="ao1",
            **{"from": "2025-07-01", "to": "2025-01-01", "target": 2},
        )


def test_campaign_response_by_channel_and_tier(store: GraphStore) -> None:
    store.upsert_nodes("Campaign", [{"id": "K1"}])
    store.upsert_nodes(
        "Customer",
        [
            {"id": "c1", "value_tier": "gold"},
            {"id": "c2", "value_tier": "gold"},
            {"id": "c3"},
            {"id": "c4"},
        ],
    )
    tps = [
        ("k1", "c1", "email", "PART_OF", None),
        ("k1b", "c1", "email", "PART_OF", None),  # contacted twice: counted once
        ("k2", "c2", "email", "PART_OF", None),
        ("k3", "c3", "email", "PART_OF", None),
        ("k4", "c4", "sms", "PART_OF", None),
        ("r1", "c1", "web", "RESPONDED_TO", True),
        ("r1b", "c1", "web", "RESPONDED_TO", False),
        ("r3", "c3", "email", "RESPONDED_TO", False),
        ("r4", "c4", "sms", "RESPONDED_TO", True),
    ]
    store.upsert_nodes("Touchpoint", [{"id": t, "channel": ch} for t, _, ch, _, _ in tps])
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow(c, t) for t, c, _, _, _ in tps]
    )
    store.upsert_relationships(
        "PART_OF",
        "Touchpoint",
        "Campaign",
        [RelRow(t, "K1") for t, _, _, rel, _ in tps if rel == "PART_OF"],
    )
    store.upsert_relationships(
        "RESPONDED_TO",
        "Touchpoint",
        "Campaign",
        [
            RelRow(t, "K1", {"converted": conv})
            for t, _, _, rel, conv in tps
            if rel == "RESPONDED_TO"
        ],
    )
    cells = run_query(store, "campaign_response", campaignId="K1")
    assert [(c.channel, c.tier, c.contacted, c.responses, c.conversions) for c in cells] == [
        ("email", "gold", 2, 1, 1),
        ("email", "none", 1, 1, 0),
        ("sms", "none", 1, 1, 1),
    ]
    assert (cells[0].response_rate, cells[0].conversion_rate) == (0.5, 0.5)
    assert run_query(store, "campaign_response", campaignId="nope") == []
