"""The Neo4j adapter against a scripted driver: which statements, parameters, transaction
kinds and databases it uses, and how driver errors become store errors. (The same adapter
runs against a real Neo4j in the store contract suite when CKB_TEST_NEO4J_URI is set.)"""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import exceptions as neo4j_errors

import graph.neo4j_store as adapter
import graph.store as adapter_store_module
from graph.cypher import adapter_statements
from graph.errors import StoreConflictError, StoreError, StoreUnavailableError
from graph.neo4j_store import Neo4jStore
from graph.store import RelRow, atomically
from tests.support.neo4j_fakes import Counters, FakeDriver, respond_nothing


def _connect(monkeypatch: pytest.MonkeyPatch, driver: FakeDriver, **kwargs: Any) -> Neo4jStore:
    seen: dict[str, Any] = {}

    def fake_driver(uri: str, **config: Any) -> FakeDriver:
        seen.update(uri=uri, **config)
        return driver

    monkeypatch.setattr(adapter.GraphDatabase, "driver", fake_driver)
    store = Neo4jStore.connect("neo4j://db:7687", user="u", password="p", database="kb", **kwargs)
    assert seen["auth"] == ("u", "p")
    return store


def test_node_upserts_are_batched_write_transactions_on_the_named_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        return [], Counters(nodes_created=len(params["rows"]))

    driver = FakeDriver(respond)
    store = _connect(monkeypatch, driver, batch_size=2)
    result = store.upsert_nodes(
        "Customer", [{"id": f"c{i}", "name": "x", "email": None} for i in range(5)]
    )
    assert (result.received, result.applied, result.created) == (5, 5, 5)
    assert [len(c.params["rows"]) for c in driver.calls] == [2, 2, 1]
    assert {(c.kind, c.database) for c in driver.calls} == {("write", "kb")}
    assert driver.calls[0].text == adapter_statements()["merge_nodes.Customer"].text
    assert driver.calls[0].params["rows"][0] == {
        "key": "c0",
        "props": {"id": "c0", "name": "x", "email": None},
    }


def test_relationship_upserts_report_missing_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        gone = [
            {
                "src": r["src"],
                "dst": r["dst"],
                "srcMissing": r["src"] == "ghost",
                "dstMissing": False,
            }
            for r in params["rows"]
            if r["src"] == "ghost"
        ]
        return gone, Counters(relationships_created=len(params["rows"]) - len(gone))

    driver = FakeDriver(respond)
    store = _connect(monkeypatch, driver)
    result = store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [RelRow("a", "b", {"kind": "family"}), RelRow("ghost", "b", {"kind": "family"})],
    )
    assert (result.applied, result.created) == (1, 1)
    assert [(m.src, m.missing) for m in result.missing] == [("ghost", ("src",))]
    stmt = adapter_statements()["merge_relationships.RELATED_TO.Customer.Customer"]
    assert driver.calls[0].text == stmt.text
    assert "MERGE (a)-[r:RELATED_TO {kind: row.props.kind}]->(b)" in stmt.text


def test_reads_use_read_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        if text.startswith("UNWIND $keys"):
            return [{"key": k, "props": {"id": k}} for k in params["keys"] if k != "zz"], Counters()
        if "UNION ALL" in text:
            return [
                {"kind": "node", "name": "Customer", "count": 2},
                {"kind": "relationship", "name": "HOLDS", "count": 1},
            ], Counters()
        return [
            {
                "type": "HOLDS",
                "label": "Holding",
                "props": {"id": "a1"},
                "relProps": {"role": "joint"},
                "outgoing": True,
            }
        ], Counters()

    driver = FakeDriver(respond)
    store = _connect(monkeypatch, driver)
    assert sorted(store.get_nodes("Customer", ["c1", "zz", "c2"])) == ["c1", "c2"]
    counts = store.counts()
    assert counts.nodes["Customer"] == 2
    assert counts.nodes["Household"] == 0
    assert counts.relationships["HOLDS"] == 1
    [n] = store.neighbours("Customer", "c1", "HOLDS")
    assert (n.edge.src_key, n.edge.dst_key, n.edge.props, n.node.key) == (
        "c1",
        "a1",
        {"role": "joint"},
        "a1",
    )
    assert driver.calls[-1].params == {
        "key": "c1",
        "relType": "HOLDS",
        "otherLabel": None,
        "limit": 1000,
    }
    assert {(c.kind, c.database) for c in driver.calls} == {("read", "kb")}


def test_relationships_of_reads_edges_without_the_other_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        items = [
            {"type": "HOLDS", "label": "Holding", "key": "a1", "relProps": {}, "outgoing": True},
            {
                "type": "SOLD_TO",
                "label": "ProductInstance",
                "key": "urn:epc:1",
                "relProps": {"event_id": "e1"},
                "outgoing": False,
            },
        ]
        return [{"key": k, "items": items if k == "c1" else []} for k in params["keys"]], Counters()

    driver = FakeDriver(respond)
    store = _connect(monkeypatch, driver, batch_size=2)
    found = store.relationships_of("Customer", ["c1", "c2", "c1", "c3"])
    assert [(e.type, e.src_label, e.src_key, e.dst_label, e.dst_key) for e in found["c1"]] == [
        ("HOLDS", "Customer", "c1", "Holding", "a1"),
        ("SOLD_TO", "ProductInstance", "urn:epc:1", "Customer", "c1"),
    ]
    assert sorted(found) == ["c1"]
    stmt = adapter_statements()["relationships_of.Customer"]
    assert [(c.kind, c.text, c.params) for c in driver.calls] == [
        ("read", stmt.text, {"keys": ["c1", "c2"]}),
        ("read", stmt.text, {"keys": ["c3"]}),
    ]
    # The other end's key is its own label's key property, and its properties stay unread.
    assert "WHEN 'ProductInstance' THEN m.epc" in stmt.text
    assert "properties(m)" not in stmt.text


def test_schema_apply_sends_every_constraint_and_index(monkeypatch: pytest.MonkeyPatch) -> None:
    driver = FakeDriver(respond_nothing)
    store = _connect(monkeypatch, driver)
    actions = store.apply_schema()
    expected = [s.text for s in adapter_statements().values() if s.mode == "schema"]
    assert actions == expected
    assert [c.text for c in driver.calls] == expected
    store.clear()
    assert driver.calls[-1].kind == "autocommit"
    assert "IN TRANSACTIONS" in driver.calls[-1].text


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            neo4j_errors.ServiceUnavailable("Couldn't connect\nto db:7687"),
            "cannot reach Neo4j at neo4j://db:7687: Couldn't connect to db:7687",
        ),
        (neo4j_errors.AuthError("bad credentials"), "refused the credentials"),
    ],
)
def test_connection_errors_become_one_line_store_errors(
    monkeypatch: pytest.MonkeyPatch, error: Exception, message: str
) -> None:
    driver = FakeDriver(respond_nothing, connect_error=error)
    with pytest.raises(StoreUnavailableError) as caught:
        _connect(monkeypatch, driver)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert driver.closed


@pytest.mark.parametrize(
    "error", [neo4j_errors.ServiceUnavailable("gone"), neo4j_errors.SessionExpired("expired")]
)
def test_query_errors_become_store_errors(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        raise error

    store = _connect(monkeypatch, FakeDriver(respond))
    with pytest.raises(StoreUnavailableError, match="lost Neo4j"):
        store.ping()


def test_other_driver_failures_become_store_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        raise neo4j_errors.ResultConsumedError(None, "the result is consumed\nalready")

    store = _connect(monkeypatch, FakeDriver(respond))
    with pytest.raises(StoreError, match="Neo4j driver failed") as caught:
        store.ping()
    assert "\n" not in str(caught.value)


def test_refused_statements_become_store_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        raise neo4j_errors.ClientError("Node(42) already exists\nwith label `Customer`")

    store = _connect(monkeypatch, FakeDriver(respond))
    with pytest.raises(
        StoreError, match=r"Neo4j refused merge_nodes.Customer: Node\(42\) already exists with"
    ):
        store.upsert_nodes("Customer", [{"id": "c1"}])


def test_term_search_sends_a_lucene_or_query_of_checked_terms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        assert "db.index.fulltext.queryNodes('customer_name_keys_terms', $query)" in text
        return [
            {"key": "c1", "props": {"id": "c1", "name_keys": "wang wei"}, "shared": 2}
        ], Counters()

    driver = FakeDriver(respond)
    store = _connect(monkeypatch, driver)
    [(node, shared)] = store.find_terms("Customer", "name_keys", ["wei", "wang", "wei"], limit=5)
    assert (node.key, shared) == ("c1", 2)
    assert driver.calls[-1].params == {
        "query": "wang OR wei",
        "terms": ["wang", "wei"],
        "limit": 5,
    }
    assert store.find_terms("Customer", "name_keys", []) == []
    assert len(driver.calls) == 1  # no terms, no round trip


def test_an_atomic_block_is_one_explicit_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    driver = FakeDriver(respond_nothing)
    store = _connect(monkeypatch, driver, batch_size=2)
    with store.atomic():
        store.upsert_nodes("Customer", [{"id": f"c{i}"} for i in range(3)])
        with store.atomic():  # joins the outer block
            store.get_nodes("Customer", ["c0"])
        store.delete_nodes("Customer", ["c1"])
    assert [c.kind for c in driver.calls] == ["explicit"] * 4 + ["commit"]

    driver.calls.clear()

    def failing() -> None:
        with store.atomic():
            store.upsert_nodes("Customer", [{"id": "c9"}])
            raise RuntimeError("the caller's own failure")

    with pytest.raises(RuntimeError):
        failing()
    assert [c.kind for c in driver.calls] == ["explicit", "rollback"]
    # After the block, calls go back to managed transactions.
    driver.calls.clear()
    store.upsert_nodes("Customer", [{"id": "c5"}])
    assert [c.kind for c in driver.calls] == ["write"]


def test_a_block_that_loses_a_deadlock_runs_again(monkeypatch: pytest.MonkeyPatch) -> None:
    deadlocks = [2]

    def respond(text: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], Counters]:
        if deadlocks[0]:
            deadlocks[0] -= 1
            raise neo4j_errors.TransientError("ForsetiClient can't acquire ExclusiveLock")
        return [], Counters(nodes_created=len(params["rows"]))

    driver = FakeDriver(respond)
    store = _connect(monkeypatch, driver)
    monkeypatch.setattr(adapter_store_module.time, "sleep", lambda seconds: None)
    runs: list[int] = []

    def work() -> int:
        runs.append(1)
        return store.upsert_nodes("Customer", [{"id": "c1"}]).created

    assert atomically(store, work) == 1
    assert len(runs) == 3
    assert [c.kind for c in driver.calls][-2:] == ["explicit", "commit"]
    deadlocks[0] = 10
    with pytest.raises(StoreConflictError, match="conflicted"):
        atomically(store, work, attempts=2)
