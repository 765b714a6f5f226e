"""A checked batch as rows ready to stage: what a reading process ships to the writer.

A checked batch holds each record's rows as dictionaries, which the writing process used
to unpickle, regroup by label, check against the model and serialise to JSON again before
any SQL ran: about half its time on a bulk load. Here the reading process does all of
that once: each label's (and relationship group's) rows become flat tuples of strings —
key, the JSON the row patches an existing one with, the JSON a new row is created as —
tagged with the index of the record they came from. The writer then only resolves the
records' customers and references, drops the rows of records it rejects, puts golden IDs
in place of the customer placeholders and hands the tuples to the store
(``EmbeddedStore.upsert_staged_nodes`` / ``upsert_staged_relationships``).

Records whose rows need the store to be worked out (customer records: their source
record's link, survivorship, match keys) stay checked batches: :func:`stage_batch`
returns None for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.embedded import staged_texts
from graph.embedded.layout import RKEY_SEP
from graph.schema import GraphSchema, schema
from graph.store import RelRow
from graph.values import prepare_nodes, prepare_rels, prepare_touch
from loaders.checking import CheckedBatch
from loaders.record_rows import (
    TOUCH_DEFAULT,
    TOUCH_NODES,
    TOUCH_RELS,
    CustomerKey,
    Props,
    Ref,
    RelGroup,
)

# Labels whose rows the writer completes from the store (Loader._load_batch).
_WRITER_LABELS = frozenset({"Customer", "SourceRecord"})

_EMPTY = ("{}", "{}")  # a relationship without properties: its patch and fresh texts
StagedNodeRow = tuple[int, str, str, str]  # record index, key, patch, fresh
StagedRelRow = tuple[int, str, str, str, str, str]  # record index, src, dst, rkey, patch, fresh


def node_touch(model: GraphSchema, now: str) -> dict[str, dict[str, str]]:
    """What a loader sets on the nodes a write creates or changes, by label."""
    return {
        n.label: dict.fromkeys(TOUCH_NODES.get(n.label, TOUCH_DEFAULT), now)
        for n in model.nodes
        if n.provenance
    }


def rel_touch(now: str) -> dict[str, dict[str, str]]:
    return {t: dict.fromkeys(fields, now) for t, fields in TOUCH_RELS.items()}


@dataclass(slots=True)
class StagedBatch:
    """A checked batch whose valid records' rows are staged (see the module doc)."""

    read: int = 0
    rejects: list[tuple[int, Any, list[str]]] = field(default_factory=list)
    ignored_fields: set[str] = field(default_factory=set)
    shared: list[tuple[str, Props]] = field(default_factory=list)
    # One entry per valid record, in file order.
    lines: list[int] = field(default_factory=list)
    raws: list[Any] = field(default_factory=list)  # None where the raw form stayed behind
    customers: list[list[CustomerKey]] = field(default_factory=list)
    refs: list[list[Ref]] = field(default_factory=list)
    nodes: dict[str, list[StagedNodeRow]] = field(default_factory=dict)
    rels: dict[RelGroup, list[StagedRelRow]] = field(default_factory=dict)


class Stager:
    """Stages checked batches of one load; the touch values are the load's time."""

    def __init__(self, now: str, model: GraphSchema | None = None) -> None:
        self._model = model or schema()
        self._node_touch = {
            label: prepare_touch(label, self._model.node(label).property_names, touch)
            for label, touch in node_touch(self._model, now).items()
        }
        self._rel_touch = {
            rel_type: prepare_touch(
                rel_type, self._model.relationship(rel_type).property_names, touch
            )
            for rel_type, touch in rel_touch(now).items()
        }

    def stage(self, checked: CheckedBatch, keep_raw: bool = True) -> StagedBatch | None:
        """The batch staged; None when a record maps to rows the writer completes."""
        nodes: dict[str, list[tuple[int, Props]]] = {}
        rels: dict[RelGroup, list[tuple[int, str, str, Props]]] = {}
        for i, record in enumerate(checked.valid):
            for label, props in record.nodes:
                if label in _WRITER_LABELS:
                    return None
                nodes.setdefault(label, []).append((i, props))
            for group, src, dst, props in record.rels:
                rels.setdefault(group, []).append((i, src, dst, props))
        valid = checked.valid
        return StagedBatch(
            read=checked.read,
            rejects=checked.rejects,
            ignored_fields=checked.ignored_fields,
            shared=checked.shared,
            lines=[c.line for c in valid],
            raws=[c.raw for c in valid] if keep_raw else [None] * len(valid),
            customers=[c.customers for c in valid],
            refs=[c.refs for c in valid],
            nodes={label: self._nodes(label, rows) for label, rows in nodes.items()},
            rels={group: self._rels(group, rows) for group, rows in rels.items()},
        )

    def _nodes(self, label: str, rows: list[tuple[int, Props]]) -> list[StagedNodeRow]:
        node_type = self._model.node(label)
        # The store's own checks, once for the label's rows: a bad row raises here.
        prepare_nodes(node_type, (props for _, props in rows))
        touch = self._node_touch.get(label, {})
        key = node_type.key
        return [(i, str(props[key]), *staged_texts(props, touch)) for i, props in rows]

    def _rels(self, group: RelGroup, rows: list[tuple[int, str, str, Props]]) -> list[StagedRelRow]:
        rel_type, src_label, dst_label = group
        rel = self._model.check_endpoints(rel_type, src_label, dst_label)
        rel_key = rel.key
        touch = self._rel_touch.get(rel_type, {})
        # Most relationships carry no properties: the store's checks are then only that
        # both ends are keys, and the texts are "{}" (a keyed type is checked whole).
        plain = all(type(s) is str and s and type(d) is str and d for _, s, d, _ in rows)
        checked = rows if rel_key or not plain else [row for row in rows if row[3]]
        if checked:
            prepare_rels(rel, (RelRow(src, dst, props) for _, src, dst, props in checked))
        return [
            (
                i,
                src,
                dst,
                RKEY_SEP.join(str(props[k]) for k in rel_key) if rel_key else "",
                *(staged_texts(props, touch) if props or touch else _EMPTY),
            )
            for i, src, dst, props in rows
        ]
