"""Right to erasure: remove a person from every copy ckb keeps; keep a tombstone without them.

A request names one golden customer (or a retired ID of one), taken to be one person.
**Who she is** — that customer and every source record evidently the same person — is
governance/person.py's rule. **What goes** from the store (deleted, from every index of
both stores) and **what is scrubbed** (kept without her) is governance/erase_plan.py's;
her lines in the rejects files and in ``ckb enrich``'s unmatched reports,
governance/erase_files.py's.

**What stays**: one AuditEntry naming the customer ID the request named, who erased it,
when, the request reference, and how many nodes of each kind went or were scrubbed and
rejects lines removed; and per source record a tombstone, an AuditEntry keyed by a hash
of the record's key, so that a reload of the record can be recognised
(:func:`erased_records`) — never her values.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from epcis.store_sales import SalesWrite
from governance.erase_files import files_matching, rejects_drop, report_drop
from governance.erase_plan import Plan, plan_erasure
from governance.person import erased_id, find_person
from graph import clock
from graph.errors import CkbError
from graph.store import GraphStore, atomically
from loaders.rejects import count_rejects, rewrite_rejects


class ErasureError(CkbError):
    """The customer to erase does not exist."""


@dataclass(frozen=True, slots=True)
class Erasure:
    customer_id: str
    removed: dict[str, int]
    audit_id: str
    customers: tuple[str, ...] = ()  # every golden customer erased, the one named first
    scrubbed: dict[str, int] = field(default_factory=dict)


def tombstone_id(record_key: str) -> str:
    """The AuditEntry that says a source record (``system:id``) was erased."""
    return f"AU-ERASED-{erased_id(record_key).removeprefix('erased:')}"


def erase_customer(
    store: GraphStore,
    customer_id: str,
    actor: str,
    reference: str | None = None,
    rejects_dirs: Sequence[Path] = (),
    report_dirs: Sequence[Path] = (),
) -> Erasure:
    """Erase the person the customer with this ID (or alias) is; see the module docstring.
    ``rejects_dirs``: where rejects files are (``*.jsonl``); ``report_dirs``: where
    ``ckb enrich`` writes its unmatched rows (``*.unmatched.csv``). Files first, then the
    graph in one transaction: a failure on the way leaves the customer findable, and
    erasure can be run again. Before the files, how many lines each will lose is stored
    (:func:`progress_id`: file paths and counts, nothing of her) for a run again to count
    what this one removed; the graph transaction deletes it."""
    golden = _golden(store, customer_id)
    person = find_person(store, golden, clock.today())
    plan = plan_erasure(store, person)
    scrubs = [
        (path, rejects_drop(path, plan.ids, person.identity))
        for path in files_matching(rejects_dirs, "*.jsonl")
    ]
    scrubs += [
        (path, report_drop(person.identity))
        for path in files_matching(report_dirs, "*.unmatched.csv")
    ]
    progress = progress_id(golden, reference)
    # What the files will lose, made durable before they lose it: a run killed after
    # the files and before the graph leaves the count for the run that completes it.
    earlier = _record_progress(
        store, progress, {str(p): count_rejects(p, drop) for p, drop in scrubs}
    )
    found = {str(path): rewrite_rejects(path, drop) for path, drop in scrubs}
    lines = sum(max(earlier.get(f, 0), found.get(f, 0)) for f in earlier.keys() | found.keys())
    scrubbed = {
        label: n
        for label, n in (
            ("AuditEntry", len(plan.audits)),
            ("Customer", len(plan.recomputed)),
            ("Household", len(plan.households)),
            ("MergeEvent", len(plan.events)),
            ("file lines", lines),
        )
        if n
    }
    audit_id = f"AU-ERASE-{uuid.uuid4().hex}"
    others = sorted(person.customers - {golden})

    def audit(removed: dict[str, int]) -> list[dict[str, Any]]:
        detail = {
            "reference": reference,
            "removed": removed,
            "scrubbed": scrubbed,
            "customers": [erased_id(c) for c in others],
        }
        entry = {
            "id": audit_id,
            "at": clock.now_iso(),
            "actor": actor,
            "action": "erase customer",
            "target": golden,
            "detail": orjson.dumps(detail).decode(),
        }
        return [entry, *_tombstones(sorted(person.records), audit_id)]

    def commit() -> dict[str, int]:
        removed = _apply(store, plan, audit)
        if store.get_node("AuditEntry", progress) is not None:
            store.delete_nodes("AuditEntry", [progress])
        return removed

    removed = atomically(store, commit)
    return Erasure(golden, removed, audit_id, (golden, *others), scrubbed)


def progress_id(golden: str, reference: str | None) -> str:
    """The AuditEntry an erasure in progress keeps, until its graph transaction, of how
    many lines each file loses: the same for a run again of the same request."""
    request = erased_id("\x1f".join((golden, reference or "")))
    return f"AU-ERASING-{request.removeprefix('erased:')}"


def _record_progress(store: GraphStore, progress: str, counts: Mapping[str, int]) -> dict[str, int]:
    """Per file, the lines an earlier, unfinished run of this erasure removed or meant to
    (a file is rewritten whole, or not at all), merged with this run's and stored; the
    earlier ones are returned. Only file paths and counts: nothing of her."""
    node = store.get_node("AuditEntry", progress)
    detail = orjson.loads(str(node.props.get("detail") or "{}")) if node else {}
    earlier: dict[str, int] = {str(f): int(n) for f, n in (detail.get("files") or {}).items()}
    merged = {f: max(earlier.get(f, 0), counts.get(f, 0)) for f in earlier.keys() | counts.keys()}
    merged = {f: n for f, n in sorted(merged.items()) if n}
    if merged and merged != earlier:
        entry = {
            "id": progress,
            "at": clock.now_iso(),
            "actor": "ckb erasure",
            "action": "erasure in progress",
            "target": progress.removeprefix("AU-ERASING-"),
            "detail": orjson.dumps({"files": merged}).decode(),
        }
        atomically(store, lambda: store.upsert_nodes("AuditEntry", [entry]))
    return earlier


def _apply(
    store: GraphStore, plan: Plan, audit: Callable[[dict[str, int]], list[dict[str, Any]]]
) -> dict[str, int]:
    """The plan's writes and deletions, then the audit entries saying what went."""
    writes: tuple[tuple[str, list[dict[str, Any]]], ...] = (
        ("Household", plan.households),
        ("MergeEvent", plan.events),
        ("AuditEntry", plan.audits),
        ("Customer", plan.recomputed),
    )
    for label, rows in writes:
        if rows:
            store.upsert_nodes(label, rows)
    removed = Counter[str]()
    # Her store purchases take back what they counted in the daily store sales.
    sales = SalesWrite(store, sorted(plan.doomed.get("Purchase", ())))
    for label in sorted(plan.doomed, key=lambda lbl: (lbl == "Customer", lbl)):
        if plan.doomed[label]:
            removed[label] += store.delete_nodes(label, sorted(plan.doomed[label]))
    sales.done()
    counts = dict(sorted(removed.items()))
    store.upsert_nodes("AuditEntry", audit(counts))
    return counts


def _tombstones(records: Sequence[str], audit_id: str) -> list[dict[str, Any]]:
    at = clock.now_iso()
    return [
        {
            "id": tombstone_id(record),
            "at": at,
            "actor": "ckb erasure",
            "action": "erased source record",
            "target": erased_id(record),
            "detail": orjson.dumps({"erasure": audit_id}).decode(),
        }
        for record in records
    ]


def erased_records(store: GraphStore, record_keys: Sequence[str]) -> set[str]:
    """Which of these source records (``system:id``) an erasure removed: a load can
    recognise them, and refuse them or erase them again."""
    wanted = {tombstone_id(k): k for k in record_keys}
    return {wanted[k] for k in store.get_nodes("AuditEntry", sorted(wanted))}


def _golden(store: GraphStore, customer_id: str) -> str:
    if store.get_node("Customer", customer_id) is not None:
        return customer_id
    alias = store.neighbours("CustomerAlias", customer_id, "ALIAS_OF", "out", "Customer", limit=1)
    if alias:
        return alias[0].node.key
    raise ErasureError(f"no customer {customer_id!r} to erase")


__all__ = [
    "Erasure",
    "ErasureError",
    "erase_customer",
    "erased_records",
]
