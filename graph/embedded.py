"""Embedded store: networkx in memory for traversal, SQLite (WAL) for durability.

SQLite is the truth; the networkx graph is a mirror rebuilt from it on open. A write is
staged in Python, committed to SQLite in one transaction and only then applied to the
mirror, so an acknowledged write is on disk and a failed one leaves memory untouched.
One process owns a store file at a time (an exclusive lock file), because a second
writer would change SQLite behind the first one's mirror.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from graph.errors import (
    InvalidWriteError,
    SchemaError,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
)
from graph.schema import GraphSchema, schema
from graph.store import (
    Direction,
    Edge,
    GraphCounts,
    MissingEndpoint,
    Neighbour,
    Node,
    Properties,
    PropertyValue,
    RelRow,
    UpsertResult,
)
from graph.values import merge_props, prepare_nodes, prepare_rels

FORMAT = "ckb-embedded/1"
_RKEY_SEP = "\x1f"

_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS nodes ("
    " id INTEGER PRIMARY KEY, label TEXT NOT NULL, key TEXT NOT NULL, props TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS nodes_label_key ON nodes (label, key)",
    "CREATE TABLE IF NOT EXISTS rels ("
    " src INTEGER NOT NULL, type TEXT NOT NULL, dst INTEGER NOT NULL, rkey TEXT NOT NULL,"
    " props TEXT NOT NULL, PRIMARY KEY (src, type, dst, rkey)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS rels_dst ON rels (dst)",
)
_UPSERT_NODE = (
    "INSERT INTO nodes (id, label, key, props) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET props = excluded.props"
)
_UPSERT_REL = (
    "INSERT INTO rels (src, type, dst, rkey, props) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (src, type, dst, rkey) DO UPDATE SET props = excluded.props"
)

EdgeKey = tuple[str, str]  # (relationship type, joined key-property values)


def _dumps(props: dict[str, PropertyValue]) -> str:
    return json.dumps(props, ensure_ascii=False, separators=(",", ":"))


def _loads(text: str) -> dict[str, PropertyValue]:
    if text == "{}":
        return {}
    loaded: dict[str, PropertyValue] = json.loads(text)
    return loaded


class EmbeddedStore:
    """The default store. Thread-safe; one instance per process per file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        model: GraphSchema | None = None,
    ) -> None:
        self._path = Path(path)
        self._schema = model or schema()
        if synchronous.upper() not in {"FULL", "NORMAL", "EXTRA"}:
            raise StoreError(f"unsupported SQLite synchronous mode {synchronous!r}")
        self._lock = threading.RLock()
        self._closed = False
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = self._acquire_file_lock()
        try:
            self._conn = self._connect(synchronous.upper())
            self._graph: Any = nx.MultiDiGraph()
            self._reset_indexes()
            self._rebuild()
        except BaseException:
            self._release_file_lock()
            raise

    # ----------------------------------------------------------------- lifecycle

    @property
    def description(self) -> str:
        return f"embedded store {self._path}"

    @property
    def path(self) -> Path:
        return self._path

    @property
    def graph(self) -> Any:
        """The networkx mirror, for traversals. Read it under ``read_lock``; never mutate it."""
        return self._graph

    @property
    def read_lock(self) -> threading.RLock:
        return self._lock

    def _acquire_file_lock(self) -> int:
        lock_path = self._path.with_name(self._path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLockedError(
                f"{self._path} is in use by another ckb process (pid {holder}); "
                "stop it or point CKB_GRAPH at another file"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        return fd

    def _release_file_lock(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA temp_store = MEMORY")
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if tables and "meta" not in tables:
                conn.close()
                raise StoreCorruptError(f"{self._path} is an SQLite file but not a ckb store")
            for ddl in _DDL:
                conn.execute(ddl)
            fmt = conn.execute("SELECT v FROM meta WHERE k = 'format'").fetchone()
            if fmt is None:
                conn.execute("INSERT INTO meta (k, v) VALUES ('format', ?)", (FORMAT,))
            elif fmt[0] != FORMAT:
                conn.close()
                raise StoreCorruptError(
                    f"{self._path} has store format {fmt[0]!r}; this ckb reads {FORMAT!r}"
                )
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"{self._path} is not a readable ckb store: {exc}") from None
        return conn

    def _reset_indexes(self) -> None:
        self._next_id = 1
        self._key_index: dict[str, dict[str, int]] = {n.label: {} for n in self._schema.nodes}
        self._prop_index: dict[tuple[str, str], dict[Any, set[int]]] = {
            (n.label, p): {} for n in self._schema.nodes for p in n.indexed
        }
        self._indexed_by_label: dict[str, tuple[str, ...]] = {
            n.label: n.indexed for n in self._schema.nodes
        }
        self._rel_counts: Counter[str] = Counter()

    def _rebuild(self) -> None:
        """Load SQLite into the mirror: nodes first, then relationships."""
        graph = self._graph
        try:
            cur = self._conn.execute("SELECT id, label, key, props FROM nodes")
            max_id = 0
            while batch := cur.fetchmany(20_000):
                entries = []
                for nid, label, key, text in batch:
                    props = _loads(text)
                    keys = self._key_index.get(label)
                    if keys is None:
                        raise StoreCorruptError(
                            f"{self._path} holds label {label!r} that this ckb's schema lacks"
                        )
                    keys[key] = nid
                    self._index_props(label, nid, props)
                    entries.append((nid, {"label": label, "key": key, "props": props}))
                    max_id = max(max_id, nid)
                graph.add_nodes_from(entries)
            self._next_id = max_id + 1
            cur = self._conn.execute("SELECT src, type, dst, rkey, props FROM rels")
            counts = self._rel_counts
            while batch := cur.fetchmany(50_000):
                graph.add_edges_from(
                    (src, dst, (rtype, rkey), _loads(text)) for src, rtype, dst, rkey, text in batch
                )
                counts.update(row[1] for row in batch)
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"{self._path} is not a readable ckb store: {exc}") from None

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._conn.close()
            self._release_file_lock()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> None:
        with self._lock:
            self._check_open()
            self._conn.execute("SELECT 1").fetchone()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.description} is closed")

    def apply_schema(self) -> list[str]:
        with self._lock:
            self._check_open()
            self._conn.execute(
                "INSERT INTO meta (k, v) VALUES ('schema_version', ?) "
                "ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                (str(self._schema.version),),
            )
        indexed = sum(len(n.indexed) for n in self._schema.nodes)
        return [
            f"schema version {self._schema.version} recorded in {self._path}",
            f"{len(self._schema.nodes)} key indexes and {indexed} property indexes "
            "are kept in memory",
        ]

    # ----------------------------------------------------------------- writes

    def _write(self, sql: str, params: Sequence[tuple[Any, ...]], *more: tuple[str, Any]) -> None:
        """Run statements in one transaction; on return the batch is committed."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if params:
                conn.executemany(sql, params)
            for extra_sql, extra_params in more:
                if extra_params:
                    conn.executemany(extra_sql, extra_params)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _index_props(self, label: str, nid: int, props: dict[str, PropertyValue]) -> None:
        for prop in self._indexed_by_label[label]:
            value = props.get(prop)
            if value is not None and not isinstance(value, list):
                self._prop_index[(label, prop)].setdefault(value, set()).add(nid)

    def _unindex_props(self, label: str, nid: int, props: dict[str, PropertyValue]) -> None:
        for prop in self._indexed_by_label[label]:
            value = props.get(prop)
            if value is not None and not isinstance(value, list):
                bucket = self._prop_index[(label, prop)].get(value)
                if bucket is not None:
                    bucket.discard(nid)
                    if not bucket:
                        del self._prop_index[(label, prop)][value]

    def upsert_nodes(self, label: str, rows: Iterable[Properties]) -> UpsertResult:
        node_type = self._schema.node(label)
        rows = list(rows)
        prepared = prepare_nodes(node_type, rows)
        with self._lock:
            self._check_open()
            keys = self._key_index[label]
            node_data = self._graph._node
            next_id = self._next_id
            staged: list[tuple[int, str, dict[str, PropertyValue], bool]] = []
            for p in prepared:
                nid = keys.get(p.key)
                if nid is None:
                    merged = {k: v for k, v in p.props.items() if v is not None}
                    staged.append((next_id, p.key, merged, True))
                    next_id += 1
                else:
                    current = node_data[nid]["props"]
                    merged = merge_props(current, p.props)
                    if merged != current:
                        staged.append((nid, p.key, merged, False))
            if staged:
                self._write(
                    _UPSERT_NODE, [(nid, label, key, _dumps(pr)) for nid, key, pr, _ in staged]
                )
            created = 0
            new_nodes = []
            for nid, key, merged, is_new in staged:
                if is_new:
                    created += 1
                    keys[key] = nid
                    new_nodes.append((nid, {"label": label, "key": key, "props": merged}))
                else:
                    data = node_data[nid]
                    self._unindex_props(label, nid, data["props"])
                    data["props"] = merged
                self._index_props(label, nid, merged)
            self._graph.add_nodes_from(new_nodes)
            self._next_id = next_id
        return UpsertResult(received=len(rows), applied=len(prepared), created=created)

    def upsert_relationships(
        self, rel_type: str, src_label: str, dst_label: str, rows: Iterable[RelRow]
    ) -> UpsertResult:
        rel = self._schema.check_endpoints(rel_type, src_label, dst_label)
        rows = list(rows)
        prepared = prepare_rels(rel, rows)
        missing: list[MissingEndpoint] = []
        with self._lock:
            self._check_open()
            src_keys = self._key_index[src_label]
            dst_keys = self._key_index[dst_label]
            adj = self._graph._adj
            staged: list[tuple[int, int, EdgeKey, dict[str, PropertyValue], bool]] = []
            for p in prepared:
                s = src_keys.get(p.src)
                d = dst_keys.get(p.dst)
                if s is None or d is None:
                    ends = tuple(e for e, n in (("src", s), ("dst", d)) if n is None)
                    missing.append(MissingEndpoint(p.src, p.dst, ends))
                    continue
                ekey = (rel_type, _RKEY_SEP.join(p.rkey))
                current = adj[s].get(d, {}).get(ekey)
                if current is None:
                    merged = {k: v for k, v in p.props.items() if v is not None}
                    staged.append((s, d, ekey, merged, True))
                else:
                    merged = merge_props(current, p.props)
                    if merged != current:
                        staged.append((s, d, ekey, merged, False))
            if staged:
                self._write(
                    _UPSERT_REL,
                    [(s, ek[0], d, ek[1], _dumps(pr)) for s, d, ek, pr, _ in staged],
                )
            created = 0
            new_edges = []
            for s, d, ekey, merged, is_new in staged:
                if is_new:
                    created += 1
                    new_edges.append((s, d, ekey, merged))
                else:
                    data = adj[s][d][ekey]
                    data.clear()
                    data.update(merged)
            self._graph.add_edges_from(new_edges)
            self._rel_counts[rel_type] += created
        return UpsertResult(
            received=len(rows),
            applied=len(prepared) - len(missing),
            created=created,
            missing=tuple(missing),
        )

    def delete_nodes(self, label: str, keys: Iterable[str]) -> int:
        self._schema.node(label)
        with self._lock:
            self._check_open()
            index = self._key_index[label]
            nids = sorted({index[k] for k in keys if k in index})
            if not nids:
                return 0
            params = [(nid,) for nid in nids]
            self._write(
                "DELETE FROM rels WHERE src = ?",
                params,
                ("DELETE FROM rels WHERE dst = ?", params),
                ("DELETE FROM nodes WHERE id = ?", params),
            )
            graph = self._graph
            for nid in nids:
                seen_loops: set[EdgeKey] = set()
                for _, _, ekey in graph.out_edges(nid, keys=True):
                    self._rel_counts[ekey[0]] -= 1
                for u, _, ekey in graph.in_edges(nid, keys=True):
                    if u == nid:  # a self-loop was already counted as outgoing
                        seen_loops.add(ekey)
                        continue
                    self._rel_counts[ekey[0]] -= 1
                data = graph._node[nid]
                self._unindex_props(label, nid, data["props"])
                del index[data["key"]]
                graph.remove_node(nid)
            return len(nids)

    def delete_relationships(
        self, rel_type: str, src_label: str, dst_label: str, rows: Iterable[RelRow]
    ) -> int:
        rel = self._schema.check_endpoints(rel_type, src_label, dst_label)
        prepared = prepare_rels(rel, rows)
        with self._lock:
            self._check_open()
            src_keys = self._key_index[src_label]
            dst_keys = self._key_index[dst_label]
            adj = self._graph._adj
            doomed: list[tuple[int, int, EdgeKey]] = []
            for p in prepared:
                s = src_keys.get(p.src)
                d = dst_keys.get(p.dst)
                if s is None or d is None:
                    continue
                ekey = (rel_type, _RKEY_SEP.join(p.rkey))
                if ekey in adj[s].get(d, {}):
                    doomed.append((s, d, ekey))
            if not doomed:
                return 0
            self._write(
                "DELETE FROM rels WHERE src = ? AND type = ? AND dst = ? AND rkey = ?",
                [(s, ek[0], d, ek[1]) for s, d, ek in doomed],
            )
            for s, d, ekey in doomed:
                self._graph.remove_edge(s, d, key=ekey)
            self._rel_counts[rel_type] -= len(doomed)
            return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._check_open()
            self._write("DELETE FROM rels", [()], ("DELETE FROM nodes", [()]))
            self._graph = nx.MultiDiGraph()
            self._reset_indexes()

    # ----------------------------------------------------------------- reads

    def _node(self, nid: int) -> Node:
        data = self._graph._node[nid]
        return Node(data["label"], data["key"], dict(data["props"]))

    def node_id(self, label: str, key: str) -> int | None:
        """The mirror's node ID for a key (for traversals that walk ``graph`` directly)."""
        try:
            return self._key_index[label].get(key)
        except KeyError:
            raise SchemaError(f"unknown node label {label!r}") from None

    def get_node(self, label: str, key: str) -> Node | None:
        with self._lock:
            nid = self.node_id(label, key)
            return None if nid is None else self._node(nid)

    def get_nodes(self, label: str, keys: Sequence[str]) -> dict[str, Node]:
        with self._lock:
            index = self._key_index.get(label)
            if index is None:
                raise SchemaError(f"unknown node label {label!r}")
            found = {}
            for key in keys:
                nid = index.get(key)
                if nid is not None:
                    found[key] = self._node(nid)
            return found

    def find_nodes(
        self, label: str, prop: str, value: PropertyValue, limit: int = 100
    ) -> list[Node]:
        node_type = self._schema.node(label)
        if prop == node_type.key:
            node = self.get_node(label, str(value))
            return [node] if node and limit > 0 else []
        if prop not in node_type.indexed:
            raise SchemaError(
                f"{label}.{prop} is not indexed; look up by {node_type.key} or one of "
                f"{', '.join(node_type.indexed) or 'no other property'}"
            )
        if isinstance(value, list):
            raise InvalidWriteError("find_nodes takes a single value, not a list")
        with self._lock:
            nids = self._prop_index[(label, prop)].get(value, set())
            nodes = sorted((self._node(n) for n in nids), key=lambda n: n.key)
            return nodes[: max(limit, 0)]

    def _edges(
        self, nid: int, rel_type: str | None, direction: Direction
    ) -> Iterable[tuple[int, int, EdgeKey, dict[str, PropertyValue], int]]:
        """(src, dst, key, props, other) for each matching edge; self-loops once."""
        graph = self._graph
        if direction in ("out", "both"):
            for dst, by_key in graph._succ[nid].items():
                for ekey, data in by_key.items():
                    if rel_type is None or ekey[0] == rel_type:
                        yield nid, dst, ekey, data, dst
        if direction in ("in", "both"):
            for src, by_key in graph._pred[nid].items():
                if direction == "both" and src == nid:
                    continue
                for ekey, data in by_key.items():
                    if rel_type is None or ekey[0] == rel_type:
                        yield src, nid, ekey, data, src

    def neighbours(
        self,
        label: str,
        key: str,
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 1000,
    ) -> list[Neighbour]:
        if rel_type is not None:
            self._schema.relationship(rel_type)
        if other_label is not None:
            self._schema.node(other_label)
        with self._lock:
            nid = self.node_id(label, key)
            if nid is None:
                return []
            node_data = self._graph._node
            picked = []
            for src, dst, ekey, data, other in self._edges(nid, rel_type, direction):
                other_data = node_data[other]
                if other_label is not None and other_data["label"] != other_label:
                    continue
                order = (ekey[0], other_data["label"], other_data["key"], src != nid, ekey[1])
                picked.append((order, src, dst, ekey, data, other))
            picked.sort(key=lambda item: item[0])
            result = []
            for _, src, dst, ekey, data, other in picked[: max(limit, 0)]:
                s, d = node_data[src], node_data[dst]
                edge = Edge(ekey[0], s["label"], s["key"], d["label"], d["key"], dict(data))
                result.append(Neighbour(edge, self._node(other)))
            return result

    def degree(
        self, label: str, key: str, rel_type: str | None = None, direction: Direction = "both"
    ) -> int:
        if rel_type is not None:
            self._schema.relationship(rel_type)
        with self._lock:
            nid = self.node_id(label, key)
            if nid is None:
                return 0
            return sum(1 for _ in self._edges(nid, rel_type, direction))

    def counts(self) -> GraphCounts:
        with self._lock:
            self._check_open()
            nodes = {label: len(keys) for label, keys in self._key_index.items()}
            rels = {t: self._rel_counts.get(t, 0) for t in self._schema.relationship_types}
            return GraphCounts(nodes, rels)
