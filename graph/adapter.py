"""What both store adapters do alike, written once: the port's argument checks and the
answers that need no query of their own.

The embedded store (graph/embedded/) and the Neo4j store (graph/neo4j_store.py) subclass
``StoreAdapter``: a port method here checks its arguments against the schema (so the two
cannot drift apart in what they refuse), answers what it can without the store (a
lookup by key, no terms), and leaves the rest to the adapter's hook of the same name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Self

from graph.schema import GraphSchema, NodeType, RelType
from graph.store import Direction, Neighbour, Node, Properties, PropertyValue, RelRow, UpsertResult
from graph.values import (
    Props,
    check_lookup,
    check_neighbour_query,
    check_range_lookup,
    check_terms_lookup,
    prepare_touch,
)

Bound = PropertyValue | None  # one end of a range; None leaves it open


class Hop(NamedTuple):
    """The relationships a traversal follows from a node: of one type (None: any), out,
    in or both ways, to nodes of one label (None: any)."""

    rel_type: str | None
    direction: Direction
    other_label: str | None


class StoreAdapter(ABC):
    _schema: GraphSchema

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def get_node(self, label: str, key: str) -> Node | None: ...

    def upsert_nodes(
        self, label: str, rows: Iterable[Properties], touch: Properties | None = None
    ) -> UpsertResult:
        node_type = self._schema.node(label)
        touched = prepare_touch(label, node_type.property_names, touch)
        return self._upsert_nodes(node_type, list(rows), touched)

    @abstractmethod
    def _upsert_nodes(
        self, node_type: NodeType, rows: list[Properties], touch: Props
    ) -> UpsertResult: ...

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
        return self._upsert_relationships(rel, src_label, dst_label, list(rows), touched)

    @abstractmethod
    def _upsert_relationships(
        self, rel: RelType, src_label: str, dst_label: str, rows: list[RelRow], touch: Props
    ) -> UpsertResult: ...

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
        return self._find_equal(label, prop, value, limit, after)

    @abstractmethod
    def _find_equal(
        self, label: str, prop: str, value: PropertyValue, limit: int, after: str | None
    ) -> list[Node]:
        """``find_nodes`` on an indexed property other than the key."""

    def find_range(
        self,
        label: str,
        prop: str,
        low: Bound = None,
        high: Bound = None,
        limit: int = 100,
        descending: bool = False,
    ) -> list[Node]:
        check_range_lookup(self._schema.node(label), prop, low, high)
        return self._find_range(label, prop, low, high, limit, descending)

    @abstractmethod
    def _find_range(
        self, label: str, prop: str, low: Bound, high: Bound, limit: int, descending: bool
    ) -> list[Node]: ...

    def find_terms(
        self, label: str, prop: str, terms: Sequence[str], limit: int = 100
    ) -> list[tuple[Node, int]]:
        wanted = check_terms_lookup(self._schema.node(label), prop, terms)
        if not wanted:
            return []
        return self._find_terms(label, prop, wanted, limit)

    @abstractmethod
    def _find_terms(
        self, label: str, prop: str, wanted: list[str], limit: int
    ) -> list[tuple[Node, int]]:
        """``find_terms`` for the distinct, checked terms (at least one)."""

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
        return self._neighbours(label, key, Hop(rel_type, direction, other_label), limit)

    @abstractmethod
    def _neighbours(self, label: str, key: str, hop: Hop, limit: int) -> list[Neighbour]: ...

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
        return self._neighbours_many(label, keys, Hop(rel_type, direction, other_label), limit)

    @abstractmethod
    def _neighbours_many(
        self, label: str, keys: Sequence[str], hop: Hop, limit: int
    ) -> dict[str, list[Neighbour]]: ...
