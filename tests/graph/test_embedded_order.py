"""The embedded store's neighbour answers against a model of the port's contract.

The store ranks label and type codes by their names in SQL (graph/embedded/layout.py) and
keeps a per-node limit with a window function; a small model in plain Python says what
the port promises — every matching relationship once (a self-loop once), ordered by type,
other label, other key, outgoing first, relationship key, at most ``limit`` per node — and
random graphs must get the same answer from both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.embedded import EmbeddedStore
from graph.store import Direction, RelRow

CUSTOMERS = [f"c{i}" for i in range(6)]
HOUSEHOLDS = ["h0", "h1"]
HOLDINGS = ["a0", "a1", "a2"]
# (type, from label, to label, key property or None): types whose names sort otherwise
# than the schema declares them, with keyed and unkeyed ones, and self-loops.
SHAPES = [
    ("RELATED_TO", "Customer", "Customer", "kind"),
    ("MEMBER_OF", "Customer", "Household", None),
    ("HOLDS", "Customer", "Holding", None),
]
KEYS = {"Customer": CUSTOMERS, "Household": HOUSEHOLDS, "Holding": HOLDINGS}
KINDS = ["family", "referral", "employer"]

_edge = st.one_of(
    st.tuples(st.just(0), st.sampled_from(CUSTOMERS), st.sampled_from(CUSTOMERS),
              st.sampled_from(KINDS)),
    st.tuples(st.just(1), st.sampled_from(CUSTOMERS), st.sampled_from(HOUSEHOLDS), st.none()),
    st.tuples(st.just(2), st.sampled_from(CUSTOMERS), st.sampled_from(HOLDINGS), st.none()),
)  # fmt: skip


def _model(
    edges: set[tuple[str, str, str, str, str, str]],
    label: str,
    key: str,
    rel_type: str | None,
    direction: Direction,
    other_label: str | None,
    limit: int,
) -> list[tuple[Any, ...]]:
    picked = []
    for rtype, slabel, skey, dlabel, dkey, rkey in edges:
        outward = (slabel, skey) == (label, key)
        inward = (dlabel, dkey) == (label, key)
        if rel_type is not None and rtype != rel_type:
            continue
        if direction in ("out", "both") and outward:
            other = (dlabel, dkey)
        elif direction in ("in", "both") and inward:
            other = (slabel, skey)
        else:
            continue
        if other_label is not None and other[0] != other_label:
            continue
        incoming = not outward
        picked.append(
            ((rtype, other[0], other[1], incoming, rkey), (rtype, slabel, skey, dlabel, dkey))
        )
    picked.sort(key=lambda p: p[0])
    return [edge for _, edge in picked[:limit]]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edges=st.lists(_edge, max_size=25),
    rel_type=st.none() | st.sampled_from([s[0] for s in SHAPES]),
    other_label=st.none() | st.sampled_from(list(KEYS)),
    direction=st.sampled_from(["out", "in", "both"]),
    limit=st.integers(min_value=1, max_value=6),
)
def test_neighbours_answer_as_the_port_promises(
    tmp_path_factory: Any,
    edges: list[tuple[int, str, str, str | None]],
    rel_type: str | None,
    other_label: str | None,
    direction: Direction,
    limit: int,
) -> None:
    path: Path = tmp_path_factory.mktemp("order") / "kb.sqlite"
    model: set[tuple[str, str, str, str, str, str]] = set()
    with EmbeddedStore(path) as store:
        for label, keys in KEYS.items():
            store.upsert_nodes(label, [{"id": k} for k in keys])
        for shape, src, dst, kind in edges:
            rtype, slabel, dlabel, key_prop = SHAPES[shape]
            props = {key_prop: kind} if key_prop else {}
            store.upsert_relationships(rtype, slabel, dlabel, [RelRow(src, dst, props)])
            model.add((rtype, slabel, src, dlabel, dst, kind or ""))
        anchors = [("Customer", k) for k in CUSTOMERS] + [("Household", "h0"), ("Holding", "a1")]
        many = store.neighbours_many(
            "Customer", CUSTOMERS, rel_type, direction, other_label, limit=limit
        )
        for label, key in anchors:
            expected = _model(model, label, key, rel_type, direction, other_label, limit)
            got = store.neighbours(label, key, rel_type, direction, other_label, limit=limit)
            assert [
                (n.edge.type, n.edge.src_label, n.edge.src_key, n.edge.dst_label, n.edge.dst_key)
                for n in got
            ] == expected, (label, key)
            for n in got:  # the node that comes with a relationship is its other end
                anchor_is_src = (n.edge.src_label, n.edge.src_key) == (label, key)
                other = (
                    (n.edge.dst_label, n.edge.dst_key)
                    if anchor_is_src
                    else (n.edge.src_label, n.edge.src_key)
                )
                assert (n.node.label, n.node.key) == other
            if label == "Customer":
                assert [
                    (
                        n.edge.type,
                        n.edge.src_label,
                        n.edge.src_key,
                        n.edge.dst_label,
                        n.edge.dst_key,
                    )
                    for n in many.get(key, [])
                ] == expected, ("many", key)
            if direction == "both" and rel_type is None and other_label is None:
                everything = _model(model, label, key, None, "both", None, 10**6)
                edges_of = store.relationships_of(label, [key]).get(key, [])
                assert [
                    (e.type, e.src_label, e.src_key, e.dst_label, e.dst_key) for e in edges_of
                ] == everything
