"""Each record kind: its model, the node that identifies it, what it must refer to, and how
it becomes graph rows. Pure mapping, no I/O: the pipeline does the reading and writing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from epcis.epc import canonical_epc
from epcis.shelf_signals import store_bucket
from graph.store import PropertyValue, RelRow
from identity.matching import match_terms, profile
from identity.names import name_keys, normalize_name
from loaders.models import (
    AgentRecord,
    CampaignRecord,
    ConsentRecord,
    CreditProfileRecord,
    CustomerRecord,
    CustomerRef,
    HoldingRecord,
    HouseholdMemberRecord,
    HouseholdRecord,
    ProductLineRecord,
    ProductRecord,
    PurchaseRecord,
    Record,
    RelationshipRecord,
    ThirdPartyRecord,
    TouchpointRecord,
)

Props = dict[str, PropertyValue | None]


def _today() -> date:
    return datetime.now(UTC).date()


def source_record_key(system: str, record_id: str) -> str:
    return f"{system}:{record_id}"


def singleton_customer_id(system: str, record_id: str) -> str:
    """Deterministic golden ID for a source record that resolved to nobody else yet."""
    return singleton_for(source_record_key(system, record_id))


def singleton_for(source_key: str) -> str:
    digest = hashlib.blake2b(source_key.encode(), digest_size=8)
    return "C" + digest.hexdigest().upper()


def _value(v: Any) -> PropertyValue | None:
    if isinstance(v, datetime):
        return v.isoformat().replace("+00:00", "Z")
    if isinstance(v, date):
        return v.isoformat()
    return v  # type: ignore[no-any-return]


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


# ----------------------------------------------------------------------------- mappings


def _customer_rows(rec: CustomerRecord, ctx: Context) -> None:
    src_key = source_record_key(ctx.system, rec.source_record_id)
    # Until identity resolution relinks it, a source record is its own customer (see
    # singleton_for). If it is already linked (resolved, merged), the pipeline keeps its
    # link and evidence, and writes these attributes to its customer only when it is the
    # customer's one record (else survivorship decides: Loader._reloaded).
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
    terms = match_terms(profile(src_key, attrs, _today()))
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


def _agent_rows(rec: AgentRecord, ctx: Context) -> None:
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


def _household_rows(rec: HouseholdRecord, ctx: Context) -> None:
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


def _member_rows(rec: HouseholdMemberRecord, ctx: Context) -> None:
    golden = ctx.golden[0]
    ctx.rows.rel(
        "MEMBER_OF",
        "Customer",
        golden,
        "Household",
        rec.household_id,
        {"role": rec.role, "age_band": rec.age_band, "since": _value(rec.since)},
    )


def _line_rows(rec: ProductLineRecord, ctx: Context) -> None:
    ctx.rows.node(
        "ProductLine",
        {
            "id": rec.line_id,
            "name": rec.name,
            "industry": rec.industry,
            **ctx.provenance(rec.line_id),
        },
    )


def _product_rows(rec: ProductRecord, ctx: Context) -> None:
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


def _holding_rows(rec: HoldingRecord, ctx: Context) -> None:
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


def _purchase_rows(rec: PurchaseRecord, ctx: Context) -> None:
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


def _touchpoint_refs(rec: TouchpointRecord, system: str) -> list[Ref]:
    refs = []
    if rec.product_id:
        refs.append(Ref("Product", rec.product_id, "product"))
    if rec.account_id:
        refs.append(Ref("Holding", rec.account_id, "account"))
    if rec.agent_id:
        refs.append(Ref("Agent", rec.agent_id, "agent"))
    if rec.campaign_id:
        refs.append(Ref("Campaign", rec.campaign_id, "campaign"))
    return refs


def _touchpoint_rows(rec: TouchpointRecord, ctx: Context) -> None:
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


def _campaign_refs(rec: CampaignRecord, system: str) -> list[Ref]:
    refs = []
    if rec.product_id:
        refs.append(Ref("Product", rec.product_id, "product"))
    if rec.line_id:
        refs.append(Ref("ProductLine", rec.line_id, "product line"))
    return refs


def _campaign_rows(rec: CampaignRecord, ctx: Context) -> None:
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


def _attached(ctx: Context, label: str, rel_type: str, key: str, props: Props) -> None:
    """A node that hangs off the record's customer (consent, credit or third-party profile)."""
    ctx.rows.node(label, {"id": key, **props, **ctx.provenance(key)})
    ctx.rows.rel(rel_type, "Customer", ctx.golden[0], label, key)


def _consent_key(rec: ConsentRecord, system: str) -> str:
    return f"consent:{_ref_id(rec, system)}:{rec.purpose}:{rec.channel}"


def _consent_rows(rec: ConsentRecord, ctx: Context) -> None:
    props: Props = {
        "purpose": rec.purpose,
        "channel": rec.channel,
        "granted": rec.granted,
        "given_at": _value(rec.given_at),
        "withdrawn_at": _value(rec.withdrawn_at),
    }
    _attached(ctx, "Consent", "HAS_CONSENT", _consent_key(rec, ctx.system), props)


def _credit_key(rec: CreditProfileRecord, system: str) -> str:
    return f"credit:{_ref_id(rec, system)}"


def _credit_rows(rec: CreditProfileRecord, ctx: Context) -> None:
    props: Props = {
        "score": rec.score,
        "rating": rec.rating,
        "credit_limit": rec.credit_limit,
        "outstanding_debt": rec.outstanding_debt,
        "assessed_on": _value(rec.assessed_on),
    }
    _attached(ctx, "CreditProfile", "HAS_CREDIT_PROFILE", _credit_key(rec, ctx.system), props)


def _third_party_key(rec: ThirdPartyRecord, system: str) -> str:
    return f"tp:{rec.provider}:{_ref_id(rec, system)}"


def _third_party_rows(rec: ThirdPartyRecord, ctx: Context) -> None:
    props: Props = {
        "provider": rec.provider,
        "household_size": rec.household_size,
        "income_band": rec.income_band,
        "home_value_band": rec.home_value_band,
        "match_score": rec.match_score,
    }
    key = _third_party_key(rec, ctx.system)
    _attached(ctx, "ThirdPartyProfile", "HAS_THIRD_PARTY_PROFILE", key, props)


def _relationship_customers(rec: RelationshipRecord, system: str) -> list[CustomerKey]:
    return [
        CustomerKey(source_key=source_record_key(rec.from_system or system, rec.from_customer_id)),
        CustomerKey(source_key=source_record_key(rec.to_system or system, rec.to_customer_id)),
    ]


def _relationship_rows(rec: RelationshipRecord, ctx: Context) -> None:
    a, b = ctx.golden[:2]
    ctx.rows.rel(
        "RELATED_TO", "Customer", a, "Customer", b, {"kind": rec.kind, "since": _value(rec.since)}
    )


def _customer_of(rec: CustomerRef, system: str) -> list[CustomerKey]:
    return [customer_key(rec, system)]


def _own_source_record(rec: CustomerRecord, system: str) -> list[CustomerKey]:
    return [CustomerKey(source_key=source_record_key(system, rec.source_record_id))]


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "product_lines",
            ProductLineRecord,
            _line_rows,
            doc="Product lines (mortgage, mobile, electricity ...)",
        ),
        Kind(
            "products",
            ProductRecord,
            _product_rows,
            refs=lambda r, s: [Ref("ProductLine", r.line_id, "product line")],
            doc="The product catalogue",
        ),
        Kind(
            "agents",
            AgentRecord,
            _agent_rows,
            doc="Employees: call-center agents and account owners",
        ),
        Kind(
            "customers",
            CustomerRecord,
            _customer_rows,
            customers=_own_source_record,
            customers_required=False,
            heavy_mapping=True,
            refs=lambda r, s: [Ref("Agent", r.owner_agent_id, "agent")] if r.owner_agent_id else [],
            doc="Customers as one source system holds them",
        ),
        Kind("households", HouseholdRecord, _household_rows, doc="Households"),
        Kind(
            "household_members",
            HouseholdMemberRecord,
            _member_rows,
            refs=lambda r, s: [Ref("Household", r.household_id, "household")],
            customers=_customer_of,
            doc="Who belongs to which household, with role and age band",
        ),
        Kind(
            "holdings",
            HoldingRecord,
            _holding_rows,
            refs=lambda r, s: [Ref("Product", r.product_id, "product")],
            customers=_customer_of,
            doc="Accounts and contracts: who holds which product, since when, with what value",
        ),
        Kind(
            "purchases",
            PurchaseRecord,
            _purchase_rows,
            refs=lambda r, s: [Ref("Product", r.product_id, "product")],
            customers=_customer_of,
            doc="Purchase lines",
        ),
        Kind(
            "campaigns",
            CampaignRecord,
            _campaign_rows,
            refs=_campaign_refs,
            doc="Marketing campaigns",
        ),
        Kind(
            "touchpoints",
            TouchpointRecord,
            _touchpoint_rows,
            refs=_touchpoint_refs,
            customers=_customer_of,
            doc="Interactions on every channel, campaign contacts and responses included",
        ),
        Kind(
            "consents",
            ConsentRecord,
            _consent_rows,
            customers=_customer_of,
            doc="Consent per purpose and channel",
        ),
        Kind(
            "credit_profiles",
            CreditProfileRecord,
            _credit_rows,
            customers=_customer_of,
            doc="Credit and financial profiles (sensitive)",
        ),
        Kind(
            "third_party",
            ThirdPartyRecord,
            _third_party_rows,
            customers=_customer_of,
            doc="Purchased demographics already matched to a customer",
        ),
        Kind(
            "relationships",
            RelationshipRecord,
            _relationship_rows,
            customers=_relationship_customers,
            doc="Relationships between customers",
        ),
    )
}
