"""The store contract, writing: both adapters must behave identically (embedded always;
Neo4j when CKB_TEST_NEO4J_URI is set) when they upsert, merge, refuse, delete, count and
touch, in atomic blocks or not. Reading is in test_store_reads.py."""

from __future__ import annotations

import pytest

from graph.errors import (
    InvalidWriteError,
    UnknownLabelError,
    UnknownRelationshipTypeError,
)
from graph.store import GraphStore, RelRow
from tests.support.graph_builders import add_customers, add_star


def test_upsert_nodes_creates_then_is_idempotent(store: GraphStore) -> None:
    rows = [
        {"id": f"c{i}", "name": f"Customer {i}", "email": f"c{i}@example.com"} for i in range(7)
    ]
    first = store.upsert_nodes("Customer", rows)
    assert (first.received, first.applied, first.created) == (7, 7, 7)
    again = store.upsert_nodes("Customer", rows)
    assert (again.received, again.applied, again.created) == (7, 7, 0)
    assert store.counts().nodes["Customer"] == 7
    node = store.get_node("Customer", "c3")
    assert node is not None
    assert node.props == {"id": "c3", "name": "Customer 3", "email": "c3@example.com"}


def test_properties_merge_and_none_removes(store: GraphStore) -> None:
    store.upsert_nodes(
        "Customer", [{"id": "c1", "name": "Ann", "email": "ann@example.com", "city": "Oslo"}]
    )
    store.upsert_nodes("Customer", [{"id": "c1", "city": "Bergen", "email": None}])
    node = store.get_node("Customer", "c1")
    assert node is not None
    assert node.props == {"id": "c1", "name": "Ann", "city": "Bergen"}
    assert store.find_nodes("Customer", "email", "ann@example.com") == []


def test_repeated_key_in_one_batch_folds_in_order(store: GraphStore) -> None:
    result = store.upsert_nodes(
        "Customer", [{"id": "c1", "name": "first", "city": "A"}, {"id": "c1", "name": "second"}]
    )
    assert (result.received, result.applied, result.created) == (2, 1, 1)
    node = store.get_node("Customer", "c1")
    assert node is not None
    assert node.props == {"id": "c1", "name": "second", "city": "A"}


def test_value_types_round_trip(store: GraphStore) -> None:
    props = {
        "id": "p1",
        "name": "Fibre 1000 — 光纤",
        "price": 49.5,
        "gtin": "00614141107346",
    }
    store.upsert_nodes("Product", [props])
    store.upsert_nodes("Household", [{"id": "h1", "size": 4}])
    store.upsert_nodes("Consent", [{"id": "k1", "granted": False}])
    store.upsert_nodes(
        "EpcisEvent",
        [{"event_id": "e1", "persistent_disposition_set": ["completeness_verified", "x"]}],
    )
    assert store.get_node("Product", "p1").props == props  # type: ignore[union-attr]
    assert store.get_node("Household", "h1").props["size"] == 4  # type: ignore[union-attr]
    assert store.get_node("Consent", "k1").props["granted"] is False  # type: ignore[union-attr]
    event = store.get_node("EpcisEvent", "e1")
    assert event is not None
    assert event.props["persistent_disposition_set"] == ["completeness_verified", "x"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"name": "no key"}, "key property 'id'"),
        ({"id": ""}, "key property 'id'"),
        ({"id": 7}, "key property 'id'"),
        ({"id": "c1", "nickname": "x"}, "unknown property 'nickname'"),
        ({"id": "c1", "address": {"street": "x"}}, "'address' has type dict"),
        ({"id": "c1", "name": ["a", 1]}, "mixes"),
        ({"id": "c1", "name": [["nested"]]}, "lists may hold only"),
        ({"id": "c1", "lifetime_value": float("nan")}, "not a finite number"),
        ({"id": "c1", "lifetime_value": 2**64}, "64-bit"),
    ],
)
def test_invalid_rows_are_refused_and_nothing_is_written(
    store: GraphStore, row: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidWriteError, match=message):
        store.upsert_nodes("Customer", [{"id": "ok", "name": "fine"}, row])  # type: ignore[list-item]
    assert store.counts().nodes["Customer"] == 0


def test_atomic_blocks_land_whole_or_not_at_all(store: GraphStore) -> None:
    add_customers(store, "a")
    with store.atomic():
        add_customers(store, "b")
        store.upsert_nodes("Holding", [{"id": "acc1", "status": "active"}])
        # Reads in the block see its writes; relationships can use nodes it created.
        assert store.get_node("Customer", "b") is not None
        store.upsert_relationships("HOLDS", "Customer", "Holding", [RelRow("b", "acc1")])
        with store.atomic():  # an inner block joins the outer one
            store.delete_nodes("Customer", ["a"])
    assert store.get_node("Customer", "a") is None
    assert [n.node.key for n in store.neighbours("Customer", "b", "HOLDS")] == ["acc1"]

    before = (store.counts(), store.get_nodes("Customer", ["b", "c"]))

    def failing_block() -> None:
        with store.atomic():
            add_customers(store, "c")
            store.upsert_nodes("Customer", [{"id": "b", "name": "renamed"}])
            store.delete_relationships("HOLDS", "Customer", "Holding", [RelRow("b", "acc1")])
            store.upsert_nodes("Holding", [{"id": "acc2", "balance": object()}])  # type: ignore[dict-item]

    with pytest.raises(InvalidWriteError):
        failing_block()
    # Nothing of the failed block: not the new customer, the rename or the deletion.
    assert (store.counts(), store.get_nodes("Customer", ["b", "c"])) == before
    assert [n.node.key for n in store.neighbours("Customer", "b", "HOLDS")] == ["acc1"]

    def caller_fails() -> None:
        with store.atomic():
            add_customers(store, "d")
            raise RuntimeError("the caller's own failure")

    with pytest.raises(RuntimeError):
        caller_fails()
    assert store.get_node("Customer", "d") is None
    # The store goes on working after a failed block.
    add_customers(store, "e")
    assert store.get_node("Customer", "e") is not None


def test_unknown_label_and_type_are_refused(store: GraphStore) -> None:
    with pytest.raises(UnknownLabelError):
        store.upsert_nodes("Custmer", [{"id": "x"}])
    with pytest.raises(UnknownRelationshipTypeError):
        store.upsert_relationships("HOLD", "Customer", "Holding", [])
    with pytest.raises(
        UnknownRelationshipTypeError, match="not allowed from Household to Customer"
    ):
        store.upsert_relationships("MEMBER_OF", "Household", "Customer", [])


def test_relationships_upsert_merge_and_report_missing_endpoints(store: GraphStore) -> None:
    add_customers(store, "c1", "c2", "c3")
    store.upsert_nodes("Household", [{"id": "h1"}])
    rows = [
        RelRow("c1", "h1", {"role": "head"}),
        RelRow("c2", "h1", {"role": "partner"}),
        RelRow("c9", "h1", {"role": "child"}),
        RelRow("c3", "h9"),
        RelRow("c8", "h8"),
    ]
    result = store.upsert_relationships("MEMBER_OF", "Customer", "Household", rows)
    assert (result.received, result.applied, result.created) == (5, 2, 2)
    assert sorted((m.src, m.dst, m.missing) for m in result.missing) == [
        ("c3", "h9", ("dst",)),
        ("c8", "h8", ("src", "dst")),
        ("c9", "h1", ("src",)),
    ]
    again = store.upsert_relationships("MEMBER_OF", "Customer", "Household", rows[:2])
    assert (again.applied, again.created) == (2, 0)
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow("c1", "h1", {"age_band": "40-49"})]
    )
    assert store.counts().relationships["MEMBER_OF"] == 2
    [member] = store.neighbours("Household", "h1", "MEMBER_OF", direction="in", limit=1)
    assert member.node.key == "c1"
    assert member.edge.props == {"role": "head", "age_band": "40-49"}


def test_keyed_relationship_types_hold_one_per_key(store: GraphStore) -> None:
    add_customers(store, "a", "b")
    result = store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [
            RelRow("a", "b", {"kind": "family"}),
            RelRow("a", "b", {"kind": "co_signer"}),
            RelRow("a", "b", {"kind": "family", "since": "2020-01-01"}),
        ],
    )
    assert (result.applied, result.created) == (2, 2)
    assert store.counts().relationships["RELATED_TO"] == 2
    with pytest.raises(InvalidWriteError, match="key property 'kind'"):
        store.upsert_relationships("RELATED_TO", "Customer", "Customer", [RelRow("a", "b")])
    deleted = store.delete_relationships(
        "RELATED_TO", "Customer", "Customer", [RelRow("a", "b", {"kind": "family"})]
    )
    assert deleted == 1
    [left] = store.neighbours("Customer", "a", "RELATED_TO")
    assert left.edge.props == {"kind": "co_signer"}


def test_delete_nodes_detaches_relationships(store: GraphStore) -> None:
    add_customers(store, "c1", "c2")
    store.upsert_nodes("Household", [{"id": "h1"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow("c1", "h1"), RelRow("c2", "h1")]
    )
    store.upsert_relationships(
        "RELATED_TO", "Customer", "Customer", [RelRow("c1", "c2", {"kind": "family"})]
    )
    assert store.delete_nodes("Customer", ["c1", "nobody"]) == 1
    assert store.get_node("Customer", "c1") is None
    counts = store.counts()
    assert counts.nodes["Customer"] == 1
    assert counts.relationships["MEMBER_OF"] == 1
    assert counts.relationships["RELATED_TO"] == 0
    assert [n.node.key for n in store.neighbours("Household", "h1", direction="in")] == ["c2"]
    assert store.delete_nodes("Customer", []) == 0


def test_get_nodes_returns_only_existing(store: GraphStore) -> None:
    add_customers(store, "c1", "c2", "c3", "c4")
    found = store.get_nodes("Customer", ["c4", "c1", "zz", "c1"])
    assert sorted(found) == ["c1", "c4"]
    assert found["c4"].props["name"] == "name c4"
    assert store.get_node("Customer", "zz") is None


def test_counts_cover_every_label_and_type(store: GraphStore) -> None:
    from graph.schema import schema

    add_star(store)
    counts = store.counts()
    assert set(counts.nodes) == set(schema().labels)
    assert set(counts.relationships) == set(schema().relationship_types)
    assert counts.nodes["Customer"] == 3
    assert counts.nodes["EpcisEvent"] == 0
    assert counts.relationships["HOLDS"] == 3
    assert counts.total_nodes == 6
    assert counts.total_relationships == 6


def test_batches_larger_than_the_write_batch(store: GraphStore) -> None:
    rows = [{"id": f"c{i:03d}", "name": str(i)} for i in range(25)]
    assert store.upsert_nodes("Customer", rows).created == 25
    store.upsert_nodes("Product", [{"id": "p"}])
    store.upsert_nodes("Purchase", [{"id": f"o{i:03d}"} for i in range(25)])
    result = store.upsert_relationships(
        "MADE", "Customer", "Purchase", [RelRow(f"c{i:03d}", f"o{i:03d}") for i in range(25)]
    )
    assert result.created == 25
    assert len(store.get_nodes("Customer", [r["id"] for r in rows])) == 25
    assert store.delete_nodes("Customer", [f"c{i:03d}" for i in range(0, 25, 2)]) == 13
    assert store.counts().relationships["MADE"] == 12


def test_clear_empties_the_store(store: GraphStore) -> None:
    add_star(store)
    store.clear()
    counts = store.counts()
    assert counts.total_nodes == 0
    assert counts.total_relationships == 0
    add_customers(store, "a")
    assert store.counts().total_nodes == 1


def test_ping(store: GraphStore) -> None:
    store.ping()


def test_a_type_change_is_a_change(store: GraphStore) -> None:
    store.upsert_nodes("Household", [{"id": "h1", "size": 1}])
    store.upsert_nodes("Household", [{"id": "h1", "size": 1.0}])
    node = store.get_node("Household", "h1")
    assert node is not None
    assert type(node.props["size"]) is float
    store.upsert_nodes("Household", [{"id": "h1", "size": True}])
    assert store.get_node("Household", "h1").props["size"] is True  # type: ignore[union-attr]


def test_touch_lands_only_on_created_or_changed_rows(store: GraphStore) -> None:
    store.upsert_nodes(
        "Customer", [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}], touch={"loaded_at": "t1"}
    )
    store.upsert_nodes(
        "Customer", [{"id": "a", "name": "A"}, {"id": "b", "name": "B2"}], touch={"loaded_at": "t2"}
    )
    assert store.get_node("Customer", "a").props["loaded_at"] == "t1"  # type: ignore[union-attr]
    assert store.get_node("Customer", "b").props == {"id": "b", "name": "B2", "loaded_at": "t2"}  # type: ignore[union-attr]
    store.upsert_nodes("SourceRecord", [{"id": "s"}])
    rel = [RelRow("s", "a", {"score": 1.0})]
    store.upsert_relationships(
        "RESOLVED_TO", "SourceRecord", "Customer", rel, touch={"resolved_at": "t1"}
    )
    store.upsert_relationships(
        "RESOLVED_TO", "SourceRecord", "Customer", rel, touch={"resolved_at": "t2"}
    )
    [link] = store.neighbours("SourceRecord", "s")
    assert link.edge.props == {"score": 1.0, "resolved_at": "t1"}
    with pytest.raises(InvalidWriteError, match="unknown property 'when'"):
        store.upsert_nodes("Customer", [{"id": "a"}], touch={"when": "now"})
