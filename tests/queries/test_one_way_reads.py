"""The customer 360's batch queries answer the same whether the embedded store reads their
one-way neighbours with its one-way statement or with its general one
(graph/embedded/traversal.py; tests/graph/test_embedded_one_way.py holds the two
statements to the same answers read by read)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest

from graph.embedded import EmbeddedStore
from graph.embedded.traversal import Traversals
from graph.store import GraphStore, Neighbour
from queries.engine import run_query


def _general_only(
    self: Traversals,
    label: str,
    keys: Sequence[str],
    rel_type: str,
    out: bool,
    other_label: str | None,
    limit: int,
) -> dict[str, list[Neighbour]]:
    found = self._adjacent(label, keys, rel_type, "out" if out else "in", other_label, limit, True)
    return {k: [Neighbour(e, n) for e, n in near if n] for k, near in found.items()}


BATCHES: list[tuple[str, dict[str, Any]]] = [
    ("customers_sources", {}),
    ("customers_households", {}),
    ("customers_touchpoints", {"channel": "", "first": 5}),
    ("customers_touchpoints", {"channel": "phone", "first": 1}),
    ("customers_churn_risk", {"asOf": "2025-06-01"}),
    ("customers_next_best_products", {"first": 3, "asOf": "2025-06-01"}),
]


@pytest.mark.parametrize(("query", "params"), BATCHES, ids=[f"{q} {p}" for q, p in BATCHES])
def test_the_360s_queries_answer_as_through_the_general_statement(
    one_way_graph: EmbeddedStore,
    query: str,
    params: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customers = [*one_way_graph.keys_page("Customer", None, 1000), "nobody"]
    found = run_query(one_way_graph, query, customerIds=customers, **params)
    assert found, "the fixture has answers to compare"
    alone = [run_query(one_way_graph, query, customerIds=[c], **params) for c in customers]
    with monkeypatch.context() as patch:
        patch.setattr(Traversals, "_one_way", _general_only)
        assert found == run_query(one_way_graph, query, customerIds=customers, **params)
        assert alone == [
            run_query(one_way_graph, query, customerIds=[c], **params) for c in customers
        ]


def test_white_space_of_households_answers_as_through_the_general_statement(
    one_way_graph: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    households = one_way_graph.keys_page("Household", None, 1000)
    found = run_query(one_way_graph, "households_white_space", householdIds=households, first=3)
    assert found
    with monkeypatch.context() as patch:
        patch.setattr(Traversals, "_one_way", _general_only)
        assert found == run_query(
            one_way_graph, "households_white_space", householdIds=households, first=3
        )


def test_reads_cypher_answers_as_the_protocol_check(one_way_graph: EmbeddedStore) -> None:
    from graph.store import CypherReader
    from queries.base import reads_cypher

    class Reader:
        def read_query(self, name: str, text: str, params: dict[str, Any]) -> list[Any]:
            return []

    class Unset:
        read_query = None

    class Proxy:
        def __init__(self, store: object) -> None:
            self._store = store

        def __getattr__(self, name: str) -> Any:
            return getattr(self._store, name)

    for store in (
        one_way_graph,
        Proxy(one_way_graph),
        Reader(),
        Proxy(cast(GraphStore, Reader())),
        Unset(),
    ):
        assert reads_cypher(store) is isinstance(store, CypherReader)
    assert reads_cypher(Reader())
