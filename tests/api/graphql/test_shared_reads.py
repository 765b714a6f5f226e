"""One query's fields share their store reads (api/graphql/context.py SharedReads): the
customer 360 answers the same with and without sharing, with fewer store calls, and only
a query shares, only while it executes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from starlette.requests import Request
from strawberry.types.graphql import OperationType

from api.auth import Principal, Role
from api.events import EventHub
from api.graphql.app import build_schema
from api.graphql.context import ApiContext, Loaders, SharedReads, ShareReads
from graph.embedded import EmbeddedStore
from graph.store import GraphStore, RelRow
from tests.support.named_fixture import eligibility_catalogue, named_fixture

CUSTOMER_360 = """query ($id: ID!) { customer(id: $id) { id name valueTier lifetimeValue
  sources { system recordId } household { householdId customerId name role ageBand }
  holdings { accountId productName line status monthlyValue }
  touchpoints(first: 5) { occurredAt channel kind }
  churnRisk(asOf: "2025-06-01") { score signals { name evidence } }
  nextBestProducts(first: 3, asOf: "2025-06-01") { line productName score evidence } } }"""


class _Counting:
    """The store, counting the calls made of it by name."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name if name != "get_nodes" else f"get_nodes {args[0]}"] += 1
            return found(*args, **kwargs)

        return counted


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "store.sqlite")
    store.apply_schema()
    named_fixture(store)
    eligibility_catalogue(store)
    store.upsert_nodes(
        "Touchpoint",
        [
            {"id": f"t{i}", "occurred_at": f"2025-05-1{i}T10:00:00Z", "kind": kind}
            for i, kind in enumerate(("complaint", "visit", "call"))
        ],
    )
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow("ann", f"t{i}") for i in range(3)]
    )
    yield store
    store.close()


def _context(store: object) -> ApiContext:
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}
    return ApiContext(
        connection=Request(scope),
        store=cast(GraphStore, store),
        principal=Principal("test", frozenset({Role.AGENT}), "api-key"),
        request_id="test",
        hub=EventHub(),
        loaders=Loaders(cast(GraphStore, store)),
    )


def _ask(store: object) -> tuple[Any, ApiContext]:
    context = _context(store)
    result = asyncio.run(
        build_schema().execute(CUSTOMER_360, variable_values={"id": "ann"}, context_value=context)
    )
    assert result.errors is None
    return result.data, context


def test_the_360_answers_the_same_with_fewer_reads(
    graph: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sharing = _Counting(graph)
    shared, context = _ask(sharing)
    assert context.loaders.reads.shared_reads is None  # not beyond the operation
    with monkeypatch.context() as patch:
        patch.setattr(SharedReads, "share", lambda self: None)
        alone = _Counting(graph)
        unshared, _ = _ask(alone)
    assert shared == unshared
    customer = shared["customer"]
    for answered in ("touchpoints", "holdings", "household", "nextBestProducts"):
        assert customer[answered], answered
    assert customer["churnRisk"]["score"] is not None
    # The customer node: asked by the customer field, churn risk and next best products.
    assert alone.calls["get_nodes Customer"] == 3
    assert sharing.calls["get_nodes Customer"] == 1
    # Holdings (churn risk, next best) and touchpoints (touchpoints, churn risk): once.
    reads = ("neighbours_many", "neighbour_nodes_many")
    assert sum(sharing.calls[r] for r in reads) == sum(alone.calls[r] for r in reads) - 2


def _shares_during(operation: OperationType, store: GraphStore) -> tuple[bool, bool]:
    """Whether the loaders share reads while an operation of this type executes, and
    after it."""
    context = _context(store)
    extension = ShareReads()
    extension.execution_context = cast(
        Any, SimpleNamespace(context=context, operation_type=operation)
    )
    hook = extension.on_execute()
    next(hook)
    during = context.loaders.reads.shared_reads is not None
    with pytest.raises(StopIteration):
        next(hook)
    return during, context.loaders.reads.shared_reads is not None


def test_only_a_query_shares_and_only_while_it_executes(graph: EmbeddedStore) -> None:
    assert _shares_during(OperationType.QUERY, graph) == (True, False)
    assert _shares_during(OperationType.MUTATION, graph) == (False, False)
    assert _shares_during(OperationType.SUBSCRIPTION, graph) == (False, False)


def test_a_shared_read_hands_each_caller_its_own_copy(graph: EmbeddedStore) -> None:
    reads = SharedReads(graph)
    reads.share()
    first = reads.get_nodes("Customer", ["ann"])
    first.pop("ann")
    assert reads.get_nodes("Customer", ["ann"])["ann"].key == "ann"


def test_a_shared_neighbour_read_answers_each_limit_as_the_store(graph: EmbeddedStore) -> None:
    """One read at the largest limit asked so far answers smaller ones; a larger one
    reads again."""
    counting = _Counting(graph)
    reads = SharedReads(cast(GraphStore, counting))
    reads.share()
    ask = ("Customer", ["ann", "bob", "nobody"], "HAD_TOUCHPOINT", "out", "Touchpoint")
    for limit in (2, 1, 2, 3, 10, 1, 10**6):
        found = reads.neighbours_many(*ask, limit=limit)  # type: ignore[arg-type]
        assert found == graph.neighbours_many(*ask, limit=limit)  # type: ignore[arg-type]
        assert len(found["ann"]) == min(limit, 3)
        found["ann"].clear()  # the caller's own lists: the shared read stays as read
    # Limits 2, then 3 (ann has 3: as many as asked for, there may be more), then 10:
    # fewer than asked for, every touchpoint, which answers 10**6 too.
    assert counting.calls["neighbours_many"] == 3
    assert reads.neighbours_many(*ask, limit=0) == {}  # type: ignore[arg-type]
    for limit in (1, 3, 1, 10**6):
        nodes = reads.neighbour_nodes_many(*ask, limit=limit)  # type: ignore[arg-type]
        assert nodes == graph.neighbour_nodes_many(*ask, limit=limit)  # type: ignore[arg-type]
    assert counting.calls["neighbour_nodes_many"] == 3  # limits 1, 3 (maybe more) and 10**6
