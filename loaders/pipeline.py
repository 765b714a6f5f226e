"""The one load path: validate, resolve references, map to graph rows, upsert in batches.

File loads (``ckb load``) and pushed records (``POST /ingest/{kind}``) both come through
``Loader``; only where the records come from and where rejects go differ.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph import clock
from graph.embedded import EmbeddedStore, StagedRel
from graph.embedded.texts import loads
from graph.errors import CkbError
from graph.memory import gc_paused
from graph.store import GraphStore, TransactionGroups
from loaders.batch_write import Touch, Written, write_rows, write_staged
from loaders.checking import Checked, CheckedBatch, batches, check_batch, writable
from loaders.file_check import check_file
from loaders.kinds import KINDS
from loaders.parallel import checked_batches, raw_records, worth_parallel
from loaders.record_rows import GOLDEN_INDEX, CustomerKey, GraphRows, Kind, Props, Ref, RelGroup
from loaders.references import existing_refs, golden_ids, resolve_customers, unknown_reasons
from loaders.rejects import RejectsFile, RejectSink
from loaders.reloads import complete_match_keys, known_records, reloaded
from loaders.sources import RawRecord, open_binary, read_records
from loaders.staging import StagedBatch, Stager, without_repeats

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
        self.now = now or clock.now_iso()
        self._pending: list[tuple[int, Any, list[str]]] = []
        # Rejected records whose raw form stayed with a validating process: (line, reasons).
        self.deferred: list[tuple[int, list[str]]] = []
        # Customer records loaded again unchanged whose customer holds other records too
        # (resolution merged them): source record key -> golden ID. Resolving them again
        # on arrival would undo nothing and might merge further (loaders/push.py skips them).
        self.settled: dict[str, str] = {}
        self._touch = Touch.at(self.now)
        # The embedded store takes rows staged ahead (loaders/staging.py): a batch of
        # records that need no more than their customers and references resolved is
        # staged where it is checked, in a reading process when there is one.
        self._staging_store = (
            store if isinstance(store, EmbeddedStore) and kind.customers_required else None
        )
        self._stager = Stager(self.now) if self._staging_store is not None else None
        # Records the load is about to read (a file's lines), 0 when unknown: with enough
        # of them a label's scattered indexes are built after the load, not row by row.
        self.expected = 0

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
        with gc_paused():  # as for every batch (_run_groups)
            first = next(pending, None)
        deferred_labels = self._defer_indexes(first) if first is not None else []
        pending = itertools.chain([first] if first is not None else [], pending)
        del first  # the chain holds it until the loop frees it
        try:
            self._run_groups(pending, summary, on_batch)
        except BaseException:
            # Built back here if the store lets us; else by the next process to open it
            # (graph/embedded/store.py): the load's own error is the one to report.
            with contextlib.suppress(CkbError, sqlite3.Error):
                self._restore_indexes(deferred_labels)
            raise
        self._restore_indexes(deferred_labels)
        summary.seconds += time.perf_counter() - started
        return summary

    def _run_groups(
        self,
        pending: Iterator[CheckedBatch | StagedBatch],
        summary: LoadSummary,
        on_batch: Callable[[int], None] | None,
    ) -> None:
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

    def _defer_indexes(self, first: CheckedBatch | StagedBatch) -> list[str]:
        """The labels whose scattered property indexes the store defers for this load
        (``EmbeddedStore.defer_indexes``), judged by the first batch: how many nodes of
        each label the load is about to add (the file's records, ``expected``, in the
        batch's proportion) and how its rows' values spread."""
        store = self.store
        if not isinstance(store, EmbeddedStore) or not self.expected or not first.read:
            return []
        rows: dict[str, list[Mapping[str, object]]] = {}
        if isinstance(first, StagedBatch):
            for label, staged in first.nodes.items():
                rows[label] = [loads(fresh) for _, _, _, fresh in staged]
        else:
            for checked in first.valid:
                for label, props in checked.nodes:
                    rows.setdefault(label, []).append(props)
        return [
            label
            for label, sample in rows.items()
            if store.defer_indexes(label, self.expected * len(sample) // first.read, sample)
        ]

    def _restore_indexes(self, labels: list[str]) -> None:
        for label in labels:
            assert isinstance(self.store, EmbeddedStore)  # only its loads defer indexes
            self.store.restore_indexes(label)

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

    def _look_up(
        self, wanted: set[CustomerKey], refs: set[Ref]
    ) -> tuple[dict[CustomerKey, str], set[Ref]]:
        """The golden IDs of the customers a batch names, and which of the nodes it
        refers to exist."""
        customers = resolve_customers(self.store, wanted) if wanted else {}
        return customers, existing_refs(self.store, refs) if refs else set()

    def _admitted(
        self,
        summary: LoadSummary,
        record: tuple[int, Any, list[CustomerKey], list[Ref]],
        customers: dict[CustomerKey, str],
        existing: set[Ref],
    ) -> list[str] | None:
        """The golden IDs of a record's customers (line, raw form, customers, references),
        or None: it names a customer or node that does not exist, and is rejected."""
        line, raw, keys, rec_refs = record
        required = self.kind.customers_required
        golden = golden_ids(keys, customers, required)
        if golden is None or (rec_refs and not existing.issuperset(rec_refs)):
            reasons = unknown_reasons(keys, rec_refs, customers, existing, required)
            self._reject(summary, line, _ELSEWHERE if raw is None else writable(raw), reasons)
            return None
        return golden

    def _load_batch(self, checked: CheckedBatch, summary: LoadSummary) -> None:
        valid = checked.valid
        customers, existing = self._look_up(
            {k for c in valid for k in c.customers}, {r for c in valid for r in c.refs}
        )
        rows = GraphRows()
        for label, props in checked.shared:
            rows.node(label, props)
        required = self.kind.customers_required
        erased = self._erased(valid)
        known = known_records(self.store, valid, customers) if not required and customers else None
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
            golden = self._admitted(summary, (line, raw, keys, rec_refs), customers, existing)
            if golden is None:
                continue
            if known is not None:
                rows.add(*reloaded(known, nodes, rels, golden, changed, self.settled), golden)
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
            complete_match_keys(self.store, rows.nodes["SourceRecord"])
        self._count(summary, write_rows(self.store, rows, self._touch))

    def _load_staged(self, staged: StagedBatch, summary: LoadSummary) -> None:
        """A staged batch: resolve its records' customers and references, reject those
        that name unknown ones, and write the others' rows as they were staged."""
        golden = self._staged_golden(staged, summary)
        summary.loaded += len(golden) - golden.count(None)
        nodes = {
            label: without_repeats(
                [(key, patch, fresh) for i, key, patch, fresh in rows if golden[i] is not None], 1
            )
            for label, rows in staged.nodes.items()
        }
        rels: dict[RelGroup, list[StagedRel]] = {}
        index = GOLDEN_INDEX
        for group, rel_rows in staged.rels.items():
            kept: list[StagedRel] = []
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
            rels[group] = without_repeats(kept, 3)
        shared = GraphRows()
        for label, props in staged.shared:
            shared.node(label, props)
        store = self._staging_store
        assert store is not None  # only a staging load makes staged batches
        self._count(summary, write_staged(store, shared, nodes, rels, self._touch))

    def _staged_golden(self, staged: StagedBatch, summary: LoadSummary) -> list[list[str] | None]:
        """Each record's customers' golden IDs, None for a record rejected as naming an
        unknown customer or node: each key looked up once, records by its position."""
        keys, ref_keys = staged.customer_keys, staged.ref_keys
        customers, existing = self._look_up(set(keys), set(ref_keys))
        golden_of = [customers.get(k) for k in keys]
        if None not in golden_of and len(existing) == len(ref_keys):
            return [[golden_of[j] for j in named] for named in staged.customers]  # type: ignore[misc]
        ref_ok = [r in existing for r in ref_keys]
        golden: list[list[str] | None] = []
        for line, raw, named, rec_refs in zip(
            staged.lines, staged.raws, staged.customers, staged.refs, strict=True
        ):
            found = [golden_of[j] for j in named]
            if None in found or not all(ref_ok[j] for j in rec_refs):
                record = (line, raw, [keys[j] for j in named], [ref_keys[j] for j in rec_refs])
                golden.append(self._admitted(summary, record, customers, existing))
            else:
                golden.append(found)  # type: ignore[arg-type]
        return golden

    @staticmethod
    def _count(summary: LoadSummary, written: Written) -> None:
        summary.nodes_written += written.nodes
        summary.relationships_written += written.relationships
        summary.unlinked += written.unlinked

    def _erased(self, valid: list[Checked]) -> set[str]:
        """Source records of this batch that an erasure removed (one store call)."""
        from governance.erase import erased_records  # erase builds on resolve, which needs us

        keys = [str(p["id"]) for c in valid for label, p in c.nodes if label == "SourceRecord"]
        return erased_records(self.store, keys) if keys else set()


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
    if isinstance(store, EmbeddedStore):
        loader.expected = _line_count(path)
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


def _line_count(path: Path) -> int:
    """Lines of the file: its records, near enough (a header, a quoted line break)."""
    lines = 0
    with open_binary(path) as binary:
        while chunk := binary.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def default_rejects_path(path: Path) -> Path:
    name = path.name.removesuffix(".gz")
    return Path("data") / "rejects" / f"{name}.rejects.jsonl"
