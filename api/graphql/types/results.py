"""The named queries' result dataclasses, shown by GraphQL as they are.

Each result class becomes its GraphQL type in place (``strawberry.type(Result,
name=...)``): no mirror type, no copy per request. The class stays the frozen dataclass
queries/ made it (the same constructor, fields and equality); it only gains a GraphQL
definition. Resolvers return the results and
annotate with the result classes, imported from here (``__all__``), so the exposure has
run before a schema is built. Where docs/schema.graphql (the contract) differs from a
result — a description, a field left out or in another order, a property, another name
— ``expose`` says so beside the class, with ``strawberry.field`` as a class body would.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping, Sequence
from typing import TypeVar

import strawberry
from strawberry.types.base import get_object_definition
from strawberry.types.field import StrawberryField

from queries.at_risk import AtRisk
from queries.base import QueryParameterError
from queries.campaign_response import CampaignCell
from queries.chain_of_custody import Custody
from queries.containment_at import Container
from queries.current_location import CurrentLocation
from queries.customer_holdings import HoldingSummary
from queries.customer_items import TrackedItem
from queries.customer_list import CustomerAggregate, LineTotal, Stats
from queries.customer_sources import SourceLink
from queries.customer_touchpoints import TouchpointSummary
from queries.customer_value import CustomerValue, LineValue
from queries.end_of_life import EndOfLife
from queries.household_members import HouseholdMember
from queries.household_value import HouseholdValue
from queries.network_influence import InfluenceScore, NetworkInfluence
from queries.product_journey import JourneyStep
from queries.related_customers import RelatedCustomer
from queries.relationship_path import CustomerPath, PathStep, RelationshipPaths
from queries.search_customers import CustomerHit
from queries.segment_members import SegmentMember
from queries.shelf_interactions import ShelfCount, ShelfInteraction
from scoring.churn import ChurnRisk, ChurnSignal
from scoring.whitespace import Recommendation

__all__ = [
    "AtRisk",
    "CampaignCell",
    "ChurnRisk",
    "ChurnSignal",
    "Container",
    "CurrentLocation",
    "Custody",
    "CustomerAggregate",
    "CustomerHit",
    "CustomerPath",
    "CustomerValue",
    "EndOfLife",
    "HoldingSummary",
    "HouseholdMember",
    "HouseholdValue",
    "InfluenceScore",
    "JourneyStep",
    "LineTotal",
    "LineValue",
    "NetworkInfluence",
    "PathStep",
    "Recommendation",
    "RelatedCustomer",
    "RelationshipPaths",
    "SegmentMember",
    "ShelfCount",
    "ShelfInteraction",
    "SourceLink",
    "Stats",
    "TouchpointSummary",
    "TrackedItem",
    "touchpoint_cursor",
]

R = TypeVar("R")


def expose(
    result: type[R],
    name: str,
    *,
    fields: Mapping[str, object] | None = None,
    shown: Sequence[str] | None = None,
) -> type[R]:
    """The result class as the GraphQL type ``name``, where it differs from the class.

    ``fields`` replaces a field of the result (its type kept unless ``graphql_type``
    says otherwise) or adds one: a property, or a resolver taking the result as
    ``root``. ``shown`` lists the fields GraphQL shows, in its order (default: the
    result's, then the added ones). queries/ knows nothing of GraphQL, so this is the
    one place its results meet the schema."""
    strawberry.type(result, name=name)
    definition = get_object_definition(result, strict=True)
    found = {f.python_name: f for f in definition.fields}
    for attribute, given in (fields or {}).items():
        # strawberry.field is typed as what it resolves to; what it makes is a StrawberryField.
        if not isinstance(given, StrawberryField):
            raise TypeError(f"{name}.{attribute}: expected a strawberry.field(...)")
        field = copy.copy(given)
        field.python_name = attribute
        field.origin = field.origin or result
        own = found.get(attribute)
        if own is not None and field.type_annotation is None and field.base_resolver is None:
            field.type_annotation = own.type_annotation
        found[attribute] = field
    definition.fields = [found[f] for f in shown] if shown is not None else list(found.values())
    return result


_MASTER_DATA = "from EPCIS master data"

# The same fields, names and types as docs/schema.graphql: shown as they are.
strawberry.type(HouseholdMember, name="HouseholdMember")
strawberry.type(HoldingSummary, name="Holding")
strawberry.type(LineValue, name="LineValue")
strawberry.type(ChurnSignal, name="ChurnSignal")
strawberry.type(RelatedCustomer, name="RelatedCustomer")
strawberry.type(PathStep, name="PathStep")
strawberry.type(CustomerPath, name="RelationshipPath")
strawberry.type(RelationshipPaths, name="RelationshipPaths")
strawberry.type(InfluenceScore, name="InfluenceScore")
strawberry.type(Container, name="Container")
strawberry.type(SegmentMember, name="SegmentMember")
strawberry.type(ShelfInteraction, name="ShelfInteraction")
strawberry.type(CustomerHit, name="CustomerHit")
strawberry.type(AtRisk, name="AtRiskCustomer")
strawberry.type(Stats, name="ValueStats")
strawberry.type(LineTotal, name="LineTotal")

# GraphQL has always declared these two nullable; the result knows they are set.
expose(
    SourceLink,
    "SourceLink",
    fields={
        "system": strawberry.field(graphql_type=str | None),
        "record_id": strawberry.field(graphql_type=str | None),
    },
)
# A customer's and a household's value: the total and the line count first, the lines as
# byLine.
_VALUE = {
    "total_monthly_value": strawberry.field(graphql_type=float),
    "lines": strawberry.field(name="byLine"),
}
expose(
    CustomerValue,
    "CustomerValue",
    fields={**_VALUE, "lines_held": strawberry.field(graphql_type=int)},
    shown=("total_monthly_value", "lines_held", "catalogue_lines", "lines"),
)


def _lines_held(root: HouseholdValue) -> int:
    return len(root.lines)


expose(
    HouseholdValue,
    "HouseholdValue",
    fields={**_VALUE, "lines_held": strawberry.field(resolver=_lines_held)},
    shown=("total_monthly_value", "lines_held", "lines"),
)
expose(
    CustomerAggregate,
    "CustomersAggregate",
    fields={
        "customers": strawberry.field(name="count"),
        "total_value": strawberry.field(name="totalMonthlyValue"),
    },
)


def touchpoint_cursor(after: str | None) -> tuple[str, str]:
    """The (occurred_at, id) a ``Touchpoint.cursor`` stands for; ("", "") for none."""
    if not after:
        return "", ""
    try:
        occurred_at, _, key = base64.urlsafe_b64decode(after.encode()).decode().partition("\x00")
    except (ValueError, UnicodeDecodeError):
        key = ""
    if not key:
        raise QueryParameterError(f"not a touchpoint cursor: {after!r}")
    return occurred_at, key


def _cursor(root: TouchpointSummary) -> str:
    """Pass as ``after`` to read the touchpoints older than this one."""
    raw = f"{root.occurred_at or ''}\x00{root.id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


expose(TouchpointSummary, "Touchpoint", fields={"cursor": strawberry.field(resolver=_cursor)})
expose(ChurnRisk, "ChurnRisk", shown=("as_of", "lapsed", "score", "signals"))
expose(
    Recommendation,
    "Recommendation",
    fields={
        "eligibility": strawberry.field(
            description="For a customer: the eligibility facts checked (age) and the line's "
            "products not offered to them, with why."
        ),
        "consent_allows": strawberry.field(
            description="For a customer: the channels (email, phone, post, sms, web) their "
            "marketing consent allows offering it on; empty: no marketing consent (discuss "
            "it only when they get in touch). Null for a household."
        ),
    },
)
expose(
    NetworkInfluence,
    "CustomerNetwork",
    shown=("customers", "households", "relationships", "communities", "members"),
)
expose(
    TrackedItem,
    "TrackedItem",
    fields={
        "location_name": strawberry.field(description="the location's name, " + _MASTER_DATA),
        "in_transit": strawberry.field(graphql_type=bool),
    },
)
expose(
    JourneyStep,
    "JourneyStep",
    fields={
        "role": strawberry.field(
            description="the item's role in the event, or its container's when container is set"
        ),
        "container": strawberry.field(
            description="the case, pallet ... holding the item that the event names (null: "
            "the event names the item)"
        ),
        "biz_location_name": strawberry.field(description=_MASTER_DATA),
        "read_point_name": strawberry.field(description=_MASTER_DATA),
    },
)
expose(CurrentLocation, "Location", fields={"name": strawberry.field(description=_MASTER_DATA)})
expose(
    Custody,
    "CustodyTransfer",
    fields={"name": strawberry.field(description="the party's, " + _MASTER_DATA)},
)
expose(EndOfLife, "EndOfLife", shown=("status", "at", "event_id", "biz_step", "disposition"))
expose(
    CampaignCell,
    "CampaignCell",
    fields={
        "response_rate": strawberry.field(graphql_type=float),
        "conversion_rate": strawberry.field(graphql_type=float),
    },
)
expose(
    ShelfCount,
    "ShelfCount",
    fields={"name": strawberry.field(description="the shelf's, " + _MASTER_DATA)},
    shown=("shelf", "name", "pickups", "putdowns"),
)
