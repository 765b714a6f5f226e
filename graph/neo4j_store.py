"""Neo4j store: the production adapter behind the same port as the embedded store.

Writes are ``UNWIND $rows ... MERGE`` batches on uniqueness-constrained keys, each batch
one managed transaction (``execute_write``, which the driver retries on transient errors;
the statements are idempotent so a retry is harmless). Relationship batches run one after
another because each locks both end nodes. Every call names its database. Inside an
``atomic()`` block a thread's statements share one explicit transaction instead, committed
when the block ends (no automatic retry: the caller runs the block again).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from neo4j import Driver, GraphDatabase, ManagedTransaction, Query, Transaction
from neo4j import exceptions as neo4j_errors

from graph.adapter import Bound, Hop, StoreAdapter
from graph.cypher import CLEAR, PING, CypherStatement, adapter_statements
from graph.errors import StoreConflictError, StoreError, StoreUnavailableError, one_line
from graph.schema import GraphSchema, NodeType, RelType, schema
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
    Props,
    check_neighbour_query,
    check_prefix_lookup,
    prepare_nodes,
    prepare_rels,
)

T = TypeVar("T")


Record = dict[str, Any]


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Neo4jStore(StoreAdapter):
    def __init__(
        self,
        uri: str,
        *,
        user: str | None = None,
        password: str | None = None,
        database: str = "neo4j",
        batch_size: int = 1000,
        model: GraphSchema | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        if batch_size < 1:
            raise StoreError("the Neo4j batch size must be at least 1")
        self._uri = uri
        self._database = database
        self._batch_size = batch_size
        self._schema = model or schema()
        self._stmts = adapter_statements(self._schema)
        self._local = threading.local()  # the thread's atomic() transaction, if any
        auth = (user or "neo4j", password) if password is not None else None
        try:
            self._driver: Driver = GraphDatabase.driver(
                uri, auth=auth, connection_timeout=connect_timeout
            )
        except (neo4j_errors.ConfigurationError, ValueError) as exc:
            raise StoreUnavailableError(f"cannot use Neo4j URI {uri}: {one_line(exc)}") from None
        try:
            self._driver.verify_connectivity()
        except BaseException:
            self._driver.close()
            raise
        # verify_connectivity raises driver errors; translate them in one place.

    @classmethod
    def connect(cls, uri: str, **kwargs: Any) -> Neo4jStore:
        try:
            return cls(uri, **kwargs)
        except neo4j_errors.AuthError:
            raise StoreUnavailableError(
                f"Neo4j at {uri} refused the credentials (check NEO4J_USER / NEO4J_PASSWORD)"
            ) from None
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.DriverError, OSError) as exc:
            raise StoreUnavailableError(f"cannot reach Neo4j at {uri}: {one_line(exc)}") from None
        except neo4j_errors.Neo4jError as exc:
            raise StoreUnavailableError(
                f"Neo4j at {uri} refused the connection: {one_line(exc)}"
            ) from None

    @property
    def description(self) -> str:
        return f"Neo4j {self._uri} (database {self._database})"

    @property
    def batches_per_transaction(self) -> int:
        return 1

    def close(self) -> None:
        self._driver.close()

    # ----------------------------------------------------------------- plumbing

    def _stmt(self, name: str) -> CypherStatement:
        return self._stmts[name]

    def _run(self, stmt: CypherStatement, params: dict[str, Any]) -> tuple[list[Record], Any]:
        def work(tx: ManagedTransaction | Transaction) -> tuple[list[Record], Any]:
            result = tx.run(stmt.text, params)
            records = [r.data() for r in result]
            return records, result.consume().counters

        with self._translated(stmt.name):
            current: Transaction | None = getattr(self._local, "tx", None)
            if current is not None and stmt.mode != "schema":
                return work(current)
            with self._driver.session(database=self._database) as session:
                if stmt.mode == "read":
                    return session.execute_read(work)
                return session.execute_write(work)

    @contextlib.contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        """Driver errors as the store's own, one line each."""
        try:
            yield
        # SessionExpired: the server went away mid-transaction (a cluster member left, a
        # restart) after the driver's own retries; as lost as ServiceUnavailable.
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
            raise StoreUnavailableError(f"lost Neo4j at {self._uri}: {one_line(exc)}") from None
        except neo4j_errors.TransientError as exc:  # a managed transaction retried already
            raise StoreConflictError(f"Neo4j: {what} conflicted: {one_line(exc)}") from None
        except neo4j_errors.Neo4jError as exc:
            raise StoreError(f"Neo4j refused {what}: {one_line(exc)}") from None
        except neo4j_errors.DriverError as exc:  # the driver's own failures, e.g. a closed result
            raise StoreError(f"Neo4j driver failed {what}: {one_line(exc)}") from None

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        if getattr(self._local, "tx", None) is not None:  # inside another block: join it
            yield
            return
        with self._translated("a transaction"):
            session = self._driver.session(database=self._database)
            tx = session.begin_transaction()
        self._local.tx = tx
        try:
            with self._translated("a transaction"):
                yield
                tx.commit()
        finally:
            self._local.tx = None
            tx.close()  # rolls back unless committed
            session.close()

    def read_query(self, name: str, text: str, params: dict[str, Any]) -> list[Record]:
        """Run a named read query (a queries/*.cypher file) in a read transaction."""
        return self._run(CypherStatement(name, text, tuple(params), "read"), params)[0]

    def _read(self, name: str, **params: Any) -> list[Record]:
        return self._run(self._stmt(name), params)[0]

    # ----------------------------------------------------------------- schema

    def apply_schema(self) -> list[str]:
        actions = []
        for stmt in self._stmts.values():
            if stmt.mode == "schema":
                self._run(stmt, {})
                actions.append(stmt.text)
        return actions

    def ping(self) -> None:
        self._run(PING, {})

    def clear(self) -> None:
        # CALL { } IN TRANSACTIONS runs only in an auto-commit transaction.
        try:
            with self._driver.session(database=self._database) as session:
                session.run(Query(CLEAR.text)).consume()
        except neo4j_errors.ServiceUnavailable as exc:
            raise StoreUnavailableError(f"lost Neo4j at {self._uri}: {one_line(exc)}") from None

    # ----------------------------------------------------------------- writes

    def _upsert_nodes(
        self, node_type: NodeType, rows: list[Properties], touch: Props
    ) -> UpsertResult:
        prepared = prepare_nodes(node_type, rows)
        stmt = self._stmt(f"merge_nodes.{node_type.label}")
        created = 0
        for chunk in _chunks(prepared, self._batch_size):
            payload = [{"key": p.key, "props": p.props} for p in chunk]
            _, counters = self._run(stmt, {"rows": payload, "touch": touch})
            created += counters.nodes_created
        return UpsertResult(received=len(rows), applied=len(prepared), created=created)

    def _upsert_relationships(
        self, rel: RelType, src_label: str, dst_label: str, rows: list[RelRow], touch: Props
    ) -> UpsertResult:
        prepared = prepare_rels(rel, rows)
        stmt = self._stmt(f"merge_relationships.{rel.type}.{src_label}.{dst_label}")
        created = 0
        missing: list[MissingEndpoint] = []
        for chunk in _chunks(prepared, self._batch_size):
            payload = [{"src": p.src, "dst": p.dst, "props": p.props} for p in chunk]
            records, counters = self._run(stmt, {"rows": payload, "touch": touch})
            created += counters.relationships_created
            for rec in records:
                ends = tuple(
                    e
                    for e, gone in (("src", rec["srcMissing"]), ("dst", rec["dstMissing"]))
                    if gone
                )
                missing.append(MissingEndpoint(rec["src"], rec["dst"], ends))
        return UpsertResult(
            received=len(rows),
            applied=len(prepared) - len(missing),
            created=created,
            missing=tuple(missing),
        )

    def delete_nodes(self, label: str, keys: Iterable[str]) -> int:
        self._schema.node(label)
        unique = sorted(set(keys))
        stmt = self._stmt(f"delete_nodes.{label}")
        deleted = 0
        for chunk in _chunks(unique, self._batch_size):
            records, _ = self._run(stmt, {"keys": list(chunk)})
            deleted += int(records[0]["deleted"]) if records else 0
        return deleted

    def delete_relationships(
        self, rel_type: str, src_label: str, dst_label: str, rows: Iterable[RelRow]
    ) -> int:
        rel = self._schema.check_endpoints(rel_type, src_label, dst_label)
        prepared = prepare_rels(rel, rows)
        stmt = self._stmt(f"delete_relationships.{rel_type}.{src_label}.{dst_label}")
        deleted = 0
        for chunk in _chunks(prepared, self._batch_size):
            payload = [{"src": p.src, "dst": p.dst, "props": p.props} for p in chunk]
            records, _ = self._run(stmt, {"rows": payload})
            deleted += int(records[0]["deleted"]) if records else 0
        return deleted

    # ----------------------------------------------------------------- reads

    def _to_node(self, label: str, props: dict[str, PropertyValue]) -> Node:
        key = props[self._schema.node(label).key]
        return Node(label, str(key), dict(props))

    def get_node(self, label: str, key: str) -> Node | None:
        return self.get_nodes(label, [key]).get(key)

    def get_nodes(self, label: str, keys: Sequence[str]) -> dict[str, Node]:
        self._schema.node(label)
        found: dict[str, Node] = {}
        for chunk in _chunks(list(dict.fromkeys(keys)), self._batch_size):
            for rec in self._read(f"get_nodes.{label}", keys=list(chunk)):
                found[rec["key"]] = self._to_node(label, rec["props"])
        return found

    def _find_equal(
        self, label: str, prop: str, value: PropertyValue, limit: int, after: str | None
    ) -> list[Node]:
        records = self._read(
            f"find_nodes.{label}.{prop}", value=value, after=after, limit=max(limit, 0)
        )
        return [self._to_node(label, rec["props"]) for rec in records]

    def _find_range(
        self, label: str, prop: str, low: Bound, high: Bound, limit: int, descending: bool
    ) -> list[Node]:
        order = "desc" if descending else "asc"
        records = self._read(
            f"find_range.{label}.{prop}.{order}", low=low, high=high, limit=max(limit, 0)
        )
        return [self._to_node(label, rec["props"]) for rec in records]

    def find_prefix(self, label: str, prop: str, prefix: str, limit: int = 100) -> list[Node]:
        node_type = self._schema.node(label)
        check_prefix_lookup(node_type, prop, prefix)
        records = self._read(
            f"find_prefix.{label}.{prop}", prefix=prefix, after=None, limit=max(limit, 0)
        )
        return [self._to_node(label, rec["props"]) for rec in records]

    def _find_terms(
        self, label: str, prop: str, wanted: list[str], limit: int
    ) -> list[tuple[Node, int]]:
        records = self._read(
            f"find_terms.{label}.{prop}",
            query=" OR ".join(wanted),
            terms=wanted,
            limit=max(limit, 0),
        )
        return [(self._to_node(label, rec["props"]), int(rec["shared"])) for rec in records]

    def _neighbours(self, label: str, key: str, hop: Hop, limit: int) -> list[Neighbour]:
        records = self._read(
            f"neighbours.{label}.{hop.direction}",
            key=key,
            relType=hop.rel_type,
            otherLabel=hop.other_label,
            limit=max(limit, 0),
        )
        return [self._neighbour(label, key, rec) for rec in records]

    def _neighbour(self, label: str, key: str, rec: Record) -> Neighbour:
        other = self._to_node(rec["label"], rec["props"])
        if rec["outgoing"]:
            edge = Edge(rec["type"], label, key, other.label, other.key, rec["relProps"])
        else:
            edge = Edge(rec["type"], other.label, other.key, label, key, rec["relProps"])
        return Neighbour(edge, other)

    def _neighbours_many(
        self, label: str, keys: Sequence[str], hop: Hop, limit: int
    ) -> dict[str, list[Neighbour]]:
        found: dict[str, list[Neighbour]] = {}
        for chunk in _chunks(list(dict.fromkeys(keys)), self._batch_size):
            records = self._read(
                f"neighbours_many.{label}.{hop.direction}",
                keys=list(chunk),
                relType=hop.rel_type,
                otherLabel=hop.other_label,
                limit=max(limit, 0),
            )
            for rec in records:
                if rec["items"]:
                    found[rec["key"]] = [
                        self._neighbour(label, rec["key"], i) for i in rec["items"]
                    ]
        return found

    def neighbour_nodes_many(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 100,
    ) -> dict[str, list[Node]]:
        # The neighbours' statement: over the network a relationship's properties cost
        # little beside the round trip, and one statement per shape is less to keep.
        found = self.neighbours_many(label, keys, rel_type, direction, other_label, limit)
        return {key: [n.node for n in near] for key, near in found.items()}

    def neighbour_keys_many(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 100,
    ) -> dict[str, list[str]]:
        # As neighbour_nodes_many: one statement per shape, the round trip dominates.
        found = self.neighbours_many(label, keys, rel_type, direction, other_label, limit)
        return {key: [n.node.key for n in near] for key, near in found.items()}

    def relationships_of(self, label: str, keys: Sequence[str]) -> dict[str, list[Edge]]:
        self._schema.node(label)
        found: dict[str, list[Edge]] = {}
        for chunk in _chunks(list(dict.fromkeys(keys)), self._batch_size):
            for rec in self._read(f"relationships_of.{label}", keys=list(chunk)):
                if rec["items"]:
                    found[rec["key"]] = [self._edge(label, rec["key"], i) for i in rec["items"]]
        return found

    @staticmethod
    def _edge(label: str, key: str, item: dict[str, Any]) -> Edge:
        other_label, other = item["label"], str(item["key"])
        if item["outgoing"]:
            return Edge(item["type"], label, key, other_label, other, item["relProps"])
        return Edge(item["type"], other_label, other, label, key, item["relProps"])

    def degree(
        self, label: str, key: str, rel_type: str | None = None, direction: Direction = "both"
    ) -> int:
        check_neighbour_query(self._schema, label, rel_type, None)
        records = self._read(f"degree.{label}.{direction}", key=key, relType=rel_type)
        return int(records[0]["degree"]) if records else 0

    def keys_page(self, label: str, after: str | None = None, limit: int = 1000) -> list[str]:
        self._schema.node(label)
        records = self._read(f"keys_page.{label}", after=after, limit=max(limit, 0))
        return [str(r["key"]) for r in records]

    def counts(self) -> GraphCounts:
        nodes = dict.fromkeys(self._schema.labels, 0)
        rels = dict.fromkeys(self._schema.relationship_types, 0)
        for rec in self._read("counts"):
            target = nodes if rec["kind"] == "node" else rels
            target[rec["name"]] = int(rec["count"])
        return GraphCounts(nodes, rels)
