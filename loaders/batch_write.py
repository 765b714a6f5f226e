"""A batch's rows written: nodes first, then relationships (which need both ends to exist),
in one transaction, so a crash never leaves a record's node without its relationships.
Upserts only: a block that lost a conflict with a concurrent writer runs again. Store
purchases keep their daily sales (epcis/store_sales.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from epcis.store_sales import SalesWrite
from graph.embedded import EmbeddedStore, StagedRel
from graph.schema import schema
from graph.store import GraphStore, UpsertResult, atomically
from loaders.record_rows import GraphRows, RelGroup
from loaders.staging import node_touch, rel_touch


class Written(NamedTuple):
    """What a write created, and the relationships whose endpoint vanished between check
    and write (``unlinked``)."""

    nodes: int = 0
    relationships: int = 0
    unlinked: int = 0

    def plus_rels(self, result: UpsertResult) -> Written:
        return self._replace(
            relationships=self.relationships + result.created,
            unlinked=self.unlinked + len(result.missing),
        )


@dataclass(frozen=True, slots=True)
class Touch:
    """What a load sets on the rows a write creates or changes: by label, by relationship
    type (loaders/staging.py)."""

    nodes: dict[str, dict[str, str]]
    rels: dict[str, dict[str, str]]

    @classmethod
    def at(cls, now: str) -> Touch:
        return cls(node_touch(schema(), now), rel_touch(now))


def write_rows(store: GraphStore, rows: GraphRows, touch: Touch) -> Written:
    """A batch's rows in one transaction."""

    def write() -> Written:
        sales = SalesWrite(store, [str(p["id"]) for p in rows.nodes.get("Purchase", ())])
        written = Written(_upsert_nodes(store, rows, touch))
        for (rel_type, src, dst), rel_rows in rows.rels.items():
            written = written.plus_rels(
                store.upsert_relationships(
                    rel_type, src, dst, rel_rows, touch=touch.rels.get(rel_type)
                )
            )
        sales.done()
        return written

    return atomically(store, write)


def write_staged(
    store: EmbeddedStore,
    shared: GraphRows,
    nodes: dict[str, list[tuple[str, str, str]]],
    rels: dict[RelGroup, list[StagedRel]],
    touch: Touch,
) -> Written:
    """As :func:`write_rows`, for rows staged ahead (loaders/staging.py): shared nodes,
    then the records' nodes, then their relationships, in one transaction."""

    def write() -> Written:
        sales = SalesWrite(store, [row[0] for row in nodes.get("Purchase", ())])
        created = _upsert_nodes(store, shared, touch)
        for label, staged_rows in nodes.items():
            created += store.upsert_staged_nodes(label, staged_rows, touch.nodes.get(label)).created
        written = Written(created)
        for (rel_type, src, dst), rel_rows in rels.items():
            written = written.plus_rels(
                store.upsert_staged_relationships(
                    rel_type, src, dst, rel_rows, touch.rels.get(rel_type)
                )
            )
        sales.done()
        return written

    return atomically(store, write)


def _upsert_nodes(store: GraphStore, rows: GraphRows, touch: Touch) -> int:
    created = 0
    for label, node_rows in rows.nodes.items():
        created += store.upsert_nodes(label, node_rows, touch=touch.nodes.get(label)).created
    return created
