"""The record kinds ckb loads, by name: each kind's model, its mapping to graph rows
(loaders/mappings.py), the nodes it must refer to and the customers it names. The order is
the order a directory loads in (loaders/directory.py): what a kind refers to comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loaders import mappings, models
from loaders.record_rows import Context, Kind, Ref


def _of_customer(
    name: str,
    model: type[models.Record],
    to_rows: Callable[[Any, Context], None],
    doc: str,
    refs: Callable[[Any, str], list[Ref]] = lambda rec, system: [],
) -> Kind:
    """A kind whose every record names one customer (its model is a CustomerRef)."""
    return Kind(name, model, to_rows, refs=refs, customers=mappings.customer_of, doc=doc)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "product_lines",
            models.ProductLineRecord,
            mappings.line_rows,
            doc="Product lines (mortgage, mobile, electricity ...)",
        ),
        Kind(
            "products",
            models.ProductRecord,
            mappings.product_rows,
            refs=lambda r, s: [Ref("ProductLine", r.line_id, "product line")],
            doc="The product catalogue",
        ),
        Kind(
            "agents",
            models.AgentRecord,
            mappings.agent_rows,
            doc="Employees: call-center agents and account owners",
        ),
        Kind(
            "customers",
            models.CustomerRecord,
            mappings.customer_rows,
            customers=mappings.own_source_record,
            customers_required=False,
            heavy_mapping=True,
            refs=lambda r, s: mappings.refs_given(("Agent", r.owner_agent_id, "agent")),
            doc="Customers as one source system holds them",
        ),
        Kind("households", models.HouseholdRecord, mappings.household_rows, doc="Households"),
        _of_customer(
            "household_members",
            models.HouseholdMemberRecord,
            mappings.member_rows,
            "Who belongs to which household, with role and age band",
            refs=lambda r, s: [Ref("Household", r.household_id, "household")],
        ),
        _of_customer(
            "holdings",
            models.HoldingRecord,
            mappings.holding_rows,
            "Accounts and contracts: who holds which product, since when, with what value",
            refs=lambda r, s: [Ref("Product", r.product_id, "product")],
        ),
        _of_customer(
            "purchases",
            models.PurchaseRecord,
            mappings.purchase_rows,
            "Purchase lines",
            refs=lambda r, s: [Ref("Product", r.product_id, "product")],
        ),
        Kind(
            "campaigns",
            models.CampaignRecord,
            mappings.campaign_rows,
            refs=mappings.campaign_refs,
            doc="Marketing campaigns",
        ),
        _of_customer(
            "touchpoints",
            models.TouchpointRecord,
            mappings.touchpoint_rows,
            "Interactions on every channel, campaign contacts and responses included",
            refs=mappings.touchpoint_refs,
        ),
        _of_customer(
            "consents",
            models.ConsentRecord,
            mappings.consent_rows,
            "Consent per purpose and channel",
        ),
        _of_customer(
            "credit_profiles",
            models.CreditProfileRecord,
            mappings.credit_rows,
            "Credit and financial profiles (sensitive)",
        ),
        _of_customer(
            "third_party",
            models.ThirdPartyRecord,
            mappings.third_party_rows,
            "Purchased demographics already matched to a customer",
        ),
        Kind(
            "relationships",
            models.RelationshipRecord,
            mappings.relationship_rows,
            customers=mappings.relationship_customers,
            doc="Relationships between customers",
        ),
    )
}
