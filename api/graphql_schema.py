"""The GraphQL schema (strawberry): types over the named traversals, nothing more.

Resolvers fetch through ``queries.named.run_query`` or the store port and translate the
typed results; no business logic and no Cypher lives here. Sensitive attributes (national
ID, credit, third-party data) are not in the schema.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import strawberry
from starlette.requests import Request
from strawberry.scalars import JSON
from strawberry.types import Info

from graph.store import GraphStore
from loaders.quality import quality_report
from loaders.resolve import list_review
from queries.named import run_query

CUSTOMER_PROPS = (
    "kind", "name", "email", "phone", "address", "postal_code", "city", "country",
    "customer_since", "status", "value_tier", "lifetime_value", "churn_score",
    "churn_signals", "rfm", "scored_on",
)  # fmt: skip


def _store(info: Info) -> GraphStore:
    request: Request = info.context["request"]
    store: GraphStore = request.app.state.store
    return store


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


def _build(cls: type[Any], value: Any) -> Any:
    return cls(**asdict(value))


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

    @strawberry.field
    def sources(self, info: Info) -> list[SourceLink]:
        return [
            _build(SourceLink, s)
            for s in run_query(_store(info), "customer_sources", customerId=self.id)
        ]

    @strawberry.field
    def household(self, info: Info) -> list[HouseholdMember]:
        return [
            _build(HouseholdMember, m)
            for m in run_query(_store(info), "household_members", customerId=self.id)
        ]

    @strawberry.field
    def holdings(self, info: Info) -> list[Holding]:
        return [
            _build(Holding, h)
            for h in run_query(_store(info), "customer_holdings", customerId=self.id)
        ]

    @strawberry.field
    def value(self, info: Info) -> CustomerValue | None:
        v = run_query(_store(info), "customer_value", customerId=self.id)
        if v is None:
            return None
        return CustomerValue(
            total_monthly_value=v.total_monthly_value,
            lines_held=v.lines_held,
            catalogue_lines=v.catalogue_lines,
            by_line=[_build(LineValue, line) for line in v.lines],
        )

    @strawberry.field
    def touchpoints(
        self, info: Info, first: int = 20, channel: str | None = None
    ) -> list[Touchpoint]:
        found = run_query(
            _store(info),
            "customer_touchpoints",
            customerId=self.id,
            channel=channel or "",
            first=first,
        )
        return [_build(Touchpoint, t) for t in found]

    @strawberry.field
    def churn_risk(self, info: Info, as_of: date | None = None) -> ChurnRisk | None:
        risk = run_query(
            _store(info), "churn_risk", customerId=self.id, asOf=(as_of or date.today()).isoformat()
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
    def next_best_products(self, info: Info, first: int = 3) -> list[Recommendation]:
        space = run_query(_store(info), "next_best_products", customerId=self.id, first=first)
        return [] if space is None else [_build(Recommendation, r) for r in space.recommendations]

    @strawberry.field
    def relationships(
        self, info: Info, kind: str | None = None, first: int = 50
    ) -> list[RelatedCustomer]:
        found = run_query(
            _store(info), "related_customers", customerId=self.id, kind=kind or "", first=first
        )
        return [_build(RelatedCustomer, r) for r in found]

    @strawberry.field
    def path_to(
        self, info: Info, customer_id: strawberry.ID, max_hops: int = 4
    ) -> RelationshipPaths:
        found = run_query(
            _store(info),
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


def customer_from_props(key: str, props: dict[str, Any]) -> Customer:
    return Customer(id=strawberry.ID(key), **{f: props.get(f) for f in CUSTOMER_PROPS})


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
    def members(self, info: Info) -> list[Customer]:
        store = _store(info)
        value = run_query(store, "household_value", householdId=self.id)
        if value is None:
            return []
        found = store.get_nodes("Customer", list(value.members))
        return [customer_from_props(k, found[k].props) for k in value.members if k in found]

    @strawberry.field
    def value(self, info: Info) -> HouseholdValue | None:
        """Each member counted once, a joint account once."""
        v = run_query(_store(info), "household_value", householdId=self.id)
        if v is None:
            return None
        return HouseholdValue(
            total_monthly_value=v.total_monthly_value,
            lines_held=len(v.lines),
            by_line=[_build(LineValue, line) for line in v.lines],
        )

    @strawberry.field
    def white_space(self, info: Info, first: int = 3) -> list[Recommendation]:
        space = run_query(_store(info), "household_white_space", householdId=self.id, first=first)
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
    records: list[str]
    names: list[str | None]
    evidence: list[MatchEvidence]


@strawberry.type
class Query:
    @strawberry.field
    def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        store = _store(info)
        node = store.get_node("Customer", str(id))
        if node is None:
            alias = store.neighbours(
                "CustomerAlias", str(id), "ALIAS_OF", "out", "Customer", limit=1
            )
            if not alias:
                return None
            node = alias[0].node
        return customer_from_props(node.key, node.props)

    @strawberry.field
    def household(self, info: Info, id: strawberry.ID) -> Household | None:
        node = _store(info).get_node("Household", str(id))
        return None if node is None else Household(id=strawberry.ID(node.key))

    @strawberry.field
    def review_queue(
        self, info: Info, status: str = "open", first: int = 50
    ) -> list[PossibleMatch]:
        return [
            PossibleMatch(
                id=strawberry.ID(item.id),
                status=item.status,
                weight=float(item.evidence.get("weight", 0.0)),
                records=list(item.records),
                names=list(item.evidence.get("names", [])),
                evidence=[
                    MatchEvidence(field=f, level=v["level"], weight=float(v["weight"]))
                    for f, v in sorted(item.evidence.get("fields", {}).items())
                ],
            )
            for item in list_review(_store(info), status, first)
        ]

    @strawberry.field
    def data_quality(self, info: Info) -> JSON:
        """Per source system: duplicates, flagged and missing values, load rejects."""
        return JSON(quality_report(_store(info), date.today()))

    @strawberry.field
    def search_customers(self, info: Info, text: str, first: int = 20) -> list[CustomerHit]:
        hits = run_query(_store(info), "search_customers", text=text, first=first)
        return [_build(CustomerHit, h) for h in hits]

    @strawberry.field
    def at_risk(
        self, info: Info, tier: str, min_score: float = 0.3, first: int = 50
    ) -> list[AtRiskCustomer]:
        found = run_query(_store(info), "at_risk", tier=tier, minScore=min_score, first=first)
        return [_build(AtRiskCustomer, a) for a in found]
