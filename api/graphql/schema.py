"""The GraphQL schema (strawberry): types over the named traversals, nothing more.

Resolvers fetch through ``queries.named.run_query``, the per-request DataLoaders
(api/graphql/context.py) or the store port and translate the typed results; no business logic and
no Cypher lives here. Every root field and every sensitive field names the roles that may
resolve it (api/graphql/permissions.py); store calls run in the thread pool.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import ApiContext, in_thread, read
from api.graphql.filters import CustomerOrder, CustomerWhere, customer_filter, customer_order
from api.graphql.permissions import ADMINS, ANALYSTS, READERS, field_for
from epcis.epc import canonical_epc
from graph.store import Node
from identity.quality import quality_report
from identity.resolve import list_review
from queries.base import QueryParameterError
from queries.customer_list import (
    aggregate_customers,
    decode_cursor,
    encode_cursor,
    list_customers,
)
from queries.named import run_query
from scoring.rfm import purchase_total
from scoring.segments import check_segment, segment_definition, segment_names, segment_size

Info = strawberry.Info[ApiContext, None]

CUSTOMER_PROPS = (
    "kind", "name", "email", "phone", "address", "postal_code", "city", "country",
    "customer_since", "status", "value_tier", "lifetime_value", "churn_score",
    "churn_signals", "rfm", "scored_on",
)  # fmt: skip


async def _ask(info: Info, query: str, **params: Any) -> Any:
    """A bounded named question (one customer, one item): a short read."""
    store = info.context.store
    return await read(store, run_query, store, query, **params)


@strawberry.type
class SourceLink:
    system: str | None
    record_id: str | None
    rule: str | None
    score: float | None


@strawberry.type
class HouseholdMember:
    household_id: str
    customer_id: str
    name: str | None
    role: str | None
    age_band: str | None


@strawberry.type
class Holding:
    account_id: str
    product_id: str | None
    product_name: str | None
    line: str | None
    status: str | None
    role: str | None
    opened_on: str | None
    closed_on: str | None
    balance: float | None
    monthly_value: float | None


@strawberry.type
class LineValue:
    line: str
    name: str | None
    holdings: int
    monthly_value: float


@strawberry.type
class CustomerValue:
    total_monthly_value: float
    lines_held: int
    catalogue_lines: int
    by_line: list[LineValue]


@strawberry.type
class Touchpoint:
    id: str
    occurred_at: str | None
    channel: str | None
    kind: str | None
    reason: str | None
    outcome: str | None
    resolution_status: str | None
    agent_id: str | None

    @strawberry.field
    def cursor(self) -> str:
        """Pass as ``after`` to read the touchpoints older than this one."""
        raw = f"{self.occurred_at or ''}\x00{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode()


def _touchpoint_cursor(after: str | None) -> tuple[str, str]:
    if not after:
        return "", ""
    try:
        occurred_at, _, key = base64.urlsafe_b64decode(after.encode()).decode().partition("\x00")
    except (ValueError, UnicodeDecodeError):
        key = ""
    if not key:
        raise QueryParameterError(f"not a touchpoint cursor: {after!r}")
    return occurred_at, key


@strawberry.type
class ChurnSignal:
    name: str
    weight: float
    evidence: str


@strawberry.type
class ChurnRisk:
    as_of: str
    lapsed: bool
    score: float | None
    signals: list[ChurnSignal]


@strawberry.type
class Recommendation:
    line: str
    name: str | None
    score: float
    basis_line: str | None
    lift: float | None
    customers: int | None
    product_id: str | None
    product_name: str | None
    evidence: str
    eligibility: list[str] = strawberry.field(
        description="For a customer: the eligibility facts checked (age) and the line's "
        "products not offered to them, with why."
    )
    consent_allows: list[str] | None = strawberry.field(
        description="For a customer: the channels (email, phone, post, sms, web) their "
        "marketing consent allows offering it on; empty: no marketing consent (discuss it "
        "only when they get in touch). Null for a household."
    )


@strawberry.type
class RelatedCustomer:
    customer_id: str
    name: str | None
    kind: str | None
    direction: str
    since: str | None


@strawberry.type
class PathStep:
    id: str
    label: str
    name: str | None


@strawberry.type
class RelationshipPath:
    steps: list[PathStep]
    links: list[str]


@strawberry.type
class RelationshipPaths:
    distance: int | None
    paths: list[RelationshipPath]


@strawberry.type
class InfluenceScore:
    customer_id: str
    name: str | None
    distance: int
    links: int
    betweenness: float
    community: int
    referred: int
    referral_reach: int


@strawberry.type
class CustomerNetwork:
    """Who holds a customer's network together and who influences in it: the
    network_influence question (docs/queries.md)."""

    customers: int
    households: int
    relationships: int
    communities: int
    members: list[InfluenceScore]


def _build(cls: type[Any], value: Any) -> Any:
    """The API type from a flat result dataclass of the same fields (no deep copy:
    ``asdict`` cost a tenth of a customer-360)."""
    return cls(**{f.name: getattr(value, f.name) for f in fields(value)})


@strawberry.type
class CreditProfile:
    """Sensitive: analysts and admins only."""

    id: str
    score: int | None
    rating: str | None
    credit_limit: float | None
    outstanding_debt: float | None
    assessed_on: str | None


@strawberry.type
class Demographics:
    """Purchased third-party data: analysts and admins, and only where the customer's
    consent for third-party data use is on record."""

    provider: str | None
    household_size: int | None
    income_band: str | None
    home_value_band: str | None
    match_score: float | None


@strawberry.type
class TrackedItem:
    epc: str
    product_id: str | None
    product_name: str | None
    sold_at: str | None
    location: str | None
    location_name: str | None = strawberry.field(
        description="the location's name, from EPCIS master data"
    )
    since: str | None
    last_step: str | None
    disposition: str | None
    in_transit: bool


@strawberry.type
class Consent:
    id: str
    purpose: str | None
    channel: str | None
    granted: bool | None
    given_at: str | None
    withdrawn_at: str | None


CONSENT_FIELDS = ("purpose", "channel", "granted", "given_at", "withdrawn_at")


@strawberry.type(description="One line of a purchase: a product, how many and for how much.")
class PurchaseItem:
    product_id: str
    product_name: str | None
    quantity: int | None
    amount: float | None


@strawberry.type
class Purchase:
    id: str
    purchased_at: str | None
    currency: str | None
    department: str | None
    channel: str | None

    @strawberry.field
    async def amount(self, info: Info) -> float | None:
        """The purchase's total: the sum of its items' amounts."""
        items = await info.context.loaders.purchase_items.load(self.id)
        return purchase_total(item.edge.props for item in items)

    @strawberry.field
    async def items(self, info: Info) -> list[PurchaseItem]:
        """What was bought, by product."""
        items = await info.context.loaders.purchase_items.load(self.id)
        return [
            PurchaseItem(
                product_id=item.node.key,
                product_name=cast(str | None, item.node.props.get("name")),
                quantity=cast(int | None, item.edge.props.get("quantity")),
                amount=cast(float | None, item.edge.props.get("amount")),
            )
            for item in items
        ]


PURCHASE_FIELDS = ("purchased_at", "currency", "department", "channel")


@strawberry.type
class ProductLine:
    id: str
    name: str | None
    industry: str | None
    holders: int | None
    penetration: float | None


LINE_FIELDS = ("name", "industry", "holders", "penetration")


@strawberry.type
class Product:
    id: str
    name: str | None
    gtin: str | None
    category: str | None
    price: float | None
    currency: str | None
    holders: int | None

    @strawberry.field
    async def line(self, info: Info) -> ProductLine | None:
        found = await info.context.loaders.product_line.load(self.id)
        if not found:
            return None
        return ProductLine(id=found[0].node.key, **_props(found[0].node, LINE_FIELDS))


PRODUCT_FIELDS = ("name", "gtin", "category", "price", "currency", "holders")


def _props(node: Node | None, fields: tuple[str, ...]) -> dict[str, Any]:
    props = node.props if node else {}
    return {f: props.get(f) for f in fields}


@strawberry.type
class Customer:
    id: strawberry.ID
    kind: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    customer_since: str | None = None
    status: str | None = None
    value_tier: str | None = None
    lifetime_value: float | None = None
    churn_score: float | None = None
    churn_signals: list[str] | None = None
    rfm: str | None = None
    scored_on: str | None = None
    restricted: strawberry.Private[dict[str, Any]] = strawberry.field(default_factory=dict)

    @field_for(*ADMINS)
    def national_id(self) -> str | None:
        """Sensitive: admins only."""
        value = self.restricted.get("national_id")
        return None if value is None else str(value)

    @field_for(*ANALYSTS)
    async def credit_profile(self, info: Info) -> CreditProfile | None:
        node = await info.context.loaders.credit.load(str(self.id))
        if node is None:
            return None
        return CreditProfile(id=node.key, **_props(node, CREDIT_FIELDS))

    @field_for(*ANALYSTS)
    async def demographics(self, info: Info) -> Demographics | None:
        node = await info.context.loaders.third_party.load(str(self.id))
        return None if node is None else Demographics(**_props(node, DEMOGRAPHIC_FIELDS))

    @strawberry.field
    async def consents(self, info: Info) -> list[Consent]:
        """What the customer allows, per purpose and channel (one record per source)."""
        found = await info.context.loaders.consents.load(str(self.id))
        return [Consent(id=n.key, **_props(n, CONSENT_FIELDS)) for n in found]

    @strawberry.field
    async def purchases(self, info: Info, first: int = 20) -> list[Purchase]:
        """The most recent purchases first."""
        recent = await info.context.loaders.purchases.load(str(self.id))
        return [Purchase(id=n.key, **_props(n, PURCHASE_FIELDS)) for n in recent[:first]]

    @strawberry.field
    async def sources(self, info: Info) -> list[SourceLink]:
        found = await info.context.loaders.sources.load(str(self.id))
        return [_build(SourceLink, s) for s in found]

    @strawberry.field
    async def household(self, info: Info) -> list[HouseholdMember]:
        members = await info.context.loaders.household.load(str(self.id))
        return [_build(HouseholdMember, m) for m in members]

    @strawberry.field
    async def holdings(self, info: Info) -> list[Holding]:
        held = await info.context.loaders.holdings.load(str(self.id))
        return [_build(Holding, h) for h in held]

    @strawberry.field
    async def value(self, info: Info) -> CustomerValue | None:
        v = await info.context.loaders.value.load(str(self.id))
        if v is None:
            return None
        return CustomerValue(
            total_monthly_value=v.total_monthly_value,
            lines_held=v.lines_held,
            catalogue_lines=v.catalogue_lines,
            by_line=[_build(LineValue, line) for line in v.lines],
        )

    @strawberry.field
    async def touchpoints(
        self, info: Info, first: int = 20, after: str | None = None, channel: str | None = None
    ) -> list[Touchpoint]:
        """Newest first; ``after`` is the ``cursor`` of the last touchpoint already read."""
        before_time, before_id = _touchpoint_cursor(after)
        found = await info.context.loaders.touchpoints.load(
            str(self.id),
            channel=channel or "",
            first=first,
            beforeTime=before_time,
            beforeId=before_id,
        )
        return [_build(Touchpoint, t) for t in found]

    @strawberry.field
    async def churn_risk(self, info: Info, as_of: date | None = None) -> ChurnRisk | None:
        risk = await info.context.loaders.churn_risk.load(
            str(self.id), asOf=(as_of or date.today()).isoformat()
        )
        if risk is None:
            return None
        return ChurnRisk(
            as_of=risk.as_of,
            lapsed=risk.lapsed,
            score=risk.score,
            signals=[_build(ChurnSignal, s) for s in risk.signals],
        )

    @strawberry.field
    async def next_best_products(
        self, info: Info, first: int = 3, as_of: date | None = None
    ) -> list[Recommendation]:
        """Only products the customer may be offered (age taken on ``asOf``, default today)."""
        space = await info.context.loaders.next_best.load(
            str(self.id), first=first, asOf=(as_of or date.today()).isoformat()
        )
        return [] if space is None else [_build(Recommendation, r) for r in space.recommendations]

    @strawberry.field
    async def relationships(
        self, info: Info, kind: str | None = None, first: int = 50
    ) -> list[RelatedCustomer]:
        found = await info.context.loaders.related.load(str(self.id), kind=kind or "", first=first)
        return [_build(RelatedCustomer, r) for r in found]

    @strawberry.field
    async def path_to(
        self, info: Info, customer_id: strawberry.ID, max_hops: int = 4
    ) -> RelationshipPaths:
        found = await in_thread(  # a path search can walk far: off the loop
            run_query,
            info.context.store,
            "relationship_path",
            fromId=self.id,
            toId=str(customer_id),
            maxHops=max_hops,
        )
        return RelationshipPaths(
            distance=found.distance,
            paths=[
                RelationshipPath(steps=[_build(PathStep, s) for s in p.steps], links=list(p.links))
                for p in found.paths
            ],
        )

    @strawberry.field
    async def network(self, info: Info, hops: int = 2, first: int = 20) -> CustomerNetwork | None:
        """The customers and households within ``hops`` steps, most central first."""
        found = await info.context.loaders.network.load(self.id, hops=hops, first=first)
        if found is None:
            return None
        return CustomerNetwork(
            customers=found.customers,
            households=found.households,
            relationships=found.relationships,
            communities=found.communities,
            members=[_build(InfluenceScore, m) for m in found.members],
        )

    @strawberry.field
    async def tracked_items(self, info: Info, first: int = 50) -> list[TrackedItem]:
        """Every tagged item this customer bought, where it is and whether it is on its way."""
        found = await info.context.loaders.items.load(str(self.id), first=first)
        return [TrackedItem(**asdict(i), in_transit=i.in_transit) for i in found]


CREDIT_FIELDS = ("score", "rating", "credit_limit", "outstanding_debt", "assessed_on")
DEMOGRAPHIC_FIELDS = (
    "provider", "household_size", "income_band", "home_value_band", "match_score",
)  # fmt: skip


def customer_from_node(node: Node) -> Customer:
    return Customer(
        id=strawberry.ID(node.key),
        **cast(dict[str, Any], {f: node.props.get(f) for f in CUSTOMER_PROPS}),
        restricted={"national_id": node.props.get("national_id")},
    )


@strawberry.type
class CustomerHit:
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    matched_on: list[str]
    similarity: float


@strawberry.type
class AtRiskCustomer:
    customer_id: str
    name: str | None
    churn_score: float
    signals: list[str]
    lifetime_value: float | None
    scored_on: str | None


@strawberry.type
class HouseholdValue:
    total_monthly_value: float
    lines_held: int
    by_line: list[LineValue]


@strawberry.type
class Household:
    id: strawberry.ID

    @strawberry.field
    async def members(self, info: Info) -> list[Customer]:
        value = await info.context.loaders.household_value.load(str(self.id))
        if value is None:
            return []
        nodes = await info.context.loaders.customer.load_many(list(value.members))
        return [customer_from_node(n) for n in nodes if n is not None]

    @strawberry.field
    async def value(self, info: Info) -> HouseholdValue | None:
        """Each member counted once, a joint account once."""
        v = await info.context.loaders.household_value.load(str(self.id))
        if v is None:
            return None
        return HouseholdValue(
            total_monthly_value=v.total_monthly_value,
            lines_held=len(v.lines),
            by_line=[_build(LineValue, line) for line in v.lines],
        )

    @strawberry.field
    async def white_space(self, info: Info, first: int = 3) -> list[Recommendation]:
        space = await info.context.loaders.white_space.load(str(self.id), first=first)
        return [] if space is None else [_build(Recommendation, r) for r in space.recommendations]


@strawberry.type
class MatchEvidence:
    field: str
    level: str
    weight: float


@strawberry.type
class PossibleMatch:
    id: strawberry.ID
    status: str
    weight: float
    reason: str | None = strawberry.field(
        description="why it is worth a look: what personal detail agrees, or how rare the "
        "name is (null for items from before reasons were kept)"
    )
    records: list[str]
    names: list[str | None]
    evidence: list[MatchEvidence]


def possible_match(item: Any) -> PossibleMatch:
    return PossibleMatch(
        id=strawberry.ID(item.id),
        status=item.status,
        weight=float(item.evidence.get("weight", 0.0)),
        reason=item.evidence.get("reason"),
        records=list(item.records),
        names=list(item.evidence.get("names", [])),
        evidence=[
            MatchEvidence(field=f, level=v["level"], weight=float(v["weight"]))
            for f, v in sorted(item.evidence.get("fields", {}).items())
        ],
    )


@strawberry.type
class JourneyStep:
    event_id: str
    event_type: str | None
    event_time: str | None
    action: str | None
    biz_step: str | None
    disposition: str | None
    role: str | None = strawberry.field(
        description="the item's role in the event, or its container's when container is set"
    )
    container: str | None = strawberry.field(
        description="the case, pallet ... holding the item that the event names (null: the "
        "event names the item)"
    )
    biz_location: str | None
    biz_location_name: str | None = strawberry.field(description="from EPCIS master data")
    read_point: str | None
    read_point_name: str | None = strawberry.field(description="from EPCIS master data")
    retracted: bool


@strawberry.type
class Location:
    location: str
    name: str | None = strawberry.field(description="from EPCIS master data")
    since: str | None
    biz_step: str | None
    disposition: str | None
    event_id: str


@strawberry.type
class ProductInstance:
    epc: str

    @strawberry.field
    async def journey(self, info: Info, first: int = 100) -> list[JourneyStep]:
        found = await info.context.loaders.journey.load(self.epc, first=first)
        return [_build(JourneyStep, s) for s in found]

    @strawberry.field
    async def current_location(self, info: Info) -> Location | None:
        found = await info.context.loaders.location.load(self.epc)
        return None if found is None else _build(Location, found)

    @strawberry.field
    async def chain_of_custody(self, info: Info, first: int = 100) -> list[CustodyTransfer]:
        """Which parties owned or held it, from commissioning on."""
        found = await info.context.loaders.custody.load(self.epc, first=first)
        return [_build(CustodyTransfer, c) for c in found]

    @strawberry.field
    async def containers(self, info: Info, at: datetime) -> list[Container]:
        """The case, pallet, truck ... it was in at that moment (innermost first)."""
        found = await _ask(info, "containment_at", epc=self.epc, at=at.isoformat())
        return [_build(Container, c) for c in found]

    @strawberry.field
    async def end_of_life(self, info: Info) -> EndOfLife | None:
        """Recycled, destroyed, decommissioned or returned — or null while in use."""
        found = await _ask(info, "end_of_life", epc=self.epc)
        if found is None:
            return None
        return EndOfLife(
            status=found.status, at=found.at, event_id=found.event_id,
            biz_step=found.biz_step, disposition=found.disposition,
        )  # fmt: skip

    @strawberry.field
    async def buyer(self, info: Info) -> Customer | None:
        """The customer it was sold to (restricted to readers of customers)."""
        info.context.principal.require(READERS, "ProductInstance.buyer")
        found = await info.context.loaders.buyer.load(canonical_epc(self.epc))
        return customer_from_node(found[0].node) if found else None


@strawberry.type
class CustodyTransfer:
    at: str | None
    event_id: str
    biz_step: str | None
    party: str
    name: str | None = strawberry.field(description="the party's, from EPCIS master data")
    role: str


@strawberry.type
class Container:
    container: str
    level: int
    since: str | None


@strawberry.type
class SegmentMember:
    customer_id: str
    name: str | None
    lifetime_value: float | None


@strawberry.type
class Segment:
    """Customers of one value tier (set by ``ckb segment``)."""

    name: str
    definition: str = strawberry.field(
        description="Who belongs: the tier's rules, tried best tier first; the first met counts."
    )

    @classmethod
    def named(cls, name: str) -> Segment:
        """The segment of this name; BAD_USER_INPUT naming the segments for any other."""
        return cls(name=check_segment(name), definition=segment_definition(name))

    @strawberry.field
    async def members(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> list[SegmentMember]:
        found = await _ask(info, "segment_members", tier=self.name, after=after or "", first=first)
        return [_build(SegmentMember, m) for m in found]

    @strawberry.field
    async def size(self, info: Info) -> int:
        """Customers in the segment, as the last ``ckb segment`` run left them."""
        return await in_thread(segment_size, info.context.store, self.name)


@strawberry.type
class CampaignCell:
    channel: str | None
    tier: str
    contacted: int
    responses: int
    conversions: int
    response_rate: float
    conversion_rate: float


@strawberry.type
class Campaign:
    id: str
    name: str | None
    channel: str | None
    starts_on: str | None
    ends_on: str | None

    @strawberry.field
    async def response(self, info: Info) -> list[CampaignCell]:
        """Contacted, responded and converted customers by contact channel and value tier."""
        cells = await info.context.loaders.campaign_response.load(self.id)
        return [
            CampaignCell(
                **asdict(c), response_rate=c.response_rate, conversion_rate=c.conversion_rate
            )
            for c in cells
        ]


CAMPAIGN_FIELDS = ("name", "channel", "starts_on", "ends_on")


@strawberry.type
class ShelfCount:
    shelf: str
    name: str | None = strawberry.field(description="the shelf's, from EPCIS master data")
    pickups: int
    putdowns: int


@strawberry.type
class ShelfInteraction:
    """One product at one store over the window: shelf pick-ups and put-downs, units
    sold there, and the pick-up-to-purchase conversion (sold / picked up)."""

    gtin: str
    product_id: str | None
    product_name: str | None
    pickups: int
    putdowns: int
    purchased: int
    conversion: float | None
    shelves: list[ShelfCount]


@strawberry.type
class EndOfLife:
    status: str
    at: str | None
    event_id: str
    biz_step: str | None
    disposition: str | None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class ValueStats:
    count: int
    sum: float
    avg: float | None
    min: float | None
    max: float | None


@strawberry.type
class LineTotal:
    line: str
    customers: int
    holdings: int
    monthly_value: float


@strawberry.type
class CustomersAggregate:
    count: int
    total_monthly_value: ValueStats
    lifetime_value: ValueStats
    by_line: list[LineTotal]


def _selected(info: Info, name: str) -> bool:
    """Whether the client asked for this field of the current one (skip costly counts)."""
    return any(
        getattr(child, "name", None) == name
        for selected in info.selected_fields
        for child in selected.selections
    )


def page_start(after: str | None) -> int:
    return decode_cursor(after)[0]


@strawberry.type
class Query:
    @field_for(*READERS)
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        """A customer by ID; a retired ID (merged away) finds the customer it joined."""
        node = await info.context.loaders.customer.load(str(id))
        if node is None:
            alias = await info.context.loaders.alias.load(str(id))
            if not alias:
                return None
            node = alias[0].node
        return customer_from_node(node)

    @field_for(*READERS)
    async def customers(
        self,
        info: Info,
        where: CustomerWhere | None = None,
        order_by: list[CustomerOrder] | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> CustomerConnection:
        """Customers filtered by ``where`` (properties, AND/OR/NOT, and some/none of their
        touchpoints or holdings), sorted by ``orderBy`` (properties or aggregates: total
        value, touchpoint count, holdings count; nulls last, then ID), a page of at most 100
        at a time; ``after`` is the ``endCursor`` of the previous page."""
        page = await in_thread(
            list_customers,
            info.context.store,
            customer_filter(where),
            customer_order(order_by),
            first,
            after,
            _selected(info, "totalCount"),
        )
        found = await info.context.loaders.customer.load_many(page.ids)
        edges = [
            CustomerEdge(cursor=encode_cursor(n, node.key), node=customer_from_node(node))
            for n, node in enumerate(found, start=page_start(after) + 1)
            if node is not None
        ]
        return CustomerConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            total_count=page.total,
        )

    @field_for(*READERS)
    async def customers_aggregate(
        self, info: Info, where: CustomerWhere | None = None
    ) -> CustomersAggregate:
        """Count, sum, average, minimum and maximum of value over the customers ``where``
        selects, and their value per product line (a joint account counted once)."""
        found = await in_thread(aggregate_customers, info.context.store, customer_filter(where))
        return CustomersAggregate(
            count=found.customers,
            total_monthly_value=_build(ValueStats, found.total_value),
            lifetime_value=_build(ValueStats, found.lifetime_value),
            by_line=[_build(LineTotal, line) for line in found.by_line],
        )

    @field_for(*READERS)
    async def household(self, info: Info, id: strawberry.ID) -> Household | None:
        node = await info.context.loaders.node("Household").load(str(id))
        return None if node is None else Household(id=strawberry.ID(node.key))

    @field_for(*READERS)
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        node = await info.context.loaders.node("Product").load(str(id))
        return None if node is None else Product(id=node.key, **_props(node, PRODUCT_FIELDS))

    @field_for(*READERS)
    async def campaign(self, info: Info, id: strawberry.ID) -> Campaign | None:
        node = await info.context.loaders.node("Campaign").load(str(id))
        return None if node is None else Campaign(id=node.key, **_props(node, CAMPAIGN_FIELDS))

    @field_for(*READERS)
    async def segment(self, info: Info, name: str) -> Segment:
        """A value-tier segment (one of ``segments``) and its members."""
        return Segment.named(name)

    @field_for(*READERS)
    async def segments(self, info: Info) -> list[Segment]:
        """Every segment ``ckb segment`` assigns (the value tiers), best first."""
        return [Segment.named(name) for name in segment_names()]

    @field_for(*READERS)
    async def product_instance(self, info: Info, epc: str) -> ProductInstance | None:
        """A tagged item by its EPC, as an EPC URN or a GS1 Digital Link."""
        found = await info.context.loaders.location.load(epc)
        journey = found or await info.context.loaders.journey.load(epc, first=1)
        return ProductInstance(epc=epc) if journey else None

    @field_for(*READERS)
    async def shelf_interactions(
        self,
        info: Info,
        store: str,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        product: str | None = None,
    ) -> list[ShelfInteraction]:
        """Pick-ups and put-downs per product at a store (SGLN or GLN Digital Link) over
        [from, to), with units sold there and the pick-up-to-purchase conversion."""
        found = await in_thread(
            run_query,
            info.context.store,
            "shelf_interactions",
            store=store,
            product=product or "",
            **{"from": from_.isoformat(), "to": to.isoformat()},
        )
        return [
            ShelfInteraction(
                gtin=i.gtin, product_id=i.product_id, product_name=i.product_name,
                pickups=i.pickups, putdowns=i.putdowns, purchased=i.purchased,
                conversion=i.conversion, shelves=[_build(ShelfCount, c) for c in i.shelves],
            )
            for i in found
        ]  # fmt: skip

    @field_for(*ANALYSTS)
    async def review_queue(
        self, info: Info, status: str = "open", first: int = 50
    ) -> list[PossibleMatch]:
        items = await in_thread(list_review, info.context.store, status, first)
        return [possible_match(item) for item in items]

    @field_for(*ANALYSTS)
    async def data_quality(self, info: Info) -> JSON:
        """Per source system: duplicates, flagged and missing values, load rejects."""
        return JSON(await in_thread(quality_report, info.context.store, date.today()))

    @field_for(*READERS)
    async def search_customers(self, info: Info, text: str, first: int = 20) -> list[CustomerHit]:
        hits = await _ask(info, "search_customers", text=text, first=first)
        return [_build(CustomerHit, h) for h in hits]

    @field_for(*READERS)
    async def at_risk(
        self, info: Info, tier: str, min_score: float = 0.3, first: int = 50
    ) -> list[AtRiskCustomer]:
        found = await _ask(info, "at_risk", tier=tier, minScore=min_score, first=first)
        return [_build(AtRiskCustomer, a) for a in found]
