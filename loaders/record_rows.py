"""The rows a record maps to, and the keys they use: a record's own rows (RecordRows), a
batch's rows grouped as the store takes them (GraphRows), what a mapping may use (Context),
the nodes a record must find (Ref) and the customers it names (CustomerKey), and what a
record kind is (Kind). Pure: the mappings are loaders/mappings.py, the registry
loaders/kinds.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from graph.store import PropertyValue, RelRow
from loaders.models import CustomerRef, Record

Props = dict[str, PropertyValue | None]


def source_record_key(system: str, record_id: str) -> str:
    return f"{system}:{record_id}"


def singleton_customer_id(system: str, record_id: str) -> str:
    """Deterministic golden ID for a source record that resolved to nobody else yet."""
    return singleton_for(source_record_key(system, record_id))


def singleton_for(source_key: str) -> str:
    digest = hashlib.blake2b(source_key.encode(), digest_size=8)
    return "C" + digest.hexdigest().upper()


# NamedTuples, not dataclasses: a batch hashes these millions of times, and a tuple's
# hash and equality run in C.
class Ref(NamedTuple):
    """A node the record needs to exist before it can load."""

    label: str
    key: str
    what: str  # for the reject reason: "product", "household" ...


class CustomerKey(NamedTuple):
    """A customer named by a record: a source record key, or a golden ID."""

    source_key: str | None = None
    golden_id: str | None = None

    def describe(self) -> str:
        if self.golden_id:
            return f"ckb customer {self.golden_id!r}"
        return f"customer {self.source_key!r} (system:id)"


# Shared by every relationship without properties; stores never change a row they are given.
_NO_PROPS: Props = {}

# A record is mapped before its customers are resolved (possibly in another process): its
# rows name them by these placeholders, which GraphRows.add replaces with golden IDs.
GOLDEN = tuple(f"\x00customer:{i}" for i in range(4))
GOLDEN_INDEX = {token: i for i, token in enumerate(GOLDEN)}

RelGroup = tuple[str, str, str]  # relationship type, source label, target label


@dataclass(slots=True)
class RecordRows:
    """The nodes and relationships one record maps to."""

    nodes: list[tuple[str, Props]] = field(default_factory=list)
    rels: list[tuple[RelGroup, str, str, Props]] = field(default_factory=list)

    def node(self, label: str, props: Props) -> None:
        self.nodes.append((label, props))

    def rel(
        self,
        rel_type: str,
        src_label: str,
        src: str,
        dst_label: str,
        dst: str,
        props: Props | None = None,
    ) -> None:
        self.rels.append(((rel_type, src_label, dst_label), src, dst, props or _NO_PROPS))


@dataclass
class GraphRows:
    """A batch's rows, grouped the way the store takes them."""

    nodes: dict[str, list[Props]] = field(default_factory=dict)
    rels: dict[RelGroup, list[RelRow]] = field(default_factory=dict)

    def node(self, label: str, props: Props) -> None:
        self.nodes.setdefault(label, []).append(props)

    def add(
        self,
        nodes: list[tuple[str, Props]],
        rels: list[tuple[RelGroup, str, str, Props]],
        golden: list[str],
    ) -> None:
        """Add a record's rows, its customer placeholders replaced by ``golden``."""
        index = GOLDEN_INDEX
        for label, props in nodes:
            if label == "Customer":  # the one label keyed by a golden ID
                props["id"] = golden[index[props["id"]]]  # type: ignore[index]
            self.nodes.setdefault(label, []).append(props)
        for group, src, dst, props in rels:
            self.rels.setdefault(group, []).append(
                RelRow(
                    golden[index[src]] if src in index else src,
                    golden[index[dst]] if dst in index else dst,
                    props,
                )
            )


@dataclass
class Context:
    """What the mapping of one record may use: where its rows go, placeholders for its
    customers, provenance."""

    system: str
    rows: RecordRows = field(default_factory=RecordRows)
    # Nodes many records name (a channel, a store): written once per batch, whatever
    # becomes of the records that named them.
    shared: dict[tuple[str, str], Props] = field(default_factory=dict)
    golden: tuple[str, ...] = GOLDEN

    def shared_node(self, label: str, key: str, props: Props) -> None:
        self.shared.setdefault((label, key), props)

    def provenance(self, record_id: str) -> Props:
        # loaded_at is not here: the store sets it only when a write changes something
        # (see TOUCH), so reloading an unchanged file writes nothing.
        return {"source_system": self.system, "source_record_id": record_id}


def customer_key(ref: CustomerRef, system: str) -> CustomerKey:
    if ref.ckb_customer_id:
        return CustomerKey(None, ref.ckb_customer_id)
    assert ref.customer_id is not None  # the model guarantees one of the two
    # Positional, not keywords: this runs once per record.
    return CustomerKey(source_record_key(ref.customer_system or system, ref.customer_id))


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[Record]
    to_rows: Callable[[Any, Context], None]
    refs: Callable[[Any, str], list[Ref]] = lambda rec, system: []
    customers: Callable[[Any, str], list[CustomerKey]] = lambda rec, system: []
    # False for customer records themselves: their own source record need not exist yet.
    customers_required: bool = True
    # Mapping costs several times writing (customers: normalisation and match keys), so a
    # parallel load gives it a reading process per core (loaders/parallel.py).
    heavy_mapping: bool = False
    doc: str = ""


# Set by the store only on rows that a write creates or changes.
TOUCH_NODES: dict[str, tuple[str, ...]] = {"Customer": ("loaded_at", "updated_at")}
TOUCH_DEFAULT = ("loaded_at",)
TOUCH_RELS: dict[str, tuple[str, ...]] = {"RESOLVED_TO": ("resolved_at",)}
