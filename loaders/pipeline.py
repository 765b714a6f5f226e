"""The one load path: validate, resolve references, map to graph rows, upsert in batches.

File loads (``ckb load``) and pushed records (``POST /ingest/{kind}``) both come through
``Loader``; only where the records come from and where rejects go differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from epcis.store_sales import SalesWrite
from graph.embedded import EmbeddedStore, StagedRel
from graph.errors import CkbError
from graph.memory import gc_paused
from graph.schema import schema
from graph.store import GraphStore, Node, TransactionGroups, atomically
from identity.matching import match_terms, profile
from identity.resolve import survivor_attributes
from loaders.checking import Checked, CheckedBatch, batches, check_batch, writable
from loaders.kinds import (
    GOLDEN_INDEX,
    KINDS,
    CustomerKey,
    GraphRows,
    Kind,
    Props,
    Ref,
    RelGroup,
    singleton_for,
)
from loaders.parallel import checked_batches, raw_records, worth_parallel
from loaders.rejects import RejectsFile, RejectSink
from loaders.sources import RawRecord, check_file, read_records
from loaders.staging import StagedBatch, Stager, node_touch, rel_touch

DEFAULT_BATCH = 5000
# The longest a load keeps its write transaction open across batches: another writer
# (a push, an agent's touchpoint) waits at most about that long.
GROUP_SECONDS = 1.0
# A rejected record whose raw form stayed with the process that read it.
_ELSEWHERE = object()


class UnknownKindError(CkbError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"unknown record kind {kind!r}; kinds: {', '.join(KINDS)}")


def get_kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKindError(name) from None


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class LoadSummary:
    kind: str
    system: str
    origin: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    nodes_written: int = 0
    relationships_written: int = 0
    unlinked: int = 0  # relationships whose endpoint vanished between check and write
    seconds: float = 0.0
    ignored_fields: set[str] = field(default_factory=set)
    rejects_path: Path | None = None
    empty: str | None = None  # why nothing was read: "empty", "only a header"

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "system": self.system,
            "origin": self.origin,
            "read": self.read,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "seconds": round(self.seconds, 3),
            "records_per_second": round(self.rate, 1),
            "ignored_fields": sorted(self.ignored_fields),
            "rejects_file": str(self.rejects_path) if self.rejects_path and self.rejected else None,
            "empty": self.empty,
        }


class Loader:
    """Loads records of one kind from one source system into a store."""

    def __init__(
        self,
        store: GraphStore,
        kind: Kind,
        system: str,
        rejects: RejectSink,
        *,
        batch_size: int = DEFAULT_BATCH,
        now: str | None = None,
    ) -> None:
        if not system.strip():
            raise CkbError("the source system name must not be empty")
        self.store = store
        self.kind = kind
        self.system = system.strip()
        self.rejects = rejects
        self.batch_size = batch_size
        self.now = now or utc_now()
        self._pending: list[tuple[int, Any, list[str]]] = []
        # Rejected records whose raw form stayed with a validating process: (line, reasons).
        self.deferred: list[tuple[int, list[str]]] = []
        # Customer records loaded again unchanged whose customer holds other records too
        # (resolution merged them): source record key -> golden ID. Resolving them again
        # on arrival would undo nothing and might merge further (api/http/ingest.py skips them).
        self.settled: dict[str, str] = {}
        self._node_touch = node_touch(schema(), self.now)
        self._rel_touch = rel_touch(self.now)
        # The embedded store takes rows staged ahead (loaders/staging.py): a batch of
        # records that need no more than their customers and references resolved is
        # staged where it is checked, in a reading process when there is one.
        self._staging_store = (
            store if isinstance(store, EmbeddedStore) and kind.customers_required else None
        )
        self._stager = Stager(self.now) if self._staging_store is not None else None

    @property
    def staging_now(self) -> str | None:
        """The time reading processes stage rows with; None when this load stages none."""
        return self.now if self._stager is not None else None

    def _checked(self, batch: list[RawRecord]) -> CheckedBatch | StagedBatch:
        checked = check_batch(self.kind, self.system, batch)
        if self._stager is None:
            return checked
        return self._stager.stage(checked) or checked

    def run(
        self,
        records: Iterable[RawRecord],
        summary: LoadSummary,
        on_batch: Callable[[int], None] | None = None,
    ) -> LoadSummary:
        checked = (self._checked(batch) for batch in batches(records, self.batch_size))
        return self.run_checked(checked, summary, on_batch)

    def run_checked(
        self,
        batches: Iterable[CheckedBatch | StagedBatch],
        summary: LoadSummary,
        on_batch: Callable[[int], None] | None = None,
    ) -> LoadSummary:
        """Load batches already validated (here, or by a second process that kept the raw
        records: rejects it cannot show here are left in ``deferred`` by line)."""
        started = time.perf_counter()
        pending = iter(batches)
        with TransactionGroups(self.store, GROUP_SECONDS) as transactions:
            while True:
                # A batch is thousands of acyclic containers alive at once (records,
                # rows); with the collector on, each young collection walks them all
                # again. Paused, it looks at them once per batch (measured: a fifth of an
                # in-process load).
                with gc_paused():
                    checked = next(pending, None)
                    if checked is None:
                        break
                    with transactions.unit():
                        self._load_checked(checked, summary)
                    read = checked.read
                    # Freed here, by reference counting, rather than walked by the
                    # collection that resuming the collector sets off.
                    del checked
                if on_batch:
                    on_batch(read)
        summary.seconds += time.perf_counter() - started
        return summary

    def _load_checked(self, checked: CheckedBatch | StagedBatch, summary: LoadSummary) -> None:
        self._pending = []
        summary.read += checked.read
        summary.ignored_fields |= checked.ignored_fields
        for line, record, reasons in checked.rejects:
            self._reject(summary, line, record, reasons)
        if isinstance(checked, StagedBatch):
            if checked.lines:
                self._load_staged(checked, summary)
        elif checked.valid:
            self._load_batch(checked, summary)
        # Rejects of a batch are found in two passes; write them in line order. A record
        # that could not be read at all has no raw form but its text, and may not even have
        # that: it is written all the same, with its line and reasons.
        for line, record, reasons in sorted(self._pending, key=lambda p: p[0]):
            if record is _ELSEWHERE:
                self.deferred.append((line, reasons))
            else:
                self.rejects.reject(line, record, reasons)

    # ------------------------------------------------------------------ one batch

    def _reject(self, summary: LoadSummary, line: int, record: Any, reasons: list[str]) -> None:
        summary.rejected += 1
        self._pending.append((line, record, reasons))

    def _resolve_customers(self, keys: set[CustomerKey]) -> dict[CustomerKey, str]:
        resolved: dict[CustomerKey, str] = {}
        by_source = {k.source_key: k for k in keys if k.source_key}
        if by_source:
            # The links alone, not the customers at their ends: only their keys are needed.
            links = self.store.relationships_of("SourceRecord", list(by_source))
            for source_key, edges in links.items():
                golden = next((e.dst_key for e in edges if e.type == "RESOLVED_TO"), None)
                if golden is not None:
                    resolved[by_source[source_key]] = golden
        by_golden = {k.golden_id: k for k in keys if k.golden_id}
        if by_golden:
            existing = self.store.get_nodes("Customer", list(by_golden))
            for golden_id in existing:
                resolved[by_golden[golden_id]] = golden_id
            retired = [g for g in by_golden if g not in existing]
            if retired:
                # A merged-away ID still resolves, to the customer that absorbed it.
                aliases = self.store.neighbours_many("CustomerAlias", retired, "ALIAS_OF", limit=1)
                for alias, found in aliases.items():
                    resolved[by_golden[alias]] = found[0].node.key
        return resolved

    def _existing(self, refs: set[Ref]) -> set[Ref]:
        by_label: dict[str, list[Ref]] = {}
        for ref in refs:
            by_label.setdefault(ref.label, []).append(ref)
        found: set[Ref] = set()
        for label, wanted in by_label.items():
            present = self.store.get_nodes(label, sorted({r.key for r in wanted}))
            found.update(r for r in wanted if r.key in present)
        return found

    def _load_batch(self, checked: CheckedBatch, summary: LoadSummary) -> None:
        valid = checked.valid
        wanted = {k for c in valid for k in c.customers}
        customers = self._resolve_customers(wanted) if wanted else {}
        refs = {r for c in valid for r in c.refs}
        existing = self._existing(refs) if refs else set()

        rows = GraphRows()
        for label, props in checked.shared:
            rows.node(label, props)
        required = self.kind.customers_required
        erased = self._erased(valid)
        known = self._known_records(valid, customers) if not required and customers else None
        # Merged customers one of whose records changed: golden ID -> record key -> its row.
        changed: dict[str, dict[str, Props]] = {}
        loaded = 0
        for line, raw, keys, rec_refs, nodes, rels in valid:
            gone = [
                str(p["id"]) for label, p in nodes if label == "SourceRecord" and p["id"] in erased
            ]
            if gone:
                # Nothing of her record is kept, not even in the rejects file.
                reason = f"{gone[0]} was erased on request; it is not loaded again"
                self._reject(summary, line, {"erased_record": gone[0]}, [reason])
                continue
            golden = _golden(keys, customers, required)
            if golden is None or (rec_refs and not existing.issuperset(rec_refs)):
                reasons = self._unknown(keys, rec_refs, customers, existing)
                self._reject(summary, line, _ELSEWHERE if raw is None else writable(raw), reasons)
                continue
            if known is not None:
                rows.add(*self._reloaded(known, nodes, rels, golden, changed), golden)
            else:
                rows.add(nodes, rels, golden)
            loaded += 1
        if known is not None:
            for golden_id, records in changed.items():
                rows.node(
                    "Customer",
                    {"id": golden_id, **known.survivorship(golden_id, records, self.now)},
                )
        summary.loaded += loaded
        if "SourceRecord" in rows.nodes:
            self._complete_match_keys(rows.nodes["SourceRecord"])
        self._write(rows, summary)

    def _load_staged(self, staged: StagedBatch, summary: LoadSummary) -> None:
        """A staged batch: resolve its records' customers and references, reject those
        that name unknown ones, and write the others' rows as they were staged."""
        wanted = {k for keys in staged.customers for k in keys}
        customers = self._resolve_customers(wanted) if wanted else {}
        refs = {r for rec_refs in staged.refs for r in rec_refs}
        existing = self._existing(refs) if refs else set()
        required = self.kind.customers_required
        golden: list[list[str] | None] = []
        for line, raw, keys, rec_refs in zip(
            staged.lines, staged.raws, staged.customers, staged.refs, strict=True
        ):
            found = _golden(keys, customers, required)
            if found is None or (rec_refs and not existing.issuperset(rec_refs)):
                reasons = self._unknown(keys, rec_refs, customers, existing)
                self._reject(summary, line, _ELSEWHERE if raw is None else writable(raw), reasons)
                found = None
            golden.append(found)
        summary.loaded += sum(found is not None for found in golden)
        nodes = {
            label: [(key, patch, fresh) for i, key, patch, fresh in rows if golden[i] is not None]
            for label, rows in staged.nodes.items()
        }
        rels: dict[RelGroup, list[StagedRel]] = {}
        index = GOLDEN_INDEX
        for group, rel_rows in staged.rels.items():
            kept = rels[group] = []
            for i, src, dst, rkey, patch, fresh in rel_rows:
                found = golden[i]
                if found is not None:
                    kept.append(
                        (
                            found[index[src]] if src in index else src,
                            found[index[dst]] if dst in index else dst,
                            rkey,
                            patch,
                            fresh,
                        )
                    )
        shared = GraphRows()
        for label, props in staged.shared:
            shared.node(label, props)
        self._write_staged(shared, nodes, rels, summary)

    def _write_staged(
        self,
        shared: GraphRows,
        nodes: dict[str, list[tuple[str, str, str]]],
        rels: dict[RelGroup, list[StagedRel]],
        summary: LoadSummary,
    ) -> None:
        """As _write, for staged rows: shared nodes, then the records' nodes, then their
        relationships, in one transaction."""
        store = self._staging_store
        assert store is not None  # only a staging load makes staged batches

        def write() -> tuple[int, int, int]:
            sales = SalesWrite(store, [row[0] for row in nodes.get("Purchase", ())])
            created_nodes = created_rels = unlinked = 0
            for label, node_rows in shared.nodes.items():
                touch = self._node_touch.get(label)
                created_nodes += store.upsert_nodes(label, node_rows, touch=touch).created
            for label, staged_rows in nodes.items():
                touch = self._node_touch.get(label)
                created_nodes += store.upsert_staged_nodes(label, staged_rows, touch).created
            for (rel_type, src, dst), rel_rows in rels.items():
                result = store.upsert_staged_relationships(
                    rel_type, src, dst, rel_rows, self._rel_touch.get(rel_type)
                )
                created_rels += result.created
                unlinked += len(result.missing)
            sales.done()
            return created_nodes, created_rels, unlinked

        created_nodes, created_rels, unlinked = atomically(store, write)
        summary.nodes_written += created_nodes
        summary.relationships_written += created_rels
        summary.unlinked += unlinked

    def _known_records(
        self, valid: list[Checked], customers: dict[CustomerKey, str]
    ) -> _Known | None:
        """The batch's customer records whose source record is already linked to its
        customer: what they hold and every record of those customers (two store reads)."""
        own = {str(p["id"]) for c in valid for label, p in c.nodes if label == "SourceRecord"}
        linked = {k.source_key: g for k, g in customers.items() if k.source_key in own}
        if not linked:
            return None
        held = self.store.get_nodes("SourceRecord", sorted(linked))
        goldens = sorted(set(linked.values()))
        found = self.store.neighbours_many(
            "Customer", goldens, "RESOLVED_TO", "in", "SourceRecord", limit=10**6
        )
        members = {g: {n.node.key: n.node for n in found.get(g, [])} for g in goldens}
        return _Known(linked, held, members)

    def _reloaded(
        self,
        known: _Known,
        nodes: list[tuple[str, Props]],
        rels: list[tuple[RelGroup, str, str, Props]],
        golden: list[str],
        changed: dict[str, dict[str, Props]],
    ) -> tuple[list[tuple[str, Props]], list[tuple[RelGroup, str, str, Props]]]:
        """A customer record whose source record is already linked: its link and the
        link's evidence stay (a merge's rule and score, not the singleton's); the
        customer's attributes follow the record only when it is the customer's one
        record. A merged customer's are its records' survivorship, worked out again
        (after the loop, once per customer) when this record changed, else left alone."""
        row = next((p for label, p in nodes if label == "SourceRecord"), None)
        key = str(row["id"]) if row is not None else ""
        if key not in known.linked:
            return nodes, rels  # a new record: its own customer, linked as a singleton
        rels = [r for r in rels if r[0][0] != "RESOLVED_TO"]
        customer = golden[0]
        if set(known.members.get(customer, {})) <= {key}:
            return nodes, rels  # the customer's only record: it follows the record
        nodes = [(label, p) for label, p in nodes if label != "Customer"]
        stored = known.held.get(key)
        assert row is not None
        if stored is None or any(
            stored.props.get(k) != v for k, v in row.items() if k != "match_keys"
        ):
            changed.setdefault(customer, {})[key] = row
            self.settled.pop(key, None)
        else:
            self.settled[key] = customer
        return nodes, rels

    def _erased(self, valid: list[Checked]) -> set[str]:
        """Source records of this batch that an erasure removed (one store call)."""
        from governance.erase import erased_records  # erase builds on resolve, which needs us

        keys = [str(p["id"]) for c in valid for label, p in c.nodes if label == "SourceRecord"]
        return erased_records(self.store, keys) if keys else set()

    def _complete_match_keys(self, rows: list[Props]) -> None:
        """A customer record without some of its fields (no such column) leaves what its
        source record holds for them; its match keys, computed from what it gave, are
        computed again from the whole: what the source record holds, updated by the row."""
        matched = _matched_fields()
        partial = [r for r in rows if "match_keys" in r and not matched.issubset(r)]
        if not partial:
            return
        held = self.store.get_nodes("SourceRecord", [str(r["id"]) for r in partial])
        today = datetime.now(UTC).date()
        for row in partial:
            key = str(row["id"])
            node = held.get(key)
            if node is not None:  # else a new record: what it gives is all there is
                whole = {**node.props, **row}
                row["match_keys"] = " ".join(match_terms(profile(key, whole, today))) or None

    def _unknown(
        self,
        keys: list[CustomerKey],
        refs: list[Ref],
        customers: dict[CustomerKey, str],
        existing: set[Ref],
    ) -> list[str]:
        reasons = []
        if self.kind.customers_required:
            reasons += [f"unknown {k.describe()}" for k in keys if k not in customers]
        reasons += [f"unknown {r.what} {r.key!r}" for r in refs if r not in existing]
        return reasons

    def _write(self, rows: GraphRows, summary: LoadSummary) -> None:
        # One transaction per batch: a crash never leaves a record's node without its
        # relationships. Nodes first, then relationships (which need both ends to exist).
        # Upserts only: a block that lost a conflict with a concurrent writer runs again.
        def write() -> tuple[int, int, int]:
            # Store purchases keep their daily sales (epcis/store_sales.py).
            sales = SalesWrite(self.store, [str(p["id"]) for p in rows.nodes.get("Purchase", ())])
            created_nodes = created_rels = unlinked = 0
            for label, node_rows in rows.nodes.items():
                touch = self._node_touch.get(label)
                created_nodes += self.store.upsert_nodes(label, node_rows, touch=touch).created
            for (rel_type, src, dst), rel_rows in rows.rels.items():
                result = self.store.upsert_relationships(
                    rel_type, src, dst, rel_rows, touch=self._rel_touch.get(rel_type)
                )
                created_rels += result.created
                unlinked += len(result.missing)
            sales.done()
            return created_nodes, created_rels, unlinked

        created_nodes, created_rels, unlinked = atomically(self.store, write)
        summary.nodes_written += created_nodes
        summary.relationships_written += created_rels
        summary.unlinked += unlinked


@dataclass(frozen=True, slots=True)
class _Known:
    """A batch's customer records already linked to a customer (see Loader._known_records)."""

    linked: dict[str, str]  # source record key -> golden ID
    held: dict[str, Node]  # the source records as stored
    members: dict[str, dict[str, Node]]  # golden ID -> its source records, by key

    def survivorship(self, golden: str, records: dict[str, Props], now: str) -> dict[str, Any]:
        """The customer's golden attributes from its records, some as this batch writes
        them (loaded now: the most recently loaded, as the store will say)."""
        current = dict(self.members.get(golden, {}))
        for key, row in records.items():
            before = current.get(key)
            props = {**(before.props if before else {}), **row, "loaded_at": now}
            current[key] = Node(
                "SourceRecord", key, {k: v for k, v in props.items() if v is not None}
            )
        return survivor_attributes([current[k] for k in sorted(current)])


@cache
def _matched_fields() -> frozenset[str]:
    """The customer record's fields a SourceRecord keeps: what its match keys come from."""
    kept = schema().node("SourceRecord").property_names
    return frozenset(KINDS["customers"].model.model_fields).intersection(kept)


def _golden(
    keys: list[CustomerKey], customers: dict[CustomerKey, str], required: bool
) -> list[str] | None:
    """The golden IDs of a record's customers; None when one that must exist does not.
    A customer record's own source record, not linked yet, is its own customer."""
    golden = []
    for key in keys:
        found = customers.get(key)
        if found is None:
            if required or key.source_key is None:
                return None
            found = singleton_for(key.source_key)
        golden.append(found)
    return golden


def load_file(
    store: GraphStore,
    kind_name: str,
    path: Path,
    system: str,
    *,
    rejects_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] | None = None,
    now: str | None = None,
    encoding: str | None = None,
) -> LoadSummary:
    """Load one file. ``encoding``: the file's, when it is not UTF-8 (a byte-order mark
    says so too). The file is read once whole first: a compressed file that is corrupt
    or cut short, or a file not in its encoding, is refused before anything is written."""
    kind = get_kind(kind_name)
    whole = check_file(path, encoding)
    rejects_path = rejects_path or default_rejects_path(path)
    sink = RejectsFile(rejects_path, str(path), kind.name)
    summary = LoadSummary(kind.name, system, str(path), rejects_path=rejects_path)
    loader = Loader(store, kind, system, sink, batch_size=batch_size, now=now)
    try:
        if worth_parallel(path):
            checked = checked_batches(
                kind, loader.system, path, batch_size, whole.encoding, loader.staging_now
            )
            loader.run_checked(checked, summary, on_batch)
        else:
            loader.run(read_records(path, encoding=whole.encoding), summary, on_batch)
        if loader.deferred:
            # Records the writer rejected (unknown references) whose raw form stayed with
            # a reading process follow the others, read back from the file.
            lines = {line for line, _ in loader.deferred}
            raw = raw_records(path, lines, whole.encoding)
            for line, reasons in loader.deferred:
                sink.reject(line, writable(raw.get(line)), reasons)
    finally:
        sink.close()
    if summary.read == 0:
        summary.empty = "only a header" if whole.has_text else "empty"
    return summary


def default_rejects_path(path: Path) -> Path:
    name = path.name.removesuffix(".gz")
    return Path("data") / "rejects" / f"{name}.rejects.jsonl"
