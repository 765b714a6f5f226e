"""The embedded store's ``repoint_relationships``: relationships of absorbed nodes
re-drawn on their survivors with the upsert's rules (tests/identity/test_merge_paths.py
holds it to the port path on a whole merge)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.embedded.store import EmbeddedStore
from graph.store import RelRow


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    opened = EmbeddedStore(tmp_path / "store.sqlite")
    opened.apply_schema()
    opened.upsert_nodes("Customer", [{"id": c} for c in ("a", "b", "s")])
    opened.upsert_nodes("Touchpoint", [{"id": "t1"}, {"id": "t2"}])
    opened.upsert_nodes("SourceRecord", [{"id": "r1"}])
    opened.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow("a", "t1"), RelRow("s", "t2")]
    )
    opened.upsert_relationships("RESOLVED_TO", "SourceRecord", "Customer", [RelRow("r1", "a")])
    opened.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [
            RelRow("b", "a", {"kind": "family", "since": "2001"}),
            RelRow("a", "s", {"kind": "referral"}),
        ],
    )
    return opened


def _rels(store: EmbeddedStore) -> set[tuple[str, str, str, tuple[tuple[str, object], ...]]]:
    keys = store.keys("Customer")
    return {
        (e.src_key, e.type, e.dst_key, tuple(sorted(e.props.items())))
        for edges in store.relationships_of("Customer", keys).values()
        for e in edges
    }


def test_nothing_kept_moves_every_relationship(store: EmbeddedStore) -> None:
    before = store.repoint_relationships("Customer", {"a": "s"}, kept=())
    store.delete_nodes("Customer", ["a"])
    assert _rels(store) == {
        ("s", "HAD_TOUCHPOINT", "t1", ()),
        ("s", "HAD_TOUCHPOINT", "t2", ()),
        ("r1", "RESOLVED_TO", "s", ()),
        ("b", "RELATED_TO", "s", (("kind", "family"), ("since", "2001"))),
    }  # a -> s joined the survivor to itself: dropped
    assert before == {}  # nothing landed on a relationship s had
    counts = store.counts().relationships
    assert (counts["HAD_TOUCHPOINT"], counts["RESOLVED_TO"], counts["RELATED_TO"]) == (2, 1, 1)


def test_kept_types_stay_and_the_survivors_are_read(store: EmbeddedStore) -> None:
    store.upsert_relationships("RESOLVED_TO", "SourceRecord", "Customer", [RelRow("r1", "s")])
    store.upsert_relationships(
        "RELATED_TO", "Customer", "Customer", [RelRow("b", "s", {"kind": "family"})]
    )
    before = store.repoint_relationships(
        "Customer", {"a": "s"}, kept=("RESOLVED_TO",), also=("RESOLVED_TO",)
    )
    assert [(e.type, e.src_key, e.dst_key, e.props) for e in before["s"]] == [
        ("RELATED_TO", "b", "s", {"kind": "family"}),  # b -> a lands on it
        ("RESOLVED_TO", "r1", "s", {}),
    ]
    rels = _rels(store)
    assert ("b", "RELATED_TO", "s", (("kind", "family"), ("since", "2001"))) in rels
    assert ("r1", "RESOLVED_TO", "a", ()) in rels  # kept where it was
    with pytest.raises(ValueError, match="must be kept"):
        store.repoint_relationships("Customer", {"a": "s"}, kept=(), also=("RESOLVED_TO",))
