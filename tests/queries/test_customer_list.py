"""Conformance: filtering, sorting by aggregates and paging customers give the same,
hand-checked answers on every store."""

from __future__ import annotations

import pytest

from graph.store import GraphStore
from queries.base import QueryParameterError
from queries.customer_filter import AllOf, AnyOf, Compare, Not, Order, Related
from queries.customer_list import (
    CustomerAggregate,
    LineTotal,
    Stats,
    aggregate_customers,
    compile_cypher,
    list_customers,
)
from tests.support.named_fixture import RECENT_COMPLAINT, customer_list_fixture


def _ids(store: GraphStore, where: object = None, order: list[Order] | None = None) -> list[str]:
    return list_customers(store, where, order or [], 100, None).ids  # type: ignore[arg-type]


def test_property_filters(store: GraphStore) -> None:
    customer_list_fixture(store)
    assert _ids(store) == ["ann", "bob", "cy", "dee"]
    assert _ids(store, Compare("value_tier", "eq", "gold")) == ["ann", "cy"]
    assert _ids(store, Compare("value_tier", "in", ["silver", "bronze"])) == ["bob", "dee"]
    assert _ids(store, Compare("lifetime_value", "gte", 120.0)) == ["ann", "bob"]
    assert _ids(store, Compare("name", "starts_with", "B")) == ["bob"]
    assert _ids(store, Compare("city", "contains", "erg")) == ["bob"]
    # NOT of a missing property: cy has no city, so "not in Oslo" holds for cy.
    assert _ids(store, Not(Compare("city", "eq", "Oslo"))) == ["bob", "cy"]
    either = AnyOf((Compare("city", "eq", "Bergen"), Compare("value_tier", "eq", "bronze")))
    assert _ids(store, either) == ["bob", "dee"]


def test_relationship_filters(store: GraphStore) -> None:
    customer_list_fixture(store)
    assert _ids(store, RECENT_COMPLAINT) == ["ann", "cy"]
    no_mobile = Related("holdings", "none", (Compare("line", "eq", "mobile"),))
    # "a complaint in October and no mobile product"
    assert _ids(store, AllOf((RECENT_COMPLAINT, no_mobile))) == ["cy"]
    active_savings = Related(
        "holdings", "some", (Compare("line", "eq", "savings"), Compare("status", "eq", "active"))
    )
    assert _ids(store, active_savings) == ["ann", "bob"]
    none_at_all = Related("touchpoints", "none", ())
    assert _ids(store, none_at_all) == ["dee"]


def test_sorting_by_aggregates_and_properties(store: GraphStore) -> None:
    customer_list_fixture(store)
    # ann: 20.5 + 14 + 5.25 active (a5 has no value); bob 5.25; cy and dee 0.
    assert _ids(store, order=[Order("total_value", descending=True)]) == ["ann", "bob", "cy", "dee"]
    assert _ids(store, order=[Order("touchpoint_count", descending=True)]) == [
        "bob", "ann", "cy", "dee",
    ]  # fmt: skip
    assert _ids(store, order=[Order("holdings_count")]) == ["cy", "dee", "bob", "ann"]
    # Nulls last either way.
    assert _ids(store, order=[Order("lifetime_value")]) == ["bob", "ann", "cy", "dee"]
    assert _ids(store, order=[Order("lifetime_value", descending=True)]) == [
        "ann", "bob", "cy", "dee",
    ]  # fmt: skip
    gold_by_value = _ids(
        store, Compare("value_tier", "eq", "gold"), [Order("total_value", descending=True)]
    )
    assert gold_by_value == ["ann", "cy"]


def test_paging_with_opaque_cursors(store: GraphStore) -> None:
    customer_list_fixture(store)
    order = [Order("name", descending=True)]
    first = list_customers(store, None, order, 3, None)
    assert (first.ids, first.total, first.has_next) == (["dee", "cy", "bob"], 4, True)
    rest = list_customers(store, None, order, 3, first.end_cursor)
    assert (rest.ids, rest.has_next) == (["ann"], False)
    with pytest.raises(QueryParameterError, match="not a cursor"):
        list_customers(store, None, order, 3, "bogus")


def test_bad_filters_are_refused_before_any_store_call() -> None:
    for where, message in (
        (Compare("national_id", "eq", "x"), "cannot filter on 'national_id'"),
        (Compare("city", "in", "Oslo"), "'in' takes a list"),
        (Related("holdings", "some", (Compare("kind", "eq", "x"),)), "cannot filter on 'kind'"),
    ):
        with pytest.raises(QueryParameterError, match=message):
            list_customers(None, where, [], 10, None)  # type: ignore[arg-type]
    with pytest.raises(QueryParameterError, match="cannot sort customers by 'risk'"):
        list_customers(None, None, [Order("risk")], 10, None)  # type: ignore[arg-type]


def test_compiled_cypher_takes_every_value_as_a_parameter() -> None:
    page, count, params = compile_cypher(
        AllOf((Compare("name", "eq", "x' OR 1=1 //"), RECENT_COMPLAINT)), [Order("total_value")]
    )
    assert "OR 1=1" not in page
    assert "OR 1=1" not in count
    assert params == {"p0": "x' OR 1=1 //", "p1": "complaint", "p2": "2026-10-01"}


def test_aggregates_over_a_filtered_set(store: GraphStore) -> None:
    customer_list_fixture(store)
    everyone = aggregate_customers(store, None)
    assert everyone.customers == 4
    # total value per customer: ann 39.75, bob 5.25, cy 0, dee 0.
    assert everyone.total_value == Stats(4, 45.0, 11.25, 0.0, 39.75)
    assert everyone.lifetime_value == Stats(2, 1020.0, 510.0, 120.0, 900.0)
    # The joint savings account a4 (ann and bob) counts once in its line.
    assert everyone.by_line == (
        LineTotal("mobile", 1, 2, 34.5),
        LineTotal("savings", 2, 2, 5.25),
    )
    gold = aggregate_customers(store, Compare("value_tier", "eq", "gold"))
    assert gold.customers == 2
    assert gold.total_value == Stats(2, 39.75, 19.875, 0.0, 39.75)
    nobody = aggregate_customers(store, Compare("value_tier", "eq", "platinum"))
    assert nobody == CustomerAggregate(
        0, Stats(0, 0.0, None, None, None), Stats(0, 0.0, None, None, None), ()
    )


def test_the_index_first_plan_never_changes_the_answer(store: GraphStore) -> None:
    customer_list_fixture(store)
    never = Compare("name", "eq", "no such name")  # unindexed: OR-ing it disables narrowing
    filters = [
        Compare("value_tier", "eq", "gold"),
        Compare("value_tier", "in", ["gold", "bronze"]),
        Compare("id", "in", ["bob", "dee", "zed"]),
        RECENT_COMPLAINT,
        Related("touchpoints", "none", (Compare("kind", "eq", "complaint"),)),
        Related("holdings", "some", (Compare("line", "in", ["mobile", "tv"]),)),
        Related("holdings", "some", (Compare("status", "eq", "closed"),)),
        Related("holdings", "none", ()),
        AllOf((Compare("value_tier", "eq", "gold"), RECENT_COMPLAINT)),
        AnyOf((Compare("value_tier", "eq", "silver"), RECENT_COMPLAINT)),
        Not(AllOf((Compare("city", "eq", "Oslo"), RECENT_COMPLAINT))),
    ]
    for where in filters:
        planned = _ids(store, where)
        scanned = _ids(store, AnyOf((where, never)))
        assert planned == scanned, where
