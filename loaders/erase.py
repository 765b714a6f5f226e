"""Right to erasure: remove a person from the graph, keep an audit entry without them.

What goes: the golden Customer, its aliases, every SourceRecord that resolved to it, its
touchpoints, purchases, consents, credit and third-party profiles; holdings and households
only this person had (a joint account or a shared household stays, without them); merge
history whose snapshots hold their data; review items that name their records. Deleting
a node removes it from every index (key, property, term) on both stores.

What stays: one AuditEntry naming the erased customer ID, who erased it, when, under which
request reference, and how many nodes of each kind went — nothing about the person.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from graph.errors import CkbError
from graph.store import Direction, GraphStore

# (relationship, direction from the customer, label): what belongs to the person alone.
_OWNED: tuple[tuple[str, Direction, str], ...] = (
    ("RESOLVED_TO", "in", "SourceRecord"),
    ("ALIAS_OF", "in", "CustomerAlias"),
    ("HAD_TOUCHPOINT", "out", "Touchpoint"),
    ("MADE", "out", "Purchase"),
    ("HAS_CONSENT", "out", "Consent"),
    ("HAS_CREDIT_PROFILE", "out", "CreditProfile"),
    ("HAS_THIRD_PARTY_PROFILE", "out", "ThirdPartyProfile"),
    ("MERGED", "in", "MergeEvent"),
    ("CANDIDATE", "in", "ReviewItem"),
)
# Shared things: erased only when nobody else holds them.
_SHARED = (("HOLDS", "Holding"), ("MEMBER_OF", "Household"))
_MANY = 1_000_000


class ErasureError(CkbError):
    """The customer to erase does not exist."""


@dataclass(frozen=True, slots=True)
class Erasure:
    customer_id: str
    removed: dict[str, int]
    audit_id: str


def erase_customer(
    store: GraphStore, customer_id: str, actor: str, reference: str | None = None
) -> Erasure:
    """Erase the customer with this ID (or alias); see the module docstring."""
    customer = _golden(store, customer_id)
    doomed: dict[str, set[str]] = {"Customer": {customer}}
    for rel_type, direction, label in _OWNED:
        found = store.neighbours("Customer", customer, rel_type, direction, label, limit=_MANY)
        doomed.setdefault(label, set()).update(n.node.key for n in found)
    records = sorted(doomed["SourceRecord"])
    reviews = store.neighbours_many(
        "SourceRecord", records, "CANDIDATE", "in", "ReviewItem", limit=_MANY
    )
    doomed["ReviewItem"].update(n.node.key for found in reviews.values() for n in found)
    for rel_type, label in _SHARED:
        held = store.neighbours("Customer", customer, rel_type, "out", label, limit=_MANY)
        keys = [n.node.key for n in held]
        others = store.neighbours_many(label, keys, rel_type, "in", "Customer", limit=2)
        doomed[label] = {k for k in keys if all(n.node.key == customer for n in others.get(k, []))}
    removed = Counter[str]()
    # The customer last: until then a failure leaves it findable, and erasure can be re-run.
    for label in sorted(doomed, key=lambda lbl: lbl == "Customer"):
        if doomed[label]:
            removed[label] += store.delete_nodes(label, sorted(doomed[label]))
    audit_id = f"AU-ERASE-{uuid.uuid4().hex}"
    store.upsert_nodes(
        "AuditEntry",
        [
            {
                "id": audit_id,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "actor": actor,
                "action": "erase customer",
                "target": customer,
                "detail": orjson.dumps(
                    {"reference": reference, "removed": dict(sorted(removed.items()))}
                ).decode(),
            }
        ],
    )
    return Erasure(customer, dict(sorted(removed.items())), audit_id)


def _golden(store: GraphStore, customer_id: str) -> str:
    if store.get_node("Customer", customer_id) is not None:
        return customer_id
    alias = store.neighbours("CustomerAlias", customer_id, "ALIAS_OF", "out", "Customer", limit=1)
    if alias:
        return alias[0].node.key
    raise ErasureError(f"no customer {customer_id!r} to erase")
