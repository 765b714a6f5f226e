"""The embedded store's one-way neighbour reads (graph/embedded/traversal.py
``_one_way_sql``: one relationship type, out or in) answer exactly what its general
adjacency statement (``_adjacent``) answers: the same neighbours, in the port's order, at
most ``limit`` a node, for one node (cut in SQL) and for many (cut as read); the other
ends only (``neighbour_nodes_many``) are those neighbours' nodes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from graph.embedded import EmbeddedStore
from graph.store import Direction, Neighbour


def general(
    store: EmbeddedStore,
    label: str,
    keys: Sequence[str],
    rel_type: str,
    direction: Direction,
    other: str | None,
    limit: int,
) -> dict[str, list[Neighbour]]:
    """``neighbours_many`` by the general statement."""
    if not keys or limit <= 0:
        return {}
    found = store._adjacent(label, keys, rel_type, direction, other, limit, True)
    return {k: [Neighbour(e, n) for e, n in near if n] for k, near in found.items()}


SHAPES: list[tuple[str, str, Direction, str | None]] = [
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
@pytest.mark.parametrize("limit", [1, 2, 5, 100_000])
def test_one_way_reads_answer_as_the_general_statement(
    one_way_graph: EmbeddedStore,
    label: str,
    rel_type: str,
    direction: Direction,
    other: str | None,
    limit: int,
) -> None:
    every = one_way_graph.keys_page(label, None, 1000)
    # Every node, one at a time and all at once; an unknown key and a repeated one.
    for keys in [*([k] for k in every), [*every, "nobody", *every[:2]], ["nobody"], []]:
        expected = general(one_way_graph, label, keys, rel_type, direction, other, limit)
        found = one_way_graph.neighbours_many(label, keys, rel_type, direction, other, limit)
        assert found == expected
        assert list(found) == list(expected)  # the keys' order too
        for key in keys:
            one = one_way_graph.neighbours(label, key, rel_type, direction, other, limit)
            assert one == expected.get(key, [])
        nodes = one_way_graph.neighbour_nodes_many(label, keys, rel_type, direction, other, limit)
        assert nodes == {k: [n.node for n in near] for k, near in expected.items()}
        assert list(nodes) == list(expected)
        others = one_way_graph.neighbour_keys_many(label, keys, rel_type, direction, other, limit)
        assert others == {k: [n.node.key for n in near] for k, near in expected.items()}
        assert list(others) == list(expected)
    assert general(one_way_graph, label, every, rel_type, direction, other, limit), (
        "the fixture holds each shape"
    )
    # The one-way statement answered, not the general one.
    assert ("one way", label, rel_type, direction == "out", other, True, False) in (
        one_way_graph._sql_cache
    )


@pytest.mark.parametrize("limit", [1, 5, 65, 66, 67, 1000])
def test_a_node_with_many_neighbours_keeps_the_first_by_key(
    one_way_graph: EmbeddedStore, limit: int
) -> None:
    ask = ("HAD_TOUCHPOINT", "out", "Touchpoint")
    for keys in (["dan"], ["ann", "dan", "bob"]):
        found = one_way_graph.neighbours_many("Customer", keys, *ask, limit=limit)  # type: ignore[arg-type]
        assert found == general(one_way_graph, "Customer", keys, *ask, limit)  # type: ignore[arg-type]
        nodes = one_way_graph.neighbour_nodes_many("Customer", keys, *ask, limit=limit)  # type: ignore[arg-type]
        assert nodes == {k: [n.node for n in near] for k, near in found.items()}
        others = one_way_graph.neighbour_keys_many("Customer", keys, *ask, limit=limit)  # type: ignore[arg-type]
        assert others == {k: [n.node.key for n in near] for k, near in found.items()}
        tops = [n.node.key for n in found["dan"]]
        assert tops == sorted(tops)
        assert len(tops) == min(limit, 66)
        assert tops[0] == "m001"


def test_a_self_loop_read_inward_is_outgoing_as_the_general_statement_gives_it(
    one_way_graph: EmbeddedStore,
) -> None:
    for keys in (["z"], ["z", "ann"]):
        found = one_way_graph.neighbours_many("Customer", keys, "RELATED_TO", "in", "Customer", 10)
        (loop,) = found["z"]
        assert (loop.edge.src_key, loop.edge.dst_key) == ("z", "z")
        assert loop.edge.props == {"kind": "self"}
        assert found == general(one_way_graph, "Customer", keys, "RELATED_TO", "in", "Customer", 10)


def test_nothing_asked_for_reads_nothing(one_way_graph: EmbeddedStore) -> None:
    assert one_way_graph.neighbours_many("Customer", ["ann"], "HOLDS", limit=0) == {}
    assert one_way_graph.neighbours_many("Customer", [], "HOLDS") == {}
    assert one_way_graph.neighbours("Customer", "ann", "HOLDS", limit=0) == []
