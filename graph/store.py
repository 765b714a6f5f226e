"""The store port: what every graph store offers, whatever it runs on.

Two adapters implement it: ``graph.embedded`` (a graph in one SQLite file, the default) and
``graph.neo4j_store`` (the production store), both on ``graph.adapter.StoreAdapter``, which
checks the port's arguments once for both. The store contract tests hold them to the same
observable behaviour, so loaders and traversals never ask which one they talk to.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import (
    Any,
    Concatenate,
    Literal,
    NamedTuple,
    ParamSpec,
    Protocol,
    TypeVar,
    runtime_checkable,
)

from graph.errors import StoreConflictError

# A property value as both stores keep it: Neo4j's storable types, minus maps and temporal
# types (dates travel as ISO 8601 strings so both stores answer identically).
PropertyValue = str | int | float | bool | list[str] | list[int] | list[float] | list[bool]
Properties = Mapping[str, PropertyValue | None]
Direction = Literal["out", "in", "both"]
NO_PROPERTIES: Properties = MappingProxyType({})


class RelRow(NamedTuple):
    """One relationship to upsert: endpoint keys and properties (key properties included)."""

    src: str
    dst: str
    props: Properties = NO_PROPERTIES


@dataclass(frozen=True, slots=True)
class Node:
    label: str
    key: str
    props: dict[str, PropertyValue]


@dataclass(frozen=True, slots=True)
class Edge:
    type: str
    src_label: str
    src_key: str
    dst_label: str
    dst_key: str
    props: dict[str, PropertyValue]


class Neighbour(NamedTuple):
    edge: Edge
    node: Node


@dataclass(frozen=True, slots=True)
class MissingEndpoint:
    """A relationship row not written because an endpoint node does not exist (yet)."""

    src: str
    dst: str
    missing: tuple[str, ...]  # "src", "dst" or both


@dataclass(frozen=True, slots=True)
class UpsertResult:
    received: int
    applied: int
    created: int
    missing: tuple[MissingEndpoint, ...] = ()


@dataclass(frozen=True, slots=True)
class GraphCounts:
    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_relationships(self) -> int:
        return sum(self.relationships.values())


@runtime_checkable
class GraphStore(Protocol):
    """Batched, idempotent writes keyed by the schema keys; reads by key and by neighbourhood.

    Write semantics (both stores): an upsert creates a missing node or relationship and
    merges the given properties into an existing one; a property given as ``None`` is
    removed; properties not given are kept. An upsert returns only once its batch is durable.
    """

    @property
    def description(self) -> str:
        """Where this store lives, for messages (never includes credentials)."""
        ...

    @property
    def batches_per_transaction(self) -> int:
        """How many loader batches one write transaction may hold. A bulk load commits
        every few batches, not every one, where commits are costly (an embedded commit
        writes every index page its transaction touched); 1 where a bigger transaction
        would only hold more locks (Neo4j)."""
        ...

    def apply_schema(self) -> list[str]:
        """Create constraints and indexes from graph/schema.py; idempotent. Returns actions."""
        ...

    def upsert_nodes(
        self, label: str, rows: Iterable[Properties], touch: Properties | None = None
    ) -> UpsertResult:
        """``touch`` properties are set only on nodes this call creates or changes (e.g.
        ``loaded_at``), so re-sending unchanged rows leaves the graph exactly as it was."""
        ...

    def upsert_relationships(
        self,
        rel_type: str,
        src_label: str,
        dst_label: str,
        rows: Iterable[RelRow],
        touch: Properties | None = None,
    ) -> UpsertResult: ...

    def delete_nodes(self, label: str, keys: Iterable[str]) -> int:
        """Delete nodes and every relationship touching them (erasure). Returns nodes deleted."""
        ...

    def atomic(self) -> AbstractContextManager[None]:
        """Writes made in the block, by this thread, land together or not at all: one
        transaction, durable when the block ends (not when each call returns). Reads in
        the block see them. A block inside another joins it. For a loader batch or an
        identity merge: no crash or error leaves half of one in the graph."""
        ...

    def delete_relationships(
        self, rel_type: str, src_label: str, dst_label: str, rows: Iterable[RelRow]
    ) -> int:
        """Delete the relationships identified by endpoints and key properties."""
        ...

    def get_node(self, label: str, key: str) -> Node | None: ...

    def get_nodes(self, label: str, keys: Sequence[str]) -> dict[str, Node]:
        """Batch lookup for DataLoaders: keys that do not exist are absent from the result."""
        ...

    def find_nodes(
        self,
        label: str,
        prop: str,
        value: PropertyValue,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Node]:
        """Nodes whose indexed ``prop`` equals ``value``, in key order, after the key
        ``after`` when given (paging). Unindexed props refuse."""
        ...

    def find_range(
        self,
        label: str,
        prop: str,
        low: PropertyValue | None = None,
        high: PropertyValue | None = None,
        limit: int = 100,
        descending: bool = False,
    ) -> list[Node]:
        """Nodes whose indexed ``prop`` lies in ``[low, high)`` (at least one bound given;
        values of another type never match), ordered by the value — highest first when
        ``descending`` — then by key."""
        ...

    def find_prefix(self, label: str, prop: str, prefix: str, limit: int = 100) -> list[Node]:
        """Nodes whose indexed string ``prop`` starts with ``prefix``, in key order."""
        ...

    def find_terms(
        self, label: str, prop: str, terms: Sequence[str], limit: int = 100
    ) -> list[tuple[Node, int]]:
        """Nodes whose term-indexed ``prop`` shares any of ``terms``, with how many distinct
        terms they share; most shared first, then key order."""
        ...

    def neighbours(
        self,
        label: str,
        key: str,
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 1000,
    ) -> list[Neighbour]:
        """Adjacent nodes with the connecting relationship, ordered by (type, label, key)."""
        ...

    def neighbours_many(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 100,
    ) -> dict[str, list[Neighbour]]:
        """``neighbours`` for many nodes in one call (loaders resolving references, DataLoaders).

        Keys of nodes that do not exist, or have no matching neighbour, are absent.
        """
        ...

    def neighbour_nodes_many(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 100,
    ) -> dict[str, list[Node]]:
        """The other ends only of ``neighbours_many``, ``[n.node for n in ...]`` a key: for
        reads that use no relationship property, which a store may then not build."""
        ...

    def neighbour_keys_many(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 100,
    ) -> dict[str, list[str]]:
        """The other ends' keys only of ``neighbours_many`` for one relationship type one
        way, in its order: for batch jobs that need neither the relationship nor the node
        at its other end (the customer each source record resolves to)."""
        ...

    def relationships_of(self, label: str, keys: Sequence[str]) -> dict[str, list[Edge]]:
        """Every relationship touching each node, in both directions, ordered as
        ``neighbours`` orders them. The other ends are named in the edges, not read: for
        batch jobs that move or snapshot relationships (identity merges). Keys of nodes
        that do not exist, or have no relationship, are absent."""
        ...

    def degree(
        self, label: str, key: str, rel_type: str | None = None, direction: Direction = "both"
    ) -> int: ...

    def keys_page(self, label: str, after: str | None = None, limit: int = 1000) -> list[str]:
        """Keys of a label in key order, after ``after``: paging for batch jobs."""
        ...

    def counts(self) -> GraphCounts: ...

    def ping(self) -> None:
        """Raise StoreUnavailableError unless the store can serve requests."""
        ...

    def clear(self) -> None:
        """Delete everything (tests, ``ckb reset``)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class CypherReader(Protocol):
    """A store that answers a named read query (a ``queries/*.cypher`` file) in Cypher
    itself: the Neo4j store. A store without it (the embedded one) is asked through the
    ``GraphStore`` port by the query's embedded implementation instead.

    Contract: ``read_query(name, text, params)`` runs ``text`` (the query file called
    ``name``) in a read transaction with ``params`` and returns its rows as maps keyed by
    the RETURN's column names. A proxy in front of a store (the HTTP layer's timer) is one
    when it exposes the wrapped store's ``read_query``: tested with ``isinstance``, which
    asks by attribute, so delegation through ``__getattr__`` counts.
    """

    def read_query(self, name: str, text: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...


@runtime_checkable
class RelationshipRepointer(Protocol):
    """A store that re-draws the relationships of retired nodes on their survivors itself
    (the embedded one), instead of a read and an upsert of every relationship through
    the port. Contract: ``repoint_relationships(label, survivor_of, kept, also)`` writes
    what ``upsert_relationships`` of every relationship of each absorbed node, its
    absorbed end (and an absorbed other end of ``label``) replaced by the survivor, would
    write — rows landing on one relationship folded in ``relationships_of`` order of the
    absorbed nodes (by key) — leaving out the types ``kept`` and relationships that would
    join a survivor to itself. It returns, per survivor, the relationships it had before
    that re-drawn ones land on and those of the types ``also``, in ``relationships_of``
    order. identity/merge.py tests both paths against each other."""

    def repoint_relationships(
        self,
        label: str,
        survivor_of: Mapping[str, str],
        kept: Collection[str],
        also: Collection[str] = (),
    ) -> dict[str, list[Edge]]: ...


T = TypeVar("T")
P = ParamSpec("P")


def atomically(store: GraphStore, work: Callable[[], T], attempts: int = 4) -> T:
    """Run ``work`` in an ``atomic()`` block; when it loses a conflict with a concurrent
    writer (``StoreConflictError``: rolled back, nothing written) run it again, up to
    ``attempts`` times. ``work`` must read what it needs inside the block."""
    for attempt in range(1, attempts + 1):
        try:
            with store.atomic():
                return work()
        except StoreConflictError:
            if attempt == attempts:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def transactional(
    work: Callable[Concatenate[GraphStore, P], T],
) -> Callable[Concatenate[GraphStore, P], T]:
    """Make a function of a store run :func:`atomically` on the store it is given."""

    @functools.wraps(work)
    def run(store: GraphStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return atomically(store, lambda: work(store, *args, **kwargs))

    return run


class TransactionGroups:
    """Units of batch work (a loader batch, a chunk of merges) grouped into write
    transactions: up to the store's ``batches_per_transaction`` units, and none open
    longer than ``max_seconds``, so another writer waits at most about that long. Each
    unit is still whole or absent; an error rolls back the open group and goes on."""

    def __init__(self, store: GraphStore, max_seconds: float) -> None:
        self._store = store
        self._most = store.batches_per_transaction
        self._max_seconds = max_seconds
        self._block: contextlib.ExitStack | None = None
        self._units = 0
        self._opened = 0.0

    @contextlib.contextmanager
    def unit(self) -> Iterator[None]:
        """One unit of work: in the open group's transaction (opened for it if none is),
        which commits after it when full or open long enough."""
        if self._most > 1 and self._block is None:
            self._block = contextlib.ExitStack()
            self._block.enter_context(self._store.atomic())
            self._units = 0
            self._opened = time.monotonic()
        yield
        self._units += 1
        if self._units >= self._most or time.monotonic() - self._opened >= self._max_seconds:
            block, self._block = self._block, None
            if block is not None:
                block.close()

    def __enter__(self) -> TransactionGroups:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        block, self._block = self._block, None
        if block is None:
            return
        if kind is None:
            block.close()
        else:  # roll the open group back, then let the error go on
            block.__exit__(kind, *rest)  # type: ignore[arg-type]
