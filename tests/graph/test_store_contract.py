"""The store contract: both adapters must behave identically (embedded always; Neo4j when
CKB_TEST_NEO4J_URI is set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import (
    InvalidWriteError,
    SchemaError,
    UnknownLabelError,
    UnknownRelationshipTypeError,
)
from graph.store import GraphStore, Node, RelRow


def _customers(store: GraphStore, *keys: str) -> None:
    store.upsert_nodes("Customer", [{"id": k, "name": f"name {k}"} for k in keys])


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
    _customers(store, "a")
    with store.atomic():
        _customers(store, "b")
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
            _customers(store, "c")
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
            _customers(store, "d")
            raise RuntimeError("the caller's own failure")

    with pytest.raises(RuntimeError):
        caller_fails()
    assert store.get_node("Customer", "d") is None
    # The store goes on working after a failed block.
    _customers(store, "e")
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
    _customers(store, "c1", "c2", "c3")
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
    _customers(store, "a", "b")
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
    _customers(store, "c1", "c2")
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
    _customers(store, "c1", "c2", "c3", "c4")
    found = store.get_nodes("Customer", ["c4", "c1", "zz", "c1"])
    assert sorted(found) == ["c1", "c4"]
    assert found["c4"].props["name"] == "name c4"
    assert store.get_node("Customer", "zz") is None


def test_find_nodes_uses_indexes_only(store: GraphStore) -> None:
    store.upsert_nodes(
        "Customer",
        [{"id": f"c{i}", "postal_code": "0150" if i % 2 else "5003"} for i in range(9)],
    )
    found = store.find_nodes("Customer", "postal_code", "0150", limit=3)
    assert [n.key for n in found] == ["c1", "c3", "c5"]
    assert [n.key for n in store.find_nodes("Customer", "id", "c2")] == ["c2"]
    with pytest.raises(SchemaError, match="not indexed"):
        store.find_nodes("Customer", "city", "Oslo")


def test_an_indexed_value_follows_its_holders(store: GraphStore) -> None:
    def holders(email: str) -> list[str]:
        return [n.key for n in store.find_nodes("Customer", "email", email)]

    store.upsert_nodes("Customer", [{"id": "c1", "email": "a@x.org"}])
    assert holders("a@x.org") == ["c1"]
    store.upsert_nodes("Customer", [{"id": "c2", "email": "a@x.org"}])
    assert holders("a@x.org") == ["c1", "c2"]
    store.upsert_nodes("Customer", [{"id": "c1", "email": "b@x.org"}])
    assert (holders("a@x.org"), holders("b@x.org")) == (["c2"], ["c1"])
    store.delete_nodes("Customer", ["c2"])
    store.upsert_nodes("Customer", [{"id": "c1", "email": None}])
    assert (holders("a@x.org"), holders("b@x.org")) == ([], [])
    assert store.find_prefix("Customer", "email", "a@") == []


def _star(store: GraphStore) -> None:
    _customers(store, "a", "b", "c")
    store.upsert_nodes("Household", [{"id": "h1"}])
    store.upsert_nodes("Holding", [{"id": "acc2"}, {"id": "acc1"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow("a", "h1", {"role": "head"})]
    )
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow("a", "acc2"), RelRow("a", "acc1"), RelRow("b", "acc1")],
    )
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [RelRow("a", "b", {"kind": "family"}), RelRow("c", "a", {"kind": "referral"})],
    )


def test_neighbours_directions_filters_and_order(store: GraphStore) -> None:
    _star(store)
    out = store.neighbours("Customer", "a")
    assert [(n.edge.type, n.node.label, n.node.key) for n in out] == [
        ("HOLDS", "Holding", "acc1"),
        ("HOLDS", "Holding", "acc2"),
        ("MEMBER_OF", "Household", "h1"),
        ("RELATED_TO", "Customer", "b"),
    ]
    incoming = store.neighbours("Customer", "a", direction="in")
    assert [(n.edge.src_key, n.edge.dst_key, n.edge.props) for n in incoming] == [
        ("c", "a", {"kind": "referral"})
    ]
    both = store.neighbours("Customer", "a", "RELATED_TO", direction="both")
    assert [(n.edge.src_key, n.edge.dst_key) for n in both] == [("a", "b"), ("c", "a")]
    assert [
        n.node.key for n in store.neighbours("Customer", "a", other_label="Holding", limit=1)
    ] == ["acc1"]
    holders = store.neighbours("Holding", "acc1", "HOLDS", direction="in")
    assert [(n.node.key, n.edge.src_label, n.edge.dst_label) for n in holders] == [
        ("a", "Customer", "Holding"),
        ("b", "Customer", "Holding"),
    ]
    assert store.neighbours("Customer", "nobody") == []


def test_degree(store: GraphStore) -> None:
    _star(store)
    assert store.degree("Customer", "a") == 5
    assert store.degree("Customer", "a", "HOLDS", "out") == 2
    assert store.degree("Customer", "a", "RELATED_TO", "in") == 1
    assert store.degree("Customer", "nobody") == 0


def test_counts_cover_every_label_and_type(store: GraphStore) -> None:
    from graph.schema import schema

    _star(store)
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
    _star(store)
    store.clear()
    counts = store.counts()
    assert counts.total_nodes == 0
    assert counts.total_relationships == 0
    _customers(store, "a")
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


def test_neighbours_many_answers_a_batch_in_one_call(store: GraphStore) -> None:
    _star(store)
    found = store.neighbours_many("Customer", ["a", "b", "c", "nobody", "a"], "HOLDS")
    assert sorted(found) == ["a", "b"]
    assert [n.node.key for n in found["a"]] == ["acc1", "acc2"]
    assert [(n.edge.src_key, n.edge.dst_key) for n in found["b"]] == [("b", "acc1")]
    assert found["a"] == store.neighbours("Customer", "a", "HOLDS")
    limited = store.neighbours_many("Customer", ["a"], direction="both", limit=2)
    assert [(n.edge.type, n.node.key) for n in limited["a"]] == [
        ("HOLDS", "acc1"),
        ("HOLDS", "acc2"),
    ]
    holders = store.neighbours_many(
        "Holding", ["acc1"], "HOLDS", direction="in", other_label="Customer"
    )
    assert [n.node.key for n in holders["acc1"]] == ["a", "b"]


def test_relationships_of_names_every_edge_in_neighbours_order(store: GraphStore) -> None:
    _star(store)
    # An other end keyed by another property than id.
    store.upsert_nodes("ProductInstance", [{"epc": "urn:epc:id:sgtin:0614141.107346.1"}])
    store.upsert_relationships(
        "SOLD_TO",
        "ProductInstance",
        "Customer",
        [RelRow("urn:epc:id:sgtin:0614141.107346.1", "a", {"event_id": "e1"})],
    )
    store.upsert_nodes("Holding", [{"id": "lonely"}])
    found = store.relationships_of("Customer", ["a", "b", "nobody", "a"])
    assert sorted(found) == ["a", "b"]
    assert found["a"] == [n.edge for n in store.neighbours("Customer", "a", direction="both")]
    assert [(e.type, e.src_label, e.src_key, e.dst_key, e.props) for e in found["a"]] == [
        ("HOLDS", "Customer", "a", "acc1", {}),
        ("HOLDS", "Customer", "a", "acc2", {}),
        ("MEMBER_OF", "Customer", "a", "h1", {"role": "head"}),
        ("RELATED_TO", "Customer", "a", "b", {"kind": "family"}),
        ("RELATED_TO", "Customer", "c", "a", {"kind": "referral"}),
        (
            "SOLD_TO",
            "ProductInstance",
            "urn:epc:id:sgtin:0614141.107346.1",
            "a",
            {"event_id": "e1"},
        ),
    ]
    assert found["b"] == [n.edge for n in store.neighbours("Customer", "b", direction="both")]
    assert store.relationships_of("Holding", ["lonely", "acc1"]) == {
        "acc1": [n.edge for n in store.neighbours("Holding", "acc1", direction="both")]
    }


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


def test_keys_page_walks_a_label_in_key_order(store: GraphStore) -> None:
    _customers(store, "c3", "c1", "c2", "c5", "c4")
    assert store.keys_page("Customer", limit=2) == ["c1", "c2"]
    assert store.keys_page("Customer", after="c2", limit=2) == ["c3", "c4"]
    assert store.keys_page("Customer", after="c4") == ["c5"]
    assert store.keys_page("Customer", after="c5") == []
    assert store.keys_page("Household") == []


def test_find_prefix_on_an_indexed_property(store: GraphStore) -> None:
    store.upsert_nodes(
        "Customer",
        [
            {"id": "c1", "name_normalized": "wang xiaoming"},
            {"id": "c2", "name_normalized": "wang li"},
            {"id": "c3", "name_normalized": "wong li"},
            {"id": "c4", "name_normalized": "王小明"},
        ],
    )
    assert [n.key for n in store.find_prefix("Customer", "name_normalized", "wang")] == ["c1", "c2"]
    assert [n.key for n in store.find_prefix("Customer", "name_normalized", "王")] == ["c4"]
    assert [n.key for n in store.find_prefix("Customer", "name_normalized", "w", limit=2)] == [
        "c1",
        "c2",
    ]
    store.upsert_nodes("Customer", [{"id": "c2", "name_normalized": "li wang"}])
    assert [n.key for n in store.find_prefix("Customer", "name_normalized", "wang")] == ["c1"]
    with pytest.raises(SchemaError, match="not indexed"):
        store.find_prefix("Customer", "city", "Os")


def test_find_terms_counts_shared_terms(store: GraphStore) -> None:
    store.upsert_nodes(
        "Customer",
        [
            {"id": "c1", "name_keys": "wang wei wangwei"},
            {"id": "c2", "name_keys": "wang li"},
            {"id": "c3", "name_keys": "li wei"},
            {"id": "c4", "name": "no keys"},
        ],
    )
    hits = store.find_terms("Customer", "name_keys", ["wang", "wei", "wangwei"])
    assert [(n.key, shared) for n, shared in hits] == [("c1", 3), ("c2", 1), ("c3", 1)]
    assert hits[0][0].props["name_keys"] == "wang wei wangwei"
    assert [n.key for n, _ in store.find_terms("Customer", "name_keys", ["wei"], limit=1)] == ["c1"]
    assert store.find_terms("Customer", "name_keys", []) == []
    # Changing or deleting a node takes its old terms out of the index.
    store.upsert_nodes("Customer", [{"id": "c2", "name_keys": "zhang li"}])
    store.delete_nodes("Customer", ["c3"])
    assert [n.key for n, _ in store.find_terms("Customer", "name_keys", ["wang", "li"])] == [
        "c1",
        "c2",
    ]
    assert [n.key for n, _ in store.find_terms("Customer", "name_keys", ["wei"])] == ["c1"]
    with pytest.raises(SchemaError, match="not term-indexed"):
        store.find_terms("Customer", "name", ["wang"])
    with pytest.raises(InvalidWriteError, match="letters and digits only"):
        store.find_terms("Customer", "name_keys", ["wang OR *"])


def test_find_nodes_pages_after_a_key(store: GraphStore) -> None:
    store.upsert_nodes(
        "Customer", [{"id": f"c{i:04d}", "value_tier": "gold" if i % 2 else "bronze"} for i in range(2500)]
    )  # fmt: skip
    # 1250 bronze: past the embedded store's small-bucket path, so both paths are covered.
    page = store.find_nodes("Customer", "value_tier", "bronze", limit=3, after="c0002")
    assert [n.key for n in page] == ["c0004", "c0006", "c0008"]
    small = store.find_nodes("Customer", "value_tier", "gold", limit=2, after="c2495")
    assert [n.key for n in small] == ["c2497", "c2499"]
    assert store.find_nodes("Customer", "value_tier", "bronze", limit=5, after="c2498") == []
    store.upsert_nodes("Customer", [{"id": "c0005", "value_tier": "bronze"}])  # a write in between
    page = store.find_nodes("Customer", "value_tier", "bronze", limit=3, after="c0002")
    assert [n.key for n in page] == ["c0004", "c0005", "c0006"]
    assert [n.key for n in store.find_nodes("Customer", "id", "c0007", after="c0006")] == ["c0007"]
    assert store.find_nodes("Customer", "id", "c0007", after="c0007") == []


def test_find_range_by_value_then_key(store: GraphStore) -> None:
    scores = {"a": 0.9, "b": 0.5, "c": 0.9, "d": 0.1, "e": 0.0, "f": 0.5}
    store.upsert_nodes(
        "Customer",
        [{"id": k, "churn_score": v} for k, v in scores.items()] + [{"id": "g", "status": "x"}],
    )

    def keys(nodes: list[Node]) -> list[str]:
        return [n.key for n in nodes]

    assert keys(store.find_range("Customer", "churn_score", low=0.5, descending=True)) == [
        "a",
        "c",
        "b",
        "f",
    ]
    assert keys(store.find_range("Customer", "churn_score", low=0.5, descending=True, limit=3)) == [
        "a",
        "c",
        "b",
    ]
    assert keys(store.find_range("Customer", "churn_score", low=0.1, high=0.9)) == ["d", "b", "f"]
    assert keys(store.find_range("Customer", "churn_score", high=0.5)) == ["e", "d"]
    assert store.find_range("Customer", "churn_score", low="a") == []  # strings never match numbers
    with pytest.raises(InvalidWriteError, match="needs a low or a high bound"):
        store.find_range("Customer", "churn_score")
    with pytest.raises(SchemaError, match="not indexed"):
        store.find_range("Customer", "lifetime_value", low=1.0)


def test_copy_graph_to_another_store(store: GraphStore, tmp_path: Path) -> None:
    from graph.copy import copy_graph
    from graph.embedded import EmbeddedStore

    store.upsert_nodes("Customer", [{"id": "a", "name": "Ann"}, {"id": "b"}])
    store.upsert_nodes("Household", [{"id": "h"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow("a", "h", {"role": "head"}), RelRow("b", "h")]
    )
    store.upsert_relationships(
        "RELATED_TO", "Customer", "Customer", [RelRow("a", "b", {"kind": "spouse"})]
    )
    with EmbeddedStore(tmp_path / "copy.sqlite") as target:
        assert copy_graph(store, target, batch=1) == (3, 3)
        assert target.counts() == store.counts()
        [member] = target.neighbours("Customer", "a", "MEMBER_OF")
        assert member.edge.props == {"role": "head"}
        assert target.get_node("Customer", "a").props["name"] == "Ann"  # type: ignore[union-attr]
        copy_graph(store, target)
        assert target.counts() == store.counts()
