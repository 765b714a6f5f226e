"""Page batches on every store: each batch query maps every subject to exactly what its
single-subject query answers, on hand-built graphs and on a generated sample; a batch
checks its parameters before any store call."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.store import GraphStore, RelRow
from identity.resolve import resolve_store
from loaders.directory import plan_directory
from loaders.pipeline import load_file
from queries.base import QueryParameterError
from queries.engine import run_query
from sample.generator import generate_sample
from scoring.segments import assign_segments
from tests.support.epcis_events import capture_file
from tests.support.named_fixture import eligibility_catalogue, named_fixture, people_network
from tests.support.page_batches import batch_answers_like_single


def test_batches_answer_like_the_single_customer_queries(store: GraphStore) -> None:
    named_fixture(store)
    ids = ["ann", "bob", "cy", "nobody", "ann"]
    holdings = run_query(store, "customers_holdings", customerIds=ids)
    values = run_query(store, "customers_value", customerIds=ids)
    households = run_query(store, "customers_households", customerIds=ids)
    for customer in ("ann", "bob", "cy"):
        assert holdings.get(customer, []) == run_query(
            store, "customer_holdings", customerId=customer
        )
        assert values[customer] == run_query(store, "customer_value", customerId=customer)
        assert households.get(customer, []) == run_query(
            store, "household_members", customerId=customer
        )
    assert holdings["ann"]
    assert households["bob"]
    assert "nobody" not in values
    assert "nobody" not in holdings
    with pytest.raises(QueryParameterError, match="at most 500"):
        run_query(store, "customers_value", customerIds=[str(i) for i in range(501)])
    with pytest.raises(QueryParameterError, match="must be list"):
        run_query(store, "customers_value", customerIds="ann")


UNKNOWN_EPC = "urn:epc:id:sgtin:0614141.107346.9"


def _touchpoints_and_agents(store: GraphStore) -> None:
    store.upsert_nodes("Agent", [{"id": "ag1"}])
    store.upsert_nodes(
        "Touchpoint",
        [
            {
                "id": f"t{i}",
                "occurred_at": f"2025-0{1 + i % 3}-0{1 + i % 5}T10:00:00Z",
                "channel": "web" if i % 3 else "call_center",
                "kind": "visit" if i % 3 else "complaint",
                "direction": "inbound",
                "resolution_status": None if i % 3 else "open",
            }
            for i in range(9)
        ],
    )
    store.upsert_relationships(
        "HAD_TOUCHPOINT",
        "Customer",
        "Touchpoint",
        [RelRow("ann" if i % 2 else "bob", f"t{i}") for i in range(9)],
    )
    store.upsert_relationships("HANDLED_BY", "Touchpoint", "Agent", [RelRow("t6", "ag1")])


def test_page_batches_answer_like_the_single_subject_queries(store: GraphStore) -> None:
    named_fixture(store)
    people_network(store)
    eligibility_catalogue(store)
    _touchpoints_and_agents(store)
    people = ["ann", "bob", "cy", "a", "b", "c", "d", "kid", "fay", "acme"]
    sources = batch_answers_like_single(
        store, "customers_sources", "customer_sources", "customerId", people
    )
    assert [s.record_id for s in sources["ann"]] == ["B7", "1"]
    for channel, before in (("", ("", "")), ("call_center", ("", "")), ("", ("2025-02-02", "t9"))):
        touched = batch_answers_like_single(
            store, "customers_touchpoints", "customer_touchpoints", "customerId", people,
            channel=channel, first=2, beforeTime=before[0], beforeId=before[1],
        )  # fmt: skip
        assert all(len(found) <= 2 for found in touched.values())
    assert batch_answers_like_single(
        store, "customers_touchpoints", "customer_touchpoints", "customerId", people,
        channel="", first=10,
    )["ann"][0].agent_id is None  # fmt: skip
    for kind, first in (("", 1), ("", 50), ("referral", 50)):
        related = batch_answers_like_single(
            store, "customers_related", "related_customers", "customerId", people,
            kind=kind, first=first,
        )  # fmt: skip
    assert [r.customer_id for r in related["c"]] == ["b", "e"]
    for as_of in ("2025-01-15", "2026-06-30"):
        risks = batch_answers_like_single(
            store, "customers_churn_risk", "churn_risk", "customerId", people, asOf=as_of
        )
        assert set(risks) == set(people)
        best = batch_answers_like_single(
            store, "customers_next_best_products", "next_best_products", "customerId", people,
            first=3, asOf=as_of,
        )  # fmt: skip
        assert "broadband" in {i.line for i in best["kid"].ineligible}  # adults only
    batch_answers_like_single(
        store, "customers_items", "customer_items", "customerId", people, first=5
    )
    households = batch_answers_like_single(
        store, "households_value", "household_value", "householdId", ["h1", "h"]
    )
    assert households["h1"].members == ("ann", "bob")
    batch_answers_like_single(
        store, "households_white_space", "household_white_space", "householdId", ["h1", "h"],
        first=3,
    )  # fmt: skip


def test_page_batches_check_their_parameters_before_any_store_call() -> None:
    nobody: Any = None  # a resolver reaching for the store would fail, not answer
    with pytest.raises(QueryParameterError, match="first must be between 1 and 500"):
        run_query(nobody, "customers_touchpoints", customerIds=["a"], channel="", first=0)
    with pytest.raises(QueryParameterError, match="customerIds may hold at most 500 IDs"):
        run_query(nobody, "customers_churn_risk", customerIds=[str(i) for i in range(501)])
    with pytest.raises(QueryParameterError, match="asOf must be a date"):
        run_query(nobody, "customers_next_best_products", customerIds=["a"], first=3, asOf="x")
    with pytest.raises(QueryParameterError, match="first must be between 1 and 50,"):
        run_query(nobody, "households_white_space", householdIds=["h"], first=51)
    with pytest.raises(QueryParameterError, match="epc must not be empty"):
        run_query(nobody, "instances_location", epcs=["urn:epc:id:sgtin:0614141.107346.2", " "])
    with pytest.raises(QueryParameterError, match="epcs must be a list of EPC strings"):
        run_query(nobody, "instances_journey", epcs=[1], first=5)


SAMPLE_AS_OF = date(2026, 3, 1)


def _sample(store: GraphStore, tmp_path: Path, customers: int) -> None:
    """A generated sample loaded into the store as ``make demo`` does: every file, the
    EPCIS events, identity resolution and scoring (co-ownership rules)."""
    out = tmp_path / "sample"
    generate_sample(customers, 11, out, as_of=SAMPLE_AS_OF)
    plan = plan_directory(out, None)
    for item in plan.loads:
        rejects = tmp_path / "rejects" / f"{item.path.name}.jsonl"
        load_file(store, item.kind, item.path, item.system, rejects_path=rejects)
    for path in plan.captures:
        capture_file(store, path, tmp_path / "rejects", keep_captured=False)
    resolve_store(store, SAMPLE_AS_OF)
    assign_segments(store, SAMPLE_AS_OF)


def test_every_page_batch_answers_like_its_single_query_on_a_sample(
    store: GraphStore, tmp_path: Path
) -> None:
    _sample(store, tmp_path, 60)
    customers = store.keys_page("Customer", None, 1000)
    households = store.keys_page("Household", None, 1000)
    campaigns = store.keys_page("Campaign", None, 1000)
    items = store.keys_page("ProductInstance", None, 1000)
    as_of = SAMPLE_AS_OF.isoformat()
    found = {
        "sources": batch_answers_like_single(
            store, "customers_sources", "customer_sources", "customerId", customers
        ),
        "touchpoints": batch_answers_like_single(
            store, "customers_touchpoints", "customer_touchpoints", "customerId", customers,
            channel="", first=5,
        ),
        "related": batch_answers_like_single(
            store, "customers_related", "related_customers", "customerId", customers,
            kind="", first=3,
        ),
        "churn": batch_answers_like_single(
            store, "customers_churn_risk", "churn_risk", "customerId", customers, asOf=as_of
        ),
        "next best": batch_answers_like_single(
            store, "customers_next_best_products", "next_best_products", "customerId",
            customers, first=3, asOf=as_of,
        ),
        "items": batch_answers_like_single(
            store, "customers_items", "customer_items", "customerId", customers, first=5
        ),
        "household value": batch_answers_like_single(
            store, "households_value", "household_value", "householdId", households
        ),
        "white space": batch_answers_like_single(
            store, "households_white_space", "household_white_space", "householdId",
            households, first=3,
        ),
        "campaigns": batch_answers_like_single(
            store, "campaigns_response", "campaign_response", "campaignId", campaigns
        ),
        "location": batch_answers_like_single(
            store, "instances_location", "current_location", "epc", items, UNKNOWN_EPC
        ),
        "journey": batch_answers_like_single(
            store, "instances_journey", "product_journey", "epc", items, UNKNOWN_EPC, first=20
        ),
        "custody": batch_answers_like_single(
            store, "instances_custody", "chain_of_custody", "epc", items, UNKNOWN_EPC, first=20
        ),
    }  # fmt: skip
    # The sample exercises every question: each batch has answers to compare.
    assert all(found.values()), [name for name, answers in found.items() if not answers]
    assert any(step.container for steps in found["journey"].values() for step in steps)
    # An item written as a Digital Link is answered under that spelling.
    link = "https://id.gs1.org/01/06141410000007/21/2"
    assert link in run_query(store, "instances_location", epcs=[link])
