"""How each record kind becomes graph rows: one function per kind, from a validated record
(loaders/models.py) to the nodes and relationships it adds (loaders/record_rows.py), with
the nodes it must find and the customers it names. Pure mapping, no I/O: the registry is
loaders/kinds.py, the reading and writing the pipeline's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from epcis.epc import canonical_epc
from epcis.shelf_signals import store_bucket
from graph import clock
from graph.store import PropertyValue
from identity.blocking import match_terms
from identity.names import name_keys, normalize_name
from identity.profile import profile
from loaders.models import (
    AgentRecord,
    CampaignRecord,
    CustomerRecord,
    CustomerRef,
    HoldingRecord,
    HouseholdMemberRecord,
    HouseholdRecord,
    ProductLineRecord,
    ProductRecord,
    PurchaseRecord,
    RelationshipRecord,
    TouchpointRecord,
)
from loaders.record_rows import Context, CustomerKey, Props, Ref, customer_key, source_record_key


def _value(v: Any) -> PropertyValue | None:
    if v is None or type(v) is str:  # most values: nothing to convert
        return v
    if isinstance(v, datetime):
        return v.isoformat().replace("+00:00", "Z")
    if isinstance(v, date):
        return v.isoformat()
    return v  # type: ignore[no-any-return]


def customer_rows(rec: CustomerRecord, ctx: Context) -> None:
    src_key = source_record_key(ctx.system, rec.source_record_id)
    # Until identity resolution relinks it, a source record is its own customer (see
    # singleton_for). If it is already linked (resolved, merged), the pipeline keeps its
    # link and evidence, and writes these attributes to its customer only when it is the
    # customer's one record (else survivorship decides: loaders/reloads.py).
    golden = ctx.golden[0]
    # A record may have no name (models.py: another identifier suffices): then None.
    name = rec.name or " ".join(p for p in (rec.given_name, rec.family_name) if p) or None
    attrs: Props = {
        "name": name,
        "given_name": rec.given_name,
        "family_name": rec.family_name,
        "birth_date": _value(rec.birth_date),
        "birth_date_raw": rec.birth_date_raw,
        "gender": rec.gender,
        "email": rec.email,
        "phone": rec.phone,
        "address": rec.address,
        "address_line2": rec.address_line2,
        "postal_code": rec.postal_code,
        "city": rec.city,
        "region": rec.region,
        "country": rec.country,
        "national_id": rec.national_id,
    }
    terms = match_terms(profile(src_key, attrs, clock.today()))
    ctx.rows.node(
        "SourceRecord",
        {
            "id": src_key,
            **attrs,
            "match_keys": " ".join(terms) or None,
            **ctx.provenance(rec.source_record_id),
        },
    )
    ctx.rows.node(
        "Customer",
        {
            "id": golden,
            "kind": rec.kind or "person",
            # The birth date as written is evidence: on the source record only.
            **{k: v for k, v in attrs.items() if k != "birth_date_raw"},
            "name_normalized": normalize_name(name) if name else None,
            "name_keys": (" ".join(name_keys(name)) or None) if name else None,
            "customer_since": _value(rec.customer_since),
            "status": "active",
            **ctx.provenance(rec.source_record_id),
        },
    )
    ctx.rows.rel(
        "RESOLVED_TO",
        "SourceRecord",
        src_key,
        "Customer",
        golden,
        {"score": 1.0, "rule": "singleton"},
    )
    if rec.owner_agent_id:
        ctx.rows.rel("OWNED_BY", "Customer", golden, "Agent", rec.owner_agent_id)


def agent_rows(rec: AgentRecord, ctx: Context) -> None:
    ctx.rows.node(
        "Agent",
        {
            "id": rec.agent_id,
            "name": rec.name,
            "team": rec.team,
            "skill_tier": rec.skill_tier,
            **ctx.provenance(rec.agent_id),
        },
    )


def household_rows(rec: HouseholdRecord, ctx: Context) -> None:
    ctx.rows.node(
        "Household",
        {
            "id": rec.household_id,
            "name": rec.name,
            "address": rec.address,
            "postal_code": rec.postal_code,
            **ctx.provenance(rec.household_id),
        },
    )


def member_rows(rec: HouseholdMemberRecord, ctx: Context) -> None:
    golden = ctx.golden[0]
    ctx.rows.rel(
        "MEMBER_OF",
        "Customer",
        golden,
        "Household",
        rec.household_id,
        {"role": rec.role, "age_band": rec.age_band, "since": _value(rec.since)},
    )


def line_rows(rec: ProductLineRecord, ctx: Context) -> None:
    ctx.rows.node(
        "ProductLine",
        {
            "id": rec.line_id,
            "name": rec.name,
            "industry": rec.industry,
            **ctx.provenance(rec.line_id),
        },
    )


def product_rows(rec: ProductRecord, ctx: Context) -> None:
    ctx.rows.node(
        "Product",
        {
            "id": rec.product_id,
            "name": rec.name,
            "gtin": rec.gtin,
            "category": rec.category,
            "price": rec.price,
            "currency": rec.currency,
            "min_age": rec.min_age,
            "customer_types": None
            if rec.customer_types is None
            else [str(t) for t in rec.customer_types],
            "regions": rec.regions,
            "excludes": rec.excludes,
            **ctx.provenance(rec.product_id),
        },
    )
    ctx.rows.rel("IN_LINE", "Product", rec.product_id, "ProductLine", rec.line_id)


def holding_rows(rec: HoldingRecord, ctx: Context) -> None:
    golden = ctx.golden[0]
    ctx.rows.node(
        "Holding",
        {
            "id": rec.account_id,
            "status": rec.status,
            "opened_on": _value(rec.opened_on),
            "closed_on": _value(rec.closed_on),
            "balance": rec.balance,
            "monthly_value": rec.monthly_value,
            "currency": rec.currency,
            **ctx.provenance(rec.account_id),
        },
    )
    ctx.rows.rel(
        "HOLDS",
        "Customer",
        golden,
        "Holding",
        rec.account_id,
        {"role": rec.role or "primary", "since": _value(rec.opened_on)},
    )
    ctx.rows.rel("OF_PRODUCT", "Holding", rec.account_id, "Product", rec.product_id)


def purchase_rows(rec: PurchaseRecord, ctx: Context) -> None:
    golden = ctx.golden[0]
    purchased_at = _value(rec.purchased_at)
    # A store written as an SGLN URN or a GLN Digital Link is one Location, the one its
    # shelf readers' EPCIS events name (shelf_interactions joins them); other IDs stay.
    store = canonical_epc(rec.store_id) if rec.store_id else None
    ctx.rows.node(
        "Purchase",
        {
            "id": rec.purchase_id,
            "purchased_at": purchased_at,
            "currency": rec.currency,
            "department": rec.department,
            "channel": rec.channel,
            "store_sale": store_bucket(store, str(purchased_at)) if store else None,
            **ctx.provenance(rec.purchase_id),
        },
    )
    ctx.rows.rel("MADE", "Customer", golden, "Purchase", rec.purchase_id)
    ctx.rows.rel(
        "INCLUDES",
        "Purchase",
        rec.purchase_id,
        "Product",
        rec.product_id,
        {"quantity": rec.quantity, "amount": rec.amount},
    )
    if store:
        ctx.rows.node("Location", {"id": store, "kind": "store", **ctx.provenance(store)})
        ctx.rows.rel("AT", "Purchase", rec.purchase_id, "Location", store)


def refs_given(*refs: tuple[str, str | None, str]) -> list[Ref]:
    """The (label, key, what) references a record gives: those whose key it left blank
    are not references."""
    return [Ref(label, key, what) for label, key, what in refs if key]


def touchpoint_refs(rec: TouchpointRecord, system: str) -> list[Ref]:
    return refs_given(
        ("Product", rec.product_id, "product"),
        ("Holding", rec.account_id, "account"),
        ("Agent", rec.agent_id, "agent"),
        ("Campaign", rec.campaign_id, "campaign"),
    )


def touchpoint_rows(rec: TouchpointRecord, ctx: Context) -> None:
    golden = ctx.golden[0]
    tp = rec.touchpoint_id
    ctx.rows.node(
        "Touchpoint",
        {
            "id": tp,
            "occurred_at": _value(rec.occurred_at),
            "channel": rec.channel,
            "kind": rec.kind,
            "direction": rec.direction,
            "reason": rec.reason,
            "outcome": rec.outcome,
            "category": rec.category,
            "resolution_status": rec.resolution_status,
            "resolved_at": _value(rec.resolved_at),
            "response": rec.response,
            **ctx.provenance(tp),
        },
    )
    ctx.shared_node(
        "Channel", rec.channel, {"id": rec.channel, "name": rec.channel.replace("_", " ")}
    )
    ctx.rows.rel("HAD_TOUCHPOINT", "Customer", golden, "Touchpoint", tp)
    ctx.rows.rel("VIA", "Touchpoint", tp, "Channel", rec.channel)
    if rec.product_id:
        ctx.rows.rel("ABOUT", "Touchpoint", tp, "Product", rec.product_id)
    if rec.account_id:
        ctx.rows.rel("ABOUT", "Touchpoint", tp, "Holding", rec.account_id)
    if rec.agent_id:
        ctx.rows.rel("HANDLED_BY", "Touchpoint", tp, "Agent", rec.agent_id)
    if rec.campaign_id:
        if rec.kind == "campaign_response":
            ctx.rows.rel(
                "RESPONDED_TO",
                "Touchpoint",
                tp,
                "Campaign",
                rec.campaign_id,
                {"converted": rec.converted},
            )
        else:
            ctx.rows.rel("PART_OF", "Touchpoint", tp, "Campaign", rec.campaign_id)


def campaign_refs(rec: CampaignRecord, system: str) -> list[Ref]:
    return refs_given(
        ("Product", rec.product_id, "product"), ("ProductLine", rec.line_id, "product line")
    )


def campaign_rows(rec: CampaignRecord, ctx: Context) -> None:
    ctx.rows.node(
        "Campaign",
        {
            "id": rec.campaign_id,
            "name": rec.name,
            "channel": rec.channel,
            "starts_on": _value(rec.starts_on),
            "ends_on": _value(rec.ends_on),
            **ctx.provenance(rec.campaign_id),
        },
    )
    if rec.product_id:
        ctx.rows.rel("PROMOTES", "Campaign", rec.campaign_id, "Product", rec.product_id)
    if rec.line_id:
        ctx.rows.rel("PROMOTES", "Campaign", rec.campaign_id, "ProductLine", rec.line_id)


def _ref_id(rec: CustomerRef, system: str) -> str:
    return rec.ckb_customer_id or source_record_key(
        rec.customer_system or system, rec.customer_id or ""
    )


def _attached_rows(
    label: str, rel_type: str, key: Callable[[Any, str], str], fields: tuple[str, ...]
) -> Callable[[Any, Context], None]:
    """The mapping of a record that hangs one node off its customer (a consent, a credit or
    third-party profile): the node, keyed by ``key``, holds the record's ``fields``."""

    def to_rows(rec: Any, ctx: Context) -> None:
        node = key(rec, ctx.system)
        props: Props = {name: _value(getattr(rec, name)) for name in fields}
        ctx.rows.node(label, {"id": node, **props, **ctx.provenance(node)})
        ctx.rows.rel(rel_type, "Customer", ctx.golden[0], label, node)

    return to_rows


consent_rows = _attached_rows(
    "Consent",
    "HAS_CONSENT",
    lambda rec, system: f"consent:{_ref_id(rec, system)}:{rec.purpose}:{rec.channel}",
    ("purpose", "channel", "granted", "given_at", "withdrawn_at"),
)
credit_rows = _attached_rows(
    "CreditProfile",
    "HAS_CREDIT_PROFILE",
    lambda rec, system: f"credit:{_ref_id(rec, system)}",
    ("score", "rating", "credit_limit", "outstanding_debt", "assessed_on"),
)
third_party_rows = _attached_rows(
    "ThirdPartyProfile",
    "HAS_THIRD_PARTY_PROFILE",
    lambda rec, system: f"tp:{rec.provider}:{_ref_id(rec, system)}",
    ("provider", "household_size", "income_band", "home_value_band", "match_score"),
)


def relationship_customers(rec: RelationshipRecord, system: str) -> list[CustomerKey]:
    return [
        CustomerKey(source_key=source_record_key(rec.from_system or system, rec.from_customer_id)),
        CustomerKey(source_key=source_record_key(rec.to_system or system, rec.to_customer_id)),
    ]


def relationship_rows(rec: RelationshipRecord, ctx: Context) -> None:
    a, b = ctx.golden[:2]
    ctx.rows.rel(
        "RELATED_TO", "Customer", a, "Customer", b, {"kind": rec.kind, "since": _value(rec.since)}
    )


def customer_of(rec: CustomerRef, system: str) -> list[CustomerKey]:
    return [customer_key(rec, system)]


def own_source_record(rec: CustomerRecord, system: str) -> list[CustomerKey]:
    return [CustomerKey(source_key=source_record_key(system, rec.source_record_id))]
