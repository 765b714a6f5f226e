"""The store contract, reading: both adapters must answer identically (embedded always;
Neo4j when CKB_TEST_NEO4J_URI is set) for neighbours, degrees, index lookups (exact,
prefix, terms, ranges), key pages and relationships; and a graph copies between them."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import (
    InvalidWriteError,
    SchemaError,
)
from graph.store import GraphStore, Node, RelRow
from tests.support.graph_builders import add_customers, add_star


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


def test_neighbours_directions_filters_and_order(store: GraphStore) -> None:
    add_star(store)
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
    add_star(store)
    assert store.degree("Customer", "a") == 5
    assert store.degree("Customer", "a", "HOLDS", "out") == 2
    assert store.degree("Customer", "a", "RELATED_TO", "in") == 1
    assert store.degree("Customer", "nobody") == 0


def test_neighbours_many_answers_a_batch_in_one_call(store: GraphStore) -> None:
    add_star(store)
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


def test_neighbour_nodes_many_are_the_neighbours_other_ends(store: GraphStore) -> None:
    add_star(store)
    keys = ["a", "b", "c", "nobody", "a"]
    for rel_type, direction, other, limit in [
        ("HOLDS", "out", None, 100),
        ("HOLDS", "out", "Holding", 1),
        ("RELATED_TO", "in", "Customer", 100),
        (None, "both", None, 2),
        ("RELATED_TO", "both", None, 100),
    ]:
        found = store.neighbour_nodes_many("Customer", keys, rel_type, direction, other, limit)  # type: ignore[arg-type]
        near = store.neighbours_many("Customer", keys, rel_type, direction, other, limit)  # type: ignore[arg-type]
        assert found == {k: [n.node for n in ns] for k, ns in near.items()}
        assert list(found) == list(near)
        if rel_type is not None:
            others = store.neighbour_keys_many("Customer", keys, rel_type, direction, other, limit)  # type: ignore[arg-type]
            assert others == {k: [n.node.key for n in ns] for k, ns in near.items()}
            assert list(others) == list(near)
    assert [n.key for n in store.neighbour_nodes_many("Customer", ["a"], "HOLDS")["a"]] == [
        "acc1",
        "acc2",
    ]
    assert store.neighbour_nodes_many("Customer", ["a"], "HOLDS", limit=0) == {}
    assert store.neighbour_nodes_many("Customer", [], "HOLDS") == {}


def test_relationships_of_names_every_edge_in_neighbours_order(store: GraphStore) -> None:
    add_star(store)
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


def test_keys_page_walks_a_label_in_key_order(store: GraphStore) -> None:
    add_customers(store, "c3", "c1", "c2", "c5", "c4")
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
