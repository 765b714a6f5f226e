"""The customer 360's SQL neighbour reads (queries/customer_360_sql.py) answer exactly what
the store port's ``neighbours_many`` answers, and every query that uses them answers the
same through SQL as through the port."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from graph.embedded import EmbeddedStore
from graph.store import GraphStore, RelRow
from queries.customer_360_sql import OneWay, neighbour_nodes, neighbours
from queries.engine import run_query
from tests.support.named_fixture import eligibility_catalogue, named_fixture, people_network


@pytest.fixture
def graph(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "store.sqlite")
    store.apply_schema()
    named_fixture(store)
    people_network(store)
    eligibility_catalogue(store)
    # A self-loop: read "in", the port gives it as an outgoing relationship.
    store.upsert_relationships(
        "RELATED_TO", "Customer", "Customer", [RelRow("z", "z", {"kind": "self"})]
    )
    _touchpoints_and_rules(store)
    return store


def _touchpoints_and_rules(store: GraphStore) -> None:
    """Touchpoints on two channels with their agents, a complaint; co-ownership rules; a
    product in two lines (``limit=1`` takes the first)."""
    store.upsert_nodes("Agent", [{"id": "ag1"}, {"id": "ag2"}])
    kinds = ("visit", "complaint", "call", "inquiry")
    store.upsert_nodes(
        "Touchpoint",
        [
            {
                "id": f"t{i}",
                "occurred_at": f"2025-0{1 + i % 5}-1{i % 3}T10:00:00Z",
                "channel": "phone" if i % 2 else "web",
                "kind": kinds[i % 4],
            }
            for i in range(12)
        ],
    )
    people = ("ann", "bob", "fay", "kid")
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint",
        [RelRow(people[i % 4], f"t{i}") for i in range(12)],
    )  # fmt: skip
    store.upsert_relationships(
        "HANDLED_BY", "Touchpoint", "Agent",
        [RelRow(f"t{i}", "ag2" if i % 3 else "ag1") for i in range(0, 12, 2)],
    )  # fmt: skip
    store.upsert_relationships(
        "CO_HELD", "ProductLine", "ProductLine",
        [RelRow("mobile", "broadband", {"customers": 4, "confidence": 0.5, "lift": 1.5}),
         RelRow("savings", "credit_card", {"customers": 2, "confidence": 0.25, "lift": 1.1}),
         RelRow("mobile", "savings", {"customers": 3, "confidence": 0.4, "lift": 1.2})],
    )  # fmt: skip
    store.upsert_relationships("IN_LINE", "Product", "ProductLine", [RelRow("MOB", "tv")])


class _PortOnly:
    """The store without its SQL reads: every neighbour read goes through the port."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name == "read_sql":
            raise AttributeError(name)
        return getattr(self._store, name)


SHAPES: list[tuple[str, str, OneWay, str | None]] = [
    ("Customer", "HOLDS", "out", "Holding"),
    ("Customer", "HOLDS", "out", None),
    ("Customer", "HAD_TOUCHPOINT", "out", "Touchpoint"),
    ("Customer", "RESOLVED_TO", "in", "SourceRecord"),
    ("Customer", "RESOLVED_TO", "in", None),
    ("Customer", "MEMBER_OF", "out", "Household"),
    ("Household", "MEMBER_OF", "in", "Customer"),
    ("Customer", "HAS_CONSENT", "out", "Consent"),
    ("Customer", "RELATED_TO", "out", "Customer"),
    ("Customer", "RELATED_TO", "in", "Customer"),
    ("Customer", "RELATED_TO", "in", None),
    ("Holding", "OF_PRODUCT", "out", None),
    ("Product", "IN_LINE", "out", None),
    ("ProductLine", "IN_LINE", "in", "Product"),
    ("ProductLine", "CO_HELD", "out", None),
    ("Touchpoint", "HANDLED_BY", "out", None),
]


@pytest.mark.parametrize(("label", "rel_type", "direction", "other"), SHAPES)
@pytest.mark.parametrize("limit", [1, 2, 100_000])
def test_neighbours_in_sql_are_the_ports(
    graph: EmbeddedStore,
    label: str,
    rel_type: str,
    direction: OneWay,
    other: str | None,
    limit: int,
) -> None:
    every = graph.keys_page(label, None, 1000)
    # Every node, one at a time and all at once; an unknown key and a repeated one.
    for keys in [*([k] for k in every), [*every, "nobody", *every[:2]], ["nobody"], []]:
        expected = graph.neighbours_many(label, keys, rel_type, direction, other, limit)
        found = neighbours(graph, label, keys, rel_type, direction, other, limit)
        assert found == expected
        assert list(found) == list(expected)  # the keys' order too
    assert graph.neighbours_many(label, every, rel_type, direction, other, limit), (
        "the fixture holds each shape"
    )


@pytest.mark.parametrize(("label", "rel_type", "direction", "other"), SHAPES)
@pytest.mark.parametrize("limit", [1, 2, 100_000])
def test_neighbour_nodes_are_the_ports_other_ends(
    graph: EmbeddedStore,
    label: str,
    rel_type: str,
    direction: OneWay,
    other: str | None,
    limit: int,
) -> None:
    every = graph.keys_page(label, None, 1000)
    for keys in [*([k] for k in every), [*every, "nobody", *every[:2]], ["nobody"], []]:
        expected = graph.neighbours_many(label, keys, rel_type, direction, other, limit)
        found = neighbour_nodes(graph, label, keys, rel_type, direction, other, limit)
        assert found == {k: [n.node for n in near] for k, near in expected.items()}
        assert list(found) == list(expected)
    port = cast(GraphStore, _PortOnly(graph))
    assert neighbour_nodes(port, label, every, rel_type, direction, other, limit) == (
        neighbour_nodes(graph, label, every, rel_type, direction, other, limit)
    )


def test_a_self_loop_read_inward_is_outgoing_as_the_port_gives_it(graph: EmbeddedStore) -> None:
    found = neighbours(graph, "Customer", ["z"], "RELATED_TO", "in", "Customer", 10)
    (loop,) = found["z"]
    assert (loop.edge.src_key, loop.edge.dst_key, loop.edge.props) == ("z", "z", {"kind": "self"})
    assert found == graph.neighbours_many("Customer", ["z"], "RELATED_TO", "in", "Customer", 10)


def test_another_store_is_asked_through_the_port(graph: EmbeddedStore) -> None:
    port = cast(GraphStore, _PortOnly(graph))
    assert neighbours(port, "Customer", ["ann"], "HOLDS") == graph.neighbours_many(
        "Customer", ["ann"], "HOLDS"
    )
    assert neighbours(graph, "Customer", ["ann"], "HOLDS", limit=0) == {}


BATCHES: list[tuple[str, dict[str, Any]]] = [
    ("customers_sources", {}),
    ("customers_households", {}),
    ("customers_touchpoints", {"channel": "", "first": 5}),
    ("customers_touchpoints", {"channel": "phone", "first": 1}),
    ("customers_churn_risk", {"asOf": "2025-06-01"}),
    ("customers_next_best_products", {"first": 3, "asOf": "2025-06-01"}),
]


@pytest.mark.parametrize(("query", "params"), BATCHES, ids=[f"{q} {p}" for q, p in BATCHES])
def test_the_360s_queries_answer_through_sql_as_through_the_port(
    graph: EmbeddedStore, query: str, params: dict[str, Any]
) -> None:
    customers = [*graph.keys_page("Customer", None, 1000), "nobody"]
    found = run_query(graph, query, customerIds=customers, **params)
    assert found, "the fixture has answers to compare"
    assert found == run_query(
        cast(GraphStore, _PortOnly(graph)), query, customerIds=customers, **params
    )


def test_white_space_of_households_answers_through_sql_as_through_the_port(
    graph: EmbeddedStore,
) -> None:
    households = graph.keys_page("Household", None, 1000)
    found = run_query(graph, "households_white_space", householdIds=households, first=3)
    assert found
    assert found == run_query(
        cast(GraphStore, _PortOnly(graph)), "households_white_space", householdIds=households,
        first=3,
    )  # fmt: skip


def test_reads_cypher_answers_as_the_protocol_check(graph: EmbeddedStore) -> None:
    from graph.store import CypherReader
    from queries.base import reads_cypher

    class Reader:
        def read_query(self, name: str, text: str, params: dict[str, Any]) -> list[Any]:
            return []

    class Unset:
        read_query = None

    for store in (
        graph,
        _PortOnly(graph),
        Reader(),
        _PortOnly(cast(GraphStore, Reader())),
        Unset(),
    ):
        assert reads_cypher(store) is isinstance(store, CypherReader)
    assert reads_cypher(Reader())
