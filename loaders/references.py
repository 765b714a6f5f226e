"""What a batch's records name, looked up in the store: their customers (by source record
or golden ID, a merged-away ID through its alias) and the nodes they refer to; and, for a
record, its customers' golden IDs or the reasons it cannot load.
"""

from __future__ import annotations

from graph.store import GraphStore
from loaders.record_rows import CustomerKey, Ref, singleton_for


def resolve_customers(store: GraphStore, keys: set[CustomerKey]) -> dict[CustomerKey, str]:
    """The golden ID of each named customer the store knows."""
    resolved: dict[CustomerKey, str] = {}
    by_source = {k.source_key: k for k in keys if k.source_key}
    if by_source:
        # The customers' keys alone: neither the links nor the customers are read.
        owners = store.neighbour_keys_many(
            "SourceRecord", list(by_source), "RESOLVED_TO", "out", "Customer", limit=1
        )
        for source_key, customers in owners.items():
            resolved[by_source[source_key]] = customers[0]
    by_golden = {k.golden_id: k for k in keys if k.golden_id}
    if by_golden:
        existing = store.get_nodes("Customer", list(by_golden))
        for golden_id in existing:
            resolved[by_golden[golden_id]] = golden_id
        retired = [g for g in by_golden if g not in existing]
        if retired:
            # A merged-away ID still resolves, to the customer that absorbed it.
            aliases = store.neighbour_keys_many("CustomerAlias", retired, "ALIAS_OF", limit=1)
            for alias, survivors in aliases.items():
                resolved[by_golden[alias]] = survivors[0]
    return resolved


def existing_refs(store: GraphStore, refs: set[Ref]) -> set[Ref]:
    """The referred-to nodes the store holds."""
    by_label: dict[str, list[Ref]] = {}
    for ref in refs:
        by_label.setdefault(ref.label, []).append(ref)
    found: set[Ref] = set()
    for label, wanted in by_label.items():
        present = store.get_nodes(label, sorted({r.key for r in wanted}))
        found.update(r for r in wanted if r.key in present)
    return found


def golden_ids(
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


def unknown_reasons(
    keys: list[CustomerKey],
    refs: list[Ref],
    customers: dict[CustomerKey, str],
    existing: set[Ref],
    customers_required: bool,
) -> list[str]:
    """Why a record cannot load: the customers (when they must exist) and the nodes it
    names that the store does not hold."""
    reasons = []
    if customers_required:
        reasons += [f"unknown {k.describe()}" for k in keys if k not in customers]
    reasons += [f"unknown {r.what} {r.key!r}" for r in refs if r not in existing]
    return reasons
