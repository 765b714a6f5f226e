"""Embedded store specifics: durability on reopen, the process lock, corrupt files."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.embedded import EmbeddedStore
from graph.errors import StoreCorruptError
from graph.store import RelRow


def _fill(store: EmbeddedStore) -> None:
    store.upsert_nodes(
        "Customer", [{"id": f"c{i}", "email": f"c{i}@x.org", "name": f"N{i}"} for i in range(50)]
    )
    store.upsert_nodes("Holding", [{"id": f"a{i}", "status": "active"} for i in range(50)])
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow(f"c{i}", f"a{i}", {"role": "primary"}) for i in range(50)],
    )
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [RelRow("c1", "c2", {"kind": "family"}), RelRow("c1", "c1", {"kind": "self"})],
    )
    store.delete_nodes("Customer", ["c49"])
    store.upsert_nodes("Customer", [{"id": "c0", "email": None}])


def _snapshot(store: EmbeddedStore) -> tuple[object, ...]:
    counts = store.counts()
    return (
        counts.nodes,
        counts.relationships,
        [(n.edge, n.node) for n in store.neighbours("Customer", "c1", direction="both")],
        store.get_nodes("Customer", [f"c{i}" for i in range(50)]),
        [n.key for n in store.find_nodes("Holding", "status", "active", limit=1000)],
        store.find_nodes("Customer", "email", "c7@x.org"),
        store.find_nodes("Customer", "email", "c0@x.org"),
    )


def test_reopen_rebuilds_the_same_graph(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with EmbeddedStore(path) as store:
        _fill(store)
        before = _snapshot(store)
    with EmbeddedStore(path) as store:
        assert _snapshot(store) == before
        assert store.counts().nodes["Customer"] == 49
        # New IDs continue after the highest one on disk.
        store.upsert_nodes("Customer", [{"id": "new"}])
    with EmbeddedStore(path) as store:
        assert store.get_node("Customer", "new") is not None
        assert store.get_node("Customer", "c3") is not None


def test_self_loop_counts_once(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "s.sqlite") as store:
        _fill(store)
        assert store.degree("Customer", "c1", "RELATED_TO") == 2
        assert store.counts().relationships["RELATED_TO"] == 2
        store.delete_nodes("Customer", ["c1"])
        assert store.counts().relationships["RELATED_TO"] == 0


def test_two_openers_of_one_file_share_one_graph(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    link = tmp_path / "link.sqlite"
    link.symlink_to(path)
    with EmbeddedStore(path) as first, EmbeddedStore(link) as second:
        first.upsert_nodes("Customer", [{"id": "c1", "name": "one"}])
        second.upsert_nodes("Customer", [{"id": "c2", "name": "two"}])
        second.upsert_nodes("Customer", [{"id": "c1", "city": "Oslo"}])
        for store in (first, second):
            assert store.counts().nodes["Customer"] == 2
            assert store.get_node("Customer", "c1").props == {  # type: ignore[union-attr]
                "id": "c1",
                "name": "one",
                "city": "Oslo",
            }
    # Through the link, SQLite wrote beside the real file: one WAL, one lock.
    assert not (tmp_path / "link.sqlite-wal").exists()


def test_garbage_file_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreCorruptError, match="not a readable ckb store"):
        EmbeddedStore(path)
    # The failed open released its lock: a repaired file opens.
    path.unlink()
    EmbeddedStore(path).close()


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreCorruptError, match="not a ckb store"):
        EmbeddedStore(path)


def test_failed_commit_leaves_the_store_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.sqlite"
    store = EmbeddedStore(path)
    store.upsert_nodes("Customer", [{"id": "c1", "name": "kept"}])

    def broken(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_commit", broken)
    with pytest.raises(sqlite3.OperationalError):
        store.upsert_nodes("Customer", [{"id": "c1", "name": "lost"}, {"id": "c2"}])
    monkeypatch.undo()
    assert store.get_node("Customer", "c1").props["name"] == "kept"  # type: ignore[union-attr]
    assert store.get_node("Customer", "c2") is None
    assert store.counts().nodes["Customer"] == 1
    store.upsert_nodes("Customer", [{"id": "c3"}])
    store.close()
    with EmbeddedStore(path) as reopened:
        assert sorted(reopened.get_nodes("Customer", ["c1", "c2", "c3"])) == ["c1", "c3"]


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.sqlite")
    store.upsert_nodes("Customer", [{"id": f"c{i}"} for i in range(100)])

    def writer(n: int) -> None:
        for i in range(100):
            store.upsert_nodes(
                "Customer", [{"id": f"c{i}", "city" if n == 0 else "country": f"w{n}"}]
            )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for node in store.get_nodes("Customer", [f"c{i}" for i in range(100)]).values():
        assert node.props["city"] == "w0"
        assert node.props["country"] == "w1"
    store.close()


_values = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=4),
    st.lists(st.integers(min_value=-1000, max_value=1000), max_size=4),
)
_customer_props = ["name", "email", "city", "gender", "lifetime_value", "national_id"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    props=st.dictionaries(st.sampled_from(_customer_props), _values, max_size=6),
    key=st.text(min_size=1, max_size=30),
)
def test_any_storable_value_survives_a_reopen(
    tmp_path: Path, props: dict[str, object], key: str
) -> None:
    path = tmp_path / f"h{abs(hash((key, repr(props))))}.sqlite"
    row = {"id": key, **props}
    with EmbeddedStore(path) as store:
        store.upsert_nodes("Customer", [row])  # type: ignore[list-item]
    with EmbeddedStore(path) as store:
        node = store.get_node("Customer", key)
        assert node is not None
        assert node.props == row
        assert [type(v) for v in node.props.values()] == [type(v) for v in row.values()]
        # Sent again, the row changes nothing, so a touch does not land: the text a new row
        # is stored as is the text the merge of the same row writes.
        store.upsert_nodes("Customer", [row], touch={"loaded_at": "later"})  # type: ignore[list-item]
        assert "loaded_at" not in store.get_node("Customer", key).props  # type: ignore[union-attr]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    props=st.dictionaries(st.sampled_from(_customer_props), st.none() | _values, max_size=6),
    rel_props=st.dictionaries(st.sampled_from(["role", "since"]), st.none() | _values, max_size=2),
)
def test_a_created_row_is_what_merging_it_would_write(
    tmp_path: Path, props: dict[str, object], rel_props: dict[str, object]
) -> None:
    touch = {"loaded_at": "t1"}
    with EmbeddedStore(tmp_path / f"m{abs(hash(repr((props, rel_props))))}.sqlite") as store:
        store.upsert_nodes("Household", [{"id": "h"}])
        for _ in range(2):
            store.upsert_nodes("Customer", [{"id": "c", **props}], touch=touch)  # type: ignore[list-item]
            store.upsert_relationships(
                "MEMBER_OF",
                "Customer",
                "Household",
                [RelRow("c", "h", rel_props)],
                touch={},  # type: ignore[arg-type]
            )
            touch = {"loaded_at": "t2"}
        node = store.get_node("Customer", "c")
        assert node is not None
        assert node.props == {
            "id": "c",
            **{k: v for k, v in props.items() if v is not None},
            "loaded_at": "t1",
        }
        [(edge, _)] = store.neighbours("Customer", "c", "MEMBER_OF")
        assert edge.props == {k: v for k, v in rel_props.items() if v is not None}


def test_keys_are_unique_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with EmbeddedStore(path) as store:
        _fill(store)
    with sqlite3.connect(path) as conn:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO nodes (label, key, props) SELECT label, key, '{}' FROM nodes "
                "WHERE key = 'c1'"
            )
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO rels SELECT * FROM rels LIMIT 1")


def test_an_atomic_block_that_fails_to_commit_leaves_the_store_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kb.sqlite"
    with EmbeddedStore(path) as store:
        _fill(store)
        before = _snapshot(store)

        def disk_full(conn: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        def block() -> None:
            with store.atomic():
                store.upsert_nodes("Customer", [{"id": "new"}, {"id": "c1", "name": "renamed"}])
                store.delete_nodes("Customer", ["c2"])

        monkeypatch.setattr(store, "_commit", disk_full)
        with pytest.raises(sqlite3.OperationalError):
            block()
        monkeypatch.undo()
        assert _snapshot(store) == before
        with store.atomic():
            store.upsert_nodes("Customer", [{"id": "new"}])
    with EmbeddedStore(path) as reopened:
        assert reopened.get_node("Customer", "new") is not None
        reopened.delete_nodes("Customer", ["new"])
        assert _snapshot(reopened) == before


def test_an_interrupted_atomic_block_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    with EmbeddedStore(path) as store:
        _fill(store)
        before = _snapshot(store)

        def interrupted() -> None:
            with store.atomic():
                store.upsert_nodes("Customer", [{"id": "new"}])
                assert store.get_node("Customer", "new") is not None  # the block sees it
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            interrupted()
        assert _snapshot(store) == before
        store.upsert_nodes("Customer", [{"id": "x"}])
    with EmbeddedStore(path) as reopened:
        reopened.delete_nodes("Customer", ["x"])
        assert _snapshot(reopened) == before


def test_a_label_new_to_the_file_gets_a_code_and_its_indexes(tmp_path: Path) -> None:
    from graph.schema import GraphSchema, NodeType, Prop, RelType, schema

    path = tmp_path / "s.sqlite"
    with EmbeddedStore(path) as store:
        _fill(store)
        before = _snapshot(store)
    base = schema()
    gadget = NodeType(
        "Gadget",
        "id",
        "a later label",
        (Prop("id", "string"), Prop("color", "string")),
        indexed=("color",),
    )
    owns = RelType("OWNS_GADGET", "a later type", (("Customer", "Gadget"),))
    grown = GraphSchema(base.version + 1, (*base.nodes, gadget), (*base.relationships, owns))
    with EmbeddedStore(path, model=grown) as store:
        nodes, rels, *rest = _snapshot(store)
        assert nodes == {**before[0], "Gadget": 0}  # type: ignore[dict-item]
        assert rels == {**before[1], "OWNS_GADGET": 0}  # type: ignore[dict-item]
        assert rest == list(before[2:])
        store.upsert_nodes("Gadget", [{"id": "g1", "color": "red"}, {"id": "g2", "color": "blue"}])
        store.upsert_relationships("OWNS_GADGET", "Customer", "Gadget", [RelRow("c1", "g1")])
        assert [n.key for n in store.find_nodes("Gadget", "color", "red")] == ["g1"]
        [(edge, node)] = store.neighbours("Customer", "c1", "OWNS_GADGET")
        assert (edge.type, node.key) == ("OWNS_GADGET", "g1")
        # The port's order is by names: the new type sorts among the old ones by name.
        types = [n.edge.type for n in store.neighbours("Customer", "c1", direction="both")]
        assert types == sorted(types)
        assert store.counts().nodes["Gadget"] == 2
        store.delete_nodes("Gadget", ["g1", "g2"])
    with EmbeddedStore(path) as store:  # the older model still reads the file
        assert _snapshot(store) == before


def _terms(path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT t.term, n.key FROM terms AS t LEFT JOIN nodes AS n ON n.id = t.node "
            "ORDER BY 1, 2"
        ).fetchall()


def test_a_deleted_node_takes_exactly_its_terms(tmp_path: Path) -> None:
    # Terms are deleted by key from the values the node holds (no index by node): a
    # node whose terms changed over updates leaves none behind, and a later node given
    # the deleted one's row ID (SQLite reuses the highest) inherits none.
    path = tmp_path / "s.sqlite"
    with EmbeddedStore(path) as store:
        store.upsert_nodes(
            "Customer",
            [
                {"id": "a", "name_keys": "ann anne"},
                {"id": "b", "name_keys": "bob anne"},
                {"id": "c", "name_keys": "cy"},
            ],
        )
        store.upsert_nodes("Customer", [{"id": "b", "name_keys": "rob bob"}])
        store.upsert_nodes("Customer", [{"id": "c", "name_keys": None}])
        store.upsert_nodes("Customer", [{"id": "c", "name_keys": "cyd"}])
        store.delete_nodes("Customer", ["b", "c"])
        assert _terms(path) == [("ann", "a"), ("anne", "a")]
        store.upsert_nodes("Customer", [{"id": "d", "name_keys": "dee"}])
        assert [n.key for n, _ in store.find_terms("Customer", "name_keys", ["cyd", "rob"])] == []
        assert [n.key for n, _ in store.find_terms("Customer", "name_keys", ["anne", "dee"])] == [
            "a",
            "d",
        ]
        assert all(key is not None for _, key in _terms(path))


def test_a_writer_drops_the_retired_node_index_of_terms(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with EmbeddedStore(path) as store:
        store.upsert_nodes("Customer", [{"id": "a", "name_keys": "ann"}])
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE INDEX terms_node ON terms (node)")
    with EmbeddedStore(path) as store:
        store.delete_nodes("Customer", ["a"])
    with sqlite3.connect(path) as conn:
        assert conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'terms_node'"
        ).fetchone() == (0,)
    assert _terms(path) == []
