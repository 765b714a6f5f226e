"""Consent changes from an agent or an app: one answer per purpose and channel.

A customer's consent for a purpose may have arrived from several source systems (each
its own Consent node). A change made through the API is the newest word: it updates
every Consent node of that purpose and channel the customer has, and creates one when
there is none, so no older "granted" from a source system outvotes a withdrawal.

Reading consent is a pure rule over a customer's Consent records
(``allows_third_party_data``): the store call that fetches them is the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import get_args

from graph import clock
from graph.errors import CkbError
from graph.store import GraphStore, PropertyValue, RelRow
from loaders.models import ConsentChannel, ConsentPurpose

THIRD_PARTY_DATA = "third_party_data"


def allows_third_party_data(consents: Iterable[Mapping[str, object]]) -> bool:
    """Whether a customer's Consent records (their properties) allow purchased
    third-party data about them: one granted ``third_party_data`` record suffices."""
    return any(c.get("purpose") == THIRD_PARTY_DATA and c.get("granted") is True for c in consents)


class ConsentError(CkbError):
    """A consent change naming an unknown purpose or channel, or no customer."""


@dataclass(frozen=True, slots=True)
class ConsentChange:
    customer_id: str
    purpose: str
    channel: str
    granted: bool
    consent_ids: tuple[str, ...]
    at: str


def update_consent(
    store: GraphStore, customer_id: str, purpose: str, channel: str, granted: bool
) -> ConsentChange:
    if purpose not in get_args(ConsentPurpose):
        raise ConsentError(
            f"unknown consent purpose {purpose!r}; purposes: {', '.join(get_args(ConsentPurpose))}"
        )
    if channel not in get_args(ConsentChannel):
        raise ConsentError(
            f"unknown consent channel {channel!r}; channels: {', '.join(get_args(ConsentChannel))}"
        )
    if store.get_node("Customer", customer_id) is None:
        raise ConsentError(f"no customer {customer_id!r}")
    held = store.neighbours("Customer", customer_id, "HAS_CONSENT", "out", "Consent", limit=1000)
    same = [
        n.node.key
        for n in held
        if n.node.props.get("purpose") == purpose and n.node.props.get("channel") == channel
    ]
    ids = same or [f"consent:{customer_id}:{purpose}:{channel}"]
    at = clock.now_iso()
    change: dict[str, PropertyValue] = (
        {"granted": True, "given_at": at} if granted else {"granted": False, "withdrawn_at": at}
    )
    provenance: dict[str, PropertyValue] = (
        {} if same else {"source_system": "api", "source_record_id": ids[0]}
    )
    store.upsert_nodes(
        "Consent",
        [{"id": i, "purpose": purpose, "channel": channel, **change, **provenance} for i in ids],
        touch={"loaded_at": at},
    )
    if not same:
        store.upsert_relationships(
            "HAS_CONSENT", "Customer", "Consent", [RelRow(customer_id, ids[0])]
        )
    return ConsentChange(customer_id, purpose, channel, granted, tuple(ids), at)
