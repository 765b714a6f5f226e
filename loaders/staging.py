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

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, TypeVar

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

# Value types every store takes as they are (graph/values.py checks the others).
_PLAIN = frozenset({str, bool, type(None)})
_EMPTY = ("{}", "{}")  # a relationship without properties: its patch and fresh texts
_K = TypeVar("_K", CustomerKey, Ref)
_Row = TypeVar("_Row", bound=tuple[str, ...])
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
    # The customers and referred-to nodes the batch names, each once: a record names
    # them by position (most records of a batch share a product, many a customer), so
    # the pipe carries and the writer unpickles and looks up each key once.
    customer_keys: list[CustomerKey] = field(default_factory=list)
    ref_keys: list[Ref] = field(default_factory=list)
    # One entry per valid record, in file order.
    lines: list[int] = field(default_factory=list)
    raws: list[Any] = field(default_factory=list)  # None where the raw form stayed behind
    customers: list[tuple[int, ...]] = field(default_factory=list)  # in customer_keys
    refs: list[tuple[int, ...]] = field(default_factory=list)  # in ref_keys
    nodes: dict[str, list[StagedNodeRow]] = field(default_factory=dict)
    rels: dict[RelGroup, list[StagedRelRow]] = field(default_factory=dict)


def without_repeats(rows: list[_Row], width: int) -> list[_Row]:
    """``rows`` less each row that repeats, whole, the last kept row of its identity (its
    first ``width`` fields). The store folds the rows of one identity into one, a later
    merged over the earlier (``fold_staged``); such a repeat changes nothing there but
    costs parsing and writing its texts again. A batch of purchases repeats them on every
    line: the store's Location, the purchase's MADE and AT."""
    identity = itemgetter(*range(width))
    if len(set(map(identity, rows))) == len(rows):
        return rows
    last: dict[Any, _Row] = {}
    kept = []
    for row in rows:
        ident = identity(row)
        if last.get(ident) != row:
            last[ident] = row
            kept.append(row)
    return kept


def _plain_texts(
    rows: list[tuple[int, Props]], key: str, touch: dict[str, Any]
) -> list[StagedNodeRow]:
    """Staged rows of a label whose values are all text, booleans or blanks. A node many
    records name (a purchase's store) comes again with the same properties: its texts are
    made once, and the pipe then carries them once (pickle shares a repeated object).
    With such values, equal items in the same order make the same JSON."""
    made: dict[str, tuple[Props, tuple[str, str]]] = {}
    staged = []
    for i, props in rows:
        k: str = props[key]  # type: ignore[assignment]  # checked by the caller
        seen = made.get(k)
        if seen is not None and seen[0] == props and list(seen[0]) == list(props):
            texts = seen[1]
        else:
            texts = staged_texts(props, touch)
            made[k] = (props, texts)
        staged.append((i, k, *texts))
    return staged


def _positions(named: list[list[_K]], keys: dict[_K, int]) -> list[tuple[int, ...]]:
    """Each record's keys as their positions in ``keys``, which gains the keys it lacks."""
    add = keys.setdefault
    return [tuple([add(k, len(keys)) for k in ks]) if ks else () for ks in named]


class Stager:
    """Stages checked batches of one load; the touch values are the load's time."""

    def __init__(self, now: str, model: GraphSchema | None = None) -> None:
        self._model = model or schema()
        self._allowed: dict[str, frozenset[str]] = {}  # by label
        self._rel_allowed: dict[str, frozenset[str]] = {}  # by relationship type
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
        customer_keys: dict[CustomerKey, int] = {}
        ref_keys: dict[Ref, int] = {}
        customers = _positions([c.customers for c in valid], customer_keys)
        refs = _positions([c.refs for c in valid], ref_keys)
        return StagedBatch(
            read=checked.read,
            rejects=checked.rejects,
            ignored_fields=checked.ignored_fields,
            shared=checked.shared,
            customer_keys=list(customer_keys),
            ref_keys=list(ref_keys),
            lines=[c.line for c in valid],
            raws=[c.raw for c in valid] if keep_raw else [None] * len(valid),
            customers=customers,
            refs=refs,
            nodes={label: self._nodes(label, rows) for label, rows in nodes.items()},
            rels={group: self._rels(group, rows) for group, rows in rels.items()},
        )

    def _nodes(self, label: str, rows: list[tuple[int, Props]]) -> list[StagedNodeRow]:
        node_type = self._model.node(label)
        key = node_type.key
        # The store's own checks, once for the label's rows: a bad row raises here. Rows
        # of known properties holding only text, booleans and blanks pass them all, so only
        # a label with other values (numbers, lists) or a doubtful row runs them in full.
        allowed = self._allowed.get(label)
        if allowed is None:
            allowed = self._allowed[label] = frozenset(node_type.property_names)
        plain = _PLAIN.issuperset
        touch = self._node_touch.get(label, {})
        if not all(
            type(props.get(key)) is str
            and props[key]
            and allowed.issuperset(props)
            and plain(map(type, props.values()))
            for _, props in rows
        ):
            prepare_nodes(node_type, (props for _, props in rows))
            return [(i, str(props[key]), *staged_texts(props, touch)) for i, props in rows]
        return _plain_texts(rows, key, touch)

    def _plain_props(
        self, name: str, names: Iterable[str], rows: list[tuple[int, str, str, Props]]
    ) -> bool:
        """Whether every row's properties are known ones holding text, booleans or blanks
        (what the store's checks pass without looking further)."""
        allowed = self._rel_allowed.get(name)
        if allowed is None:
            allowed = self._rel_allowed[name] = frozenset(names)
        plain = _PLAIN.issuperset
        return all(allowed.issuperset(p) and plain(map(type, p.values())) for *_, p in rows)

    def _rels(self, group: RelGroup, rows: list[tuple[int, str, str, Props]]) -> list[StagedRelRow]:
        rel_type, src_label, dst_label = group
        rel = self._model.check_endpoints(rel_type, src_label, dst_label)
        rel_key = rel.key
        touch = self._rel_touch.get(rel_type, {})
        # Most relationships carry no properties: the store's checks are then only that
        # both ends are keys, and the texts are "{}" (a keyed type is checked whole).
        plain = all(type(s) is str and s and type(d) is str and d for _, s, d, _ in rows)
        checked = rows if rel_key or not plain else [row for row in rows if row[3]]
        if checked and (rel_key or not self._plain_props(rel_type, rel.property_names, checked)):
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
