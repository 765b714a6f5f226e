"""Embedded store: networkx in memory for traversal, SQLite (WAL) for durability.

SQLite is the truth; the networkx graph is a mirror rebuilt from it on open. A write is
staged in Python, committed to SQLite in one transaction and only then applied to the
mirror, so an acknowledged write is on disk and a failed one leaves memory untouched.
One process owns a store file at a time (an exclusive lock file), because a second
writer would change SQLite behind the first one's mirror.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import gc
import heapq
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from graph.errors import (
    SchemaError,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
)
from graph.memory import gc_paused as _gc_paused
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
from graph.values import (
    check_lookup,
    check_neighbour_query,
    check_prefix_lookup,
    check_range_lookup,
    check_terms_lookup,
    merge_props,
    prepare_nodes,
    prepare_rels,
    prepare_touch,
    value_kind,
)

FORMAT = "ckb-embedded/1"
_RKEY_SEP = "\x1f"
# Up to this many nodes share a value, find_nodes sorts them per call; past it, it pages
# through a sorted copy kept until the next write.
_SMALL_BUCKET = 2000

# Rows are appended in rowid order and found again through the in-memory mirror (which
# knows every node's and edge's rowid), so SQLite keeps no secondary indexes: inserts are
# B-tree appends. Uniqueness of keys is enforced by the mirror under the single-writer
# lock and checked again on every rebuild.
_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS nodes ("
    " id INTEGER PRIMARY KEY, label TEXT NOT NULL, key TEXT NOT NULL, props TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rels ("
    " id INTEGER PRIMARY KEY, src INTEGER NOT NULL, type TEXT NOT NULL, dst INTEGER NOT NULL,"
    " rkey TEXT NOT NULL, props TEXT NOT NULL)",
)
_UPSERT_NODE = (
    "INSERT INTO nodes (id, label, key, props) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET props = excluded.props"
)
_UPSERT_REL = (
    "INSERT INTO rels (id, src, type, dst, rkey, props) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET props = excluded.props"
)

EdgeKey = tuple[str, str]  # (relationship type, joined key-property values)


_NO_EDGES: dict[EdgeKey, EdgeData] = {}


class EdgeData(dict[str, Any]):
    """An edge's properties as networkx holds them, plus the edge's SQLite rowid."""

    __slots__ = ("rid",)
    rid: int


# An index bucket: the node holding a value, or the set of them once there are several.
# Most indexed values (an email, a timestamp, a match key) belong to one node; a set per
# value cost ~200 bytes each, over a gigabyte of the mirror at 100k customers.
Bucket = int | set[int]


def _bucket_add(index: dict[Any, Bucket], value: Any, nid: int) -> None:
    bucket = index.get(value)
    if bucket is None:
        index[value] = nid
    elif type(bucket) is int:
        if bucket != nid:
            index[value] = {bucket, nid}
    else:
        bucket.add(nid)  # type: ignore[union-attr]


def _bucket_discard(index: dict[Any, Bucket], value: Any, nid: int) -> None:
    bucket = index.get(value)
    if bucket is None:
        return
    if type(bucket) is int:
        if bucket == nid:
            del index[value]
        return
    bucket.discard(nid)  # type: ignore[union-attr]
    if not bucket:
        del index[value]


def _members(bucket: Bucket | None) -> Collection[int]:
    if bucket is None:
        return ()
    return (bucket,) if type(bucket) is int else bucket  # type: ignore[return-value]


def _edge_data(rid: int, props: dict[str, Any]) -> EdgeData:
    data = EdgeData(props)
    data.rid = rid
    return data


def _dumps(props: dict[str, PropertyValue]) -> str:
    # Most relationships carry no properties; skip the encoder for them.
    return orjson.dumps(props).decode() if props else "{}"


def _loads(text: str) -> dict[str, PropertyValue]:
    if text == "{}":
        return {}
    loaded: dict[str, PropertyValue] = orjson.loads(text)
    return loaded


# networkx's add_nodes_from / add_edges_from go through views and per-edge calls that cost
# several times the insert itself; these write the same structures MultiDiGraph.add_edge
# writes (shared key dicts in _succ / _pred), then clear nx's conversion cache as it does.
def _add_nodes(graph: Any, nodes: Iterable[tuple[int, dict[str, Any]]]) -> None:
    succ, pred, node_data = graph._succ, graph._pred, graph._node
    for nid, data in nodes:
        succ[nid] = {}
        pred[nid] = {}
        node_data[nid] = data
    nx._clear_cache(graph)


def _add_edges(graph: Any, edges: Iterable[tuple[int, int, EdgeKey, EdgeData]]) -> int:
    """Insert new edges; returns how many were new (an existing key is overwritten)."""
    succ, pred = graph._succ, graph._pred
    added = 0
    for u, v, key, data in edges:
        keydict = succ[u].get(v)
        if keydict is None:
            succ[u][v] = pred[v][u] = {key: data}
            added += 1
        else:
            added += key not in keydict
            keydict[key] = data
    nx._clear_cache(graph)
    return added


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
        # Statements held back by an atomic() block, run in one transaction when it ends.
        self._deferred: list[tuple[str, Sequence[tuple[Any, ...]]]] | None = None
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = self._acquire_file_lock()
        try:
            self._conn = self._connect(synchronous.upper())
            self._load_mirror()
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
            conn.execute("PRAGMA cache_size = -262144")
            conn.execute("PRAGMA wal_autocheckpoint = 16384")
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
        self._next_rid = 1
        self._frozen_size = 0
        self._unfrozen = 0
        # Sorted distinct values per indexed property, rebuilt lazily after any write.
        self._generation = 0
        self._sorted_values: dict[tuple[str, str], tuple[int, list[str]]] = {}
        # Keys per label in order, dropped only when a node of the label comes or goes.
        self._sorted_keys: dict[str, list[str]] = {}
        self._entries: dict[tuple[str, str, str], tuple[int, list[tuple[Any, str]], list[int]]] = {}
        self._key_index: dict[str, dict[str, int]] = {n.label: {} for n in self._schema.nodes}
        self._prop_index: dict[tuple[str, str], dict[Any, Bucket]] = {
            (n.label, p): {} for n in self._schema.nodes for p in n.indexed
        }
        self._indexed_by_label: dict[str, tuple[tuple[str, dict[Any, Bucket]], ...]] = {
            n.label: tuple((p, self._prop_index[(n.label, p)]) for p in n.indexed)
            for n in self._schema.nodes
        }
        # Inverted indexes for term-indexed properties: term -> nodes whose value holds it.
        self._term_index: dict[tuple[str, str], dict[str, Bucket]] = {
            (n.label, p): {} for n in self._schema.nodes for p in n.terms
        }
        self._terms_by_label: dict[str, tuple[tuple[str, dict[str, Bucket]], ...]] = {
            n.label: tuple((p, self._term_index[(n.label, p)]) for p in n.terms)
            for n in self._schema.nodes
        }
        self._rel_counts: Counter[str] = Counter()

    def _load_mirror(self) -> None:
        """A fresh mirror, read from SQLite."""
        self._graph: Any = nx.MultiDiGraph()
        self._reset_indexes()
        with _gc_paused():
            self._rebuild()

    def _rebuild(self) -> None:
        """Load SQLite into the mirror: nodes first, then relationships."""
        graph = self._graph
        try:
            cur = self._conn.execute("SELECT id, label, key, props FROM nodes ORDER BY id")
            while batch := cur.fetchmany(20_000):
                by_label: dict[str, list[tuple[int, dict[str, PropertyValue]]]] = {}
                entries = []
                for nid, label, key, text in batch:
                    props = _loads(text)
                    keys = self._key_index.get(label)
                    if keys is None:
                        raise StoreCorruptError(
                            f"{self._path} holds label {label!r} that this ckb's schema lacks"
                        )
                    if key in keys:
                        raise StoreCorruptError(f"{self._path} holds {label} {key!r} twice")
                    keys[key] = nid
                    by_label.setdefault(label, []).append((nid, props))
                    entries.append((nid, {"label": label, "key": key, "props": props}))
                for label, nodes in by_label.items():
                    self._index_many(label, nodes)
                _add_nodes(graph, entries)
                self._next_id = batch[-1][0] + 1
            cur = self._conn.execute("SELECT id, src, type, dst, rkey, props FROM rels ORDER BY id")
            counts = self._rel_counts
            while batch := cur.fetchmany(50_000):
                added = _add_edges(
                    graph,
                    (
                        (src, dst, (rtype, rkey), _edge_data(rid, _loads(text)))
                        for rid, src, rtype, dst, rkey, text in batch
                    ),
                )
                if added != len(batch):
                    raise StoreCorruptError(f"{self._path} holds duplicate relationships")
                counts.update(row[2] for row in batch)
                self._next_rid = batch[-1][0] + 1
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"{self._path} is not a readable ckb store: {exc}") from None
        except KeyError as exc:
            raise StoreCorruptError(
                f"{self._path} holds a relationship to missing node {exc}"
            ) from None
        self._freeze_mirror()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._conn.close()
            self._release_file_lock()
            # Release the mirror now rather than whenever the last reference goes.
            self._graph = nx.MultiDiGraph()
            self._reset_indexes()

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
        """Run statements in one transaction; on return the batch is committed (in an
        atomic() block: when the block ends)."""
        statements = [(sql, params), *more]
        if self._deferred is not None:
            self._deferred.extend(statements)
            return
        self._commit(statements)

    def _commit(self, statements: Sequence[tuple[str, Sequence[tuple[Any, ...]]]]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                if params:
                    conn.executemany(sql, params)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """The mirror changes as each call in the block runs (so later calls and reads see
        earlier ones); the SQL waits and runs as one transaction at the end. If anything in
        the block fails, or the commit does, nothing is written and the mirror is rebuilt
        from SQLite — slow on a big store, but only on failure; on Ctrl-C the store closes
        instead."""
        with self._lock:
            if self._deferred is not None:  # inside another block: join it
                yield
                return
            self._check_open()
            statements: list[tuple[str, Sequence[tuple[Any, ...]]]] = []
            self._deferred = statements
            try:
                yield
                self._deferred = None
                self._commit(statements)
            except BaseException as exc:
                self._deferred = None
                if not statements:  # every mirror change in the block came with a statement
                    raise
                if not isinstance(exc, Exception):
                    # Ctrl-C or exit: no one waits for a rebuild. The file holds nothing of
                    # the block; the next open reads it afresh.
                    self.close()
                    raise
                self._load_mirror()
                raise

    def _freeze_mirror(self) -> None:
        """Move the mirror out of the cyclic GC's reach.

        The mirror is millions of long-lived, acyclic containers; every full collection
        would walk all of them (measured: ~30% of bulk-load time). gc.freeze() exempts what
        exists now. It also exempts anything else alive at that moment from cycle
        collection, so it runs only after the rebuild and then each time the mirror has
        grown by a quarter - a handful of times in a process's life.
        """
        gc.freeze()
        self._frozen_size = len(self._graph._node) + self._rel_total()
        self._unfrozen = 0

    def _rel_total(self) -> int:
        return sum(self._rel_counts.values())

    def _grew(self, created: int) -> None:
        self._unfrozen += created
        if self._unfrozen > max(50_000, self._frozen_size // 4):
            self._freeze_mirror()

    def _index_many(self, label: str, nodes: list[tuple[int, dict[str, PropertyValue]]]) -> None:
        for prop, index in self._indexed_by_label[label]:
            for nid, props in nodes:
                value = props.get(prop)
                if value is not None and type(value) is not list:
                    _bucket_add(index, value, nid)
        for prop, terms in self._terms_by_label[label]:
            for nid, props in nodes:
                value = props.get(prop)
                if isinstance(value, str):
                    for term in set(value.split()):
                        _bucket_add(terms, term, nid)

    def _unindex_props(self, label: str, nid: int, props: dict[str, PropertyValue]) -> None:
        for prop, index in self._indexed_by_label[label]:
            value = props.get(prop)
            if value is not None and type(value) is not list:
                _bucket_discard(index, value, nid)
        for prop, terms in self._terms_by_label[label]:
            value = props.get(prop)
            if isinstance(value, str):
                for term in set(value.split()):
                    _bucket_discard(terms, term, nid)

    def upsert_nodes(
        self, label: str, rows: Iterable[Properties], touch: Properties | None = None
    ) -> UpsertResult:
        node_type = self._schema.node(label)
        touched = prepare_touch(label, node_type.property_names, touch)
        rows = list(rows)
        with self._lock, _gc_paused():
            prepared = prepare_nodes(node_type, rows)
            self._check_open()
            keys = self._key_index[label]
            node_data = self._graph._node
            next_id = self._next_id
            staged: list[tuple[int, str, dict[str, PropertyValue], bool]] = []
            for p in prepared:
                nid = keys.get(p.key)
                merged: dict[str, PropertyValue] | None
                if nid is None:
                    merged = {k: v for k, v in p.props.items() if v is not None}
                    merged.update(touched)
                    staged.append((next_id, p.key, merged, True))
                    next_id += 1
                else:
                    merged = merge_props(node_data[nid]["props"], p.props)
                    if merged is not None:
                        merged.update(touched)
                        staged.append((nid, p.key, merged, False))
            if staged:
                self._write(
                    _UPSERT_NODE, [(nid, label, key, _dumps(pr)) for nid, key, pr, _ in staged]
                )
                self._generation += 1
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
            self._index_many(label, [(nid, merged) for nid, _, merged, _ in staged])
            _add_nodes(self._graph, new_nodes)
            self._next_id = next_id
            self._grew(created)
            if created:
                self._sorted_keys.pop(label, None)
        return UpsertResult(received=len(rows), applied=len(prepared), created=created)

    def upsert_relationships(
        self,
        rel_type: str,
        src_label: str,
        dst_label: str,
        rows: Iterable[RelRow],
        touch: Properties | None = None,
    ) -> UpsertResult:
        rel = self._schema.check_endpoints(rel_type, src_label, dst_label)
        touched = prepare_touch(rel_type, rel.property_names, touch)
        rows = list(rows)
        missing: list[MissingEndpoint] = []
        with self._lock, _gc_paused():
            prepared = prepare_rels(rel, rows)
            self._check_open()
            src_keys = self._key_index[src_label]
            dst_keys = self._key_index[dst_label]
            adj = self._graph._adj
            next_rid = self._next_rid
            unkeyed: EdgeKey = (rel_type, "")
            staged: list[
                tuple[int, int, EdgeKey, dict[str, PropertyValue], EdgeData | None, int]
            ] = []
            for p in prepared:
                s = src_keys.get(p.src)
                d = dst_keys.get(p.dst)
                if s is None or d is None:
                    ends = tuple(e for e, n in (("src", s), ("dst", d)) if n is None)
                    missing.append(MissingEndpoint(p.src, p.dst, ends))
                    continue
                ekey = (rel_type, _RKEY_SEP.join(p.rkey)) if p.rkey else unkeyed
                current = adj[s].get(d, _NO_EDGES).get(ekey)
                merged: dict[str, PropertyValue] | None
                if current is None:
                    props = p.props
                    if props:
                        merged = {k: v for k, v in props.items() if v is not None}
                        merged.update(touched)
                    else:
                        merged = dict(touched)
                    staged.append((s, d, ekey, merged, None, next_rid))
                    next_rid += 1
                else:
                    merged = merge_props(current, p.props)
                    if merged is not None:
                        merged.update(touched)
                        staged.append((s, d, ekey, merged, current, current.rid))
            if staged:
                self._write(
                    _UPSERT_REL,
                    [(rid, s, ek[0], d, ek[1], _dumps(pr)) for s, d, ek, pr, _, rid in staged],
                )
            created = 0
            new_edges = []
            for s, d, ekey, merged, existing, rid in staged:
                if existing is None:
                    created += 1
                    new_edges.append((s, d, ekey, _edge_data(rid, merged)))
                else:
                    existing.clear()
                    existing.update(merged)
            _add_edges(self._graph, new_edges)
            self._next_rid = next_rid
            self._rel_counts[rel_type] += created
            self._grew(created)
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
            graph = self._graph
            doomed: dict[int, str] = {}  # edge rowid -> type; an edge between two doomed nodes once
            for nid in nids:
                for adjacency in (graph._succ[nid], graph._pred[nid]):
                    for by_key in adjacency.values():
                        for ekey, data in by_key.items():
                            doomed[data.rid] = ekey[0]
            self._write(
                "DELETE FROM rels WHERE id = ?",
                [(rid,) for rid in doomed],
                ("DELETE FROM nodes WHERE id = ?", [(nid,) for nid in nids]),
            )
            self._generation += 1
            for rel_type in doomed.values():
                self._rel_counts[rel_type] -= 1
            for nid in nids:
                data = graph._node[nid]
                self._unindex_props(label, nid, data["props"])
                del index[data["key"]]
                graph.remove_node(nid)
            self._sorted_keys.pop(label, None)
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
            doomed: list[tuple[int, int, EdgeKey, int]] = []
            for p in prepared:
                s = src_keys.get(p.src)
                d = dst_keys.get(p.dst)
                if s is None or d is None:
                    continue
                ekey = (rel_type, _RKEY_SEP.join(p.rkey))
                data = adj[s].get(d, _NO_EDGES).get(ekey)
                if data is not None:
                    doomed.append((s, d, ekey, data.rid))
            if not doomed:
                return 0
            self._write("DELETE FROM rels WHERE id = ?", [(rid,) for *_, rid in doomed])
            for s, d, ekey, _ in doomed:
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

    def keys_page(self, label: str, after: str | None = None, limit: int = 1000) -> list[str]:
        with self._lock:
            self._schema.node(label)
            ordered = self._sorted_keys.get(label)
            if ordered is None:
                ordered = self._sorted_keys[label] = sorted(self._key_index[label])
            start = 0 if after is None else bisect.bisect_right(ordered, after)
            return ordered[start : start + max(limit, 0)]

    def keys(self, label: str) -> list[str]:
        """Every key of a label (unordered): for benchmarks and batch jobs, not requests."""
        with self._lock:
            self._schema.node(label)
            return list(self._key_index[label])

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
        self,
        label: str,
        prop: str,
        value: PropertyValue,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Node]:
        node_type = self._schema.node(label)
        check_lookup(node_type, prop, value)
        if prop == node_type.key:
            node = self.get_node(label, str(value))
            past = after is None or str(value) > after
            return [node] if node and limit > 0 and past else []
        with self._lock:
            nids = _members(self._prop_index[(label, prop)].get(value))
            if len(nids) <= _SMALL_BUCKET:
                nodes = sorted((self._node(n) for n in nids), key=lambda n: n.key)
                if after is not None:
                    nodes = [n for n in nodes if n.key > after]
                return nodes[: max(limit, 0)]
            # A big bucket (a whole value tier): page through the sorted entries instead of
            # sorting the bucket on every call.
            pairs, ids = self._sorted_entries(label, prop, value_kind(value))
            start = (
                bisect.bisect_right(pairs, (value, after))
                if after is not None
                else bisect.bisect_left(pairs, (value,))
            )
            out: list[Node] = []
            for i in range(start, len(pairs)):
                if len(out) >= limit or pairs[i][0] != value:
                    break
                out.append(self._node(ids[i]))
            return out

    def find_range(
        self,
        label: str,
        prop: str,
        low: PropertyValue | None = None,
        high: PropertyValue | None = None,
        limit: int = 100,
        descending: bool = False,
    ) -> list[Node]:
        check_range_lookup(self._schema.node(label), prop, low, high)
        kind = value_kind(low if low is not None else high)  # type: ignore[arg-type]
        with self._lock:
            pairs, ids = self._sorted_entries(label, prop, kind)
            lo = bisect.bisect_left(pairs, (low,)) if low is not None else 0
            hi = bisect.bisect_left(pairs, (high,)) if high is not None else len(pairs)
            if not descending:
                return [self._node(nid) for nid in ids[lo : min(hi, lo + max(limit, 0))]]
            # Highest value first, keys ascending within one value.
            picked: list[int] = []
            i = hi
            while i > lo and len(picked) < limit:
                j = i - 1
                while j > lo and pairs[j - 1][0] == pairs[i - 1][0]:
                    j -= 1
                picked.extend(ids[j:i][: limit - len(picked)])
                i = j
            return [self._node(nid) for nid in picked]

    def _sorted_entries(
        self, label: str, prop: str, kind: str
    ) -> tuple[list[tuple[Any, str]], list[int]]:
        """(value, key) pairs of one kind of value, sorted, with their node ids; rebuilt
        lazily after a write."""
        cached = self._entries.get((label, prop, kind))
        if cached is None or cached[0] != self._generation:
            data = self._graph._node
            entries = sorted(
                (v, data[nid]["key"], nid)
                for v, nids in self._prop_index[(label, prop)].items()
                if value_kind(v) == kind
                for nid in _members(nids)
            )
            cached = (self._generation, [(v, k) for v, k, _ in entries], [n for _, _, n in entries])
            self._entries[(label, prop, kind)] = cached
        return cached[1], cached[2]

    def find_prefix(self, label: str, prop: str, prefix: str, limit: int = 100) -> list[Node]:
        """Nodes whose indexed string ``prop`` starts with ``prefix``, in key order."""
        node_type = self._schema.node(label)
        check_prefix_lookup(node_type, prop, prefix)
        with self._lock:
            index = self._prop_index[(label, prop)]
            cached = self._sorted_values.get((label, prop))
            if cached is None or cached[0] != self._generation:
                values = sorted(v for v in index if isinstance(v, str))
                cached = (self._generation, values)
                self._sorted_values[(label, prop)] = cached
            values = cached[1]
            nids: set[int] = set()
            for i in range(bisect.bisect_left(values, prefix), len(values)):
                if not values[i].startswith(prefix):
                    break
                nids.update(_members(index[values[i]]))
            nodes = sorted((self._node(n) for n in nids), key=lambda n: n.key)
            return nodes[: max(limit, 0)]

    def find_terms(
        self, label: str, prop: str, terms: Sequence[str], limit: int = 100
    ) -> list[tuple[Node, int]]:
        node_type = self._schema.node(label)
        wanted = check_terms_lookup(node_type, prop, terms)
        with self._lock:
            index = self._term_index[(label, prop)]
            shared: Counter[int] = Counter()
            for term in wanted:
                shared.update(_members(index.get(term)))
            # Most shared first, then key order; only the page is fully ordered.
            by_count: dict[int, list[int]] = {}
            for nid, n in shared.items():
                by_count.setdefault(n, []).append(nid)
            data = self._graph._node
            hits: list[tuple[Node, int]] = []
            for n in sorted(by_count, reverse=True):
                room = limit - len(hits)
                if room <= 0:
                    break
                keyed = [(data[nid]["key"], nid) for nid in by_count[n]]
                page = heapq.nsmallest(room, keyed) if len(keyed) > room else sorted(keyed)
                hits.extend((self._node(nid), n) for _, nid in page)
            return hits

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
        check_neighbour_query(self._schema, label, rel_type, other_label)
        with self._lock:
            nid = self.node_id(label, key)
            if nid is None:
                return []
            return self._neighbours(nid, rel_type, direction, other_label, limit)

    def neighbours_many(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 100,
    ) -> dict[str, list[Neighbour]]:
        check_neighbour_query(self._schema, label, rel_type, other_label)
        found: dict[str, list[Neighbour]] = {}
        with self._lock:
            index = self._key_index[label]
            for key in keys:
                nid = index.get(key)
                if nid is not None and key not in found:
                    items = self._neighbours(nid, rel_type, direction, other_label, limit)
                    if items:
                        found[key] = items
        return found

    def relationships_of(self, label: str, keys: Sequence[str]) -> dict[str, list[Edge]]:
        self._schema.node(label)
        found: dict[str, list[Edge]] = {}
        with self._lock:
            index = self._key_index[label]
            node_data = self._graph._node
            for key in keys:
                nid = index.get(key)
                if nid is None or key in found:
                    continue
                picked = self._ordered_edges(nid, None, "both", None)
                if picked:
                    found[key] = [
                        Edge(
                            ekey[0],
                            node_data[src]["label"],
                            node_data[src]["key"],
                            node_data[dst]["label"],
                            node_data[dst]["key"],
                            dict(data),
                        )
                        for _, src, dst, ekey, data, _ in picked
                    ]
        return found

    def _ordered_edges(
        self, nid: int, rel_type: str | None, direction: Direction, other_label: str | None
    ) -> list[tuple[tuple[Any, ...], int, int, EdgeKey, dict[str, PropertyValue], int]]:
        """A node's matching edges in the port's order: type, other label, other key,
        outgoing first, relationship key."""
        node_data = self._graph._node
        picked = []
        for src, dst, ekey, data, other in self._edges(nid, rel_type, direction):
            other_data = node_data[other]
            if other_label is not None and other_data["label"] != other_label:
                continue
            order = (ekey[0], other_data["label"], other_data["key"], src != nid, ekey[1])
            picked.append((order, src, dst, ekey, data, other))
        picked.sort(key=lambda item: item[0])
        return picked

    def _neighbours(
        self,
        nid: int,
        rel_type: str | None,
        direction: Direction,
        other_label: str | None,
        limit: int,
    ) -> list[Neighbour]:
        node_data = self._graph._node
        result = []
        picked = self._ordered_edges(nid, rel_type, direction, other_label)
        for _, src, dst, ekey, data, other in picked[: max(limit, 0)]:
            s, d = node_data[src], node_data[dst]
            edge = Edge(ekey[0], s["label"], s["key"], d["label"], d["key"], dict(data))
            result.append(Neighbour(edge, self._node(other)))
        return result

    def degree(
        self, label: str, key: str, rel_type: str | None = None, direction: Direction = "both"
    ) -> int:
        check_neighbour_query(self._schema, label, rel_type, None)
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
