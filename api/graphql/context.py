"""What every GraphQL resolver gets: the store, the caller, the request ID, per-request
DataLoaders and the event hub.

The DataLoaders batch what a page of customers asks for: each field of each customer
enqueues its key, and one batched store call per field answers the whole page
(``queries/customers_*.cypher`` on Neo4j, ``neighbours_many`` on the embedded store).
A field with arguments (``touchpoints(first: 5)``, ``churnRisk(asOf: ...)``) is keyed by
the customer and its arguments: a page asks them all with the same ones, so one batch
query answers it. Households, products, campaigns and tracked items asked for side by
side (aliases, members) batch the same way.
Store calls run in the thread pool so a slow store never stalls the event loop that
also delivers subscriptions (short reads on the embedded store run inline: ``read``).
While a query executes, its fields share their store reads (``SharedReads``): the
customer 360's churn risk, touchpoints and next best products read the customer's node,
holdings and touchpoints once between them.

Third-party data — purchased demographics and credit profiles (bureau scores) — is read
only for customers whose consent allows it (governance/consent.py says when); the
customer's consents, read once per request, serve that rule and the ``consents`` field.
A customer asked for by a retired ID (merged away) is found through its alias.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Generic, TypeVar, cast

import strawberry
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.auth import Principal
from api.events import EventHub
from governance.consent import allows_third_party_data
from graph.store import Direction, GraphStore, Neighbour, Node
from queries.base import MAX_BATCH, QueryParameterError, reads_cypher
from queries.campaign_response import CampaignCell
from queries.chain_of_custody import Custody
from queries.current_location import CurrentLocation
from queries.customer_holdings import HoldingSummary
from queries.customer_items import TrackedItem
from queries.customer_sources import SourceLink
from queries.customer_touchpoints import TouchpointSummary
from queries.customer_value import CustomerValue
from queries.engine import run_query
from queries.household_members import HouseholdMember
from queries.household_value import HouseholdValue
from queries.network_influence import NetworkInfluence
from queries.next_best_products import WhiteSpace
from queries.product_journey import JourneyStep
from queries.related_customers import RelatedCustomer
from scoring.churn import ChurnRisk

MAX_PURCHASE_ITEMS = 1000  # lines of one purchase returned; a basket is far smaller
MAX_PURCHASES = 10_000  # purchases of one customer read, newest first
MAX_CONSENTS = 1000  # consent records of one customer (one per purpose, channel and source)

Arguments = tuple[tuple[str, Any], ...]  # a field's arguments, as a hashable key

T = TypeVar("T")


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Long or writing store calls: in the thread pool, so the event loop stays free."""
    return await run_in_threadpool(function, *args, **kwargs)


async def read(store: GraphStore, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A short read (one customer's question, one batch of a page). On the in-memory
    embedded store it runs inline: the read takes microseconds and a thread-pool hop costs
    more (measured: 40% of a customer-360 request). On Neo4j, whose reads wait on the
    network, it runs in the thread pool. The price on the embedded store: while a write
    in another thread holds the store's lock, an inline read waits for it on the loop."""
    if not reads_cypher(store):
        return function(*args, **kwargs)
    return await run_in_threadpool(function, *args, **kwargs)


async def ask(store: GraphStore, query: str, **params: Any) -> Any:
    """A bounded named question (one customer, one item): a short read."""
    return await read(store, run_query, store, query, **params)


class BatchQuery(Generic[T]):
    """A DataLoader over a batch named query (``customers_*``, ``households_*`` ...) whose
    other parameters, if any, are a field's arguments: keyed by (subject, arguments), one
    query per distinct arguments in a batch. Bad parameters fail only the fields that gave them: a
    refused batch is asked again one subject at a time (only then)."""

    def __init__(
        self, store: GraphStore, query: str, ids: str, default: T, scores: bool = False
    ) -> None:
        self.store = store
        self.scores = scores  # answered by algorithms in Python: CPU-bound, off the loop
        self.query = query
        self.ids = ids  # the query's list parameter: customerIds, householdIds, epcs ...
        self.default = default  # the answer for a subject the query has nothing for
        self.loader: DataLoader[tuple[str, Arguments], T] = DataLoader(
            load_fn=self._load, max_batch_size=MAX_BATCH
        )

    async def load(self, subject: str, **arguments: Any) -> T:
        return await self.loader.load((subject, tuple(sorted(arguments.items()))))

    async def _load(self, keys: Sequence[tuple[str, Arguments]]) -> list[Any]:
        asked: dict[Arguments, list[str]] = {}
        for subject, arguments in keys:
            asked.setdefault(arguments, []).append(subject)
        answers: dict[tuple[str, Arguments], Any] = {}
        for arguments, subjects in asked.items():
            for subject, answer in (await self._answer(subjects, arguments)).items():
                answers[(subject, arguments)] = answer
        return [answers[k] for k in keys]

    async def _answer(self, subjects: list[str], arguments: Arguments) -> dict[str, Any]:
        """Each subject's answer, or the error that refused it."""
        ask = in_thread if self.scores else partial(read, self.store)
        try:
            found = await ask(
                run_query,
                self.store,
                self.query,
                **{self.ids: subjects},
                **dict(arguments),
            )
        except QueryParameterError as refused:
            if len(subjects) == 1:
                return {subjects[0]: refused}
            answers: dict[str, Any] = {}
            for subject in subjects:
                answers.update(await self._answer([subject], arguments))
            return answers
        return {s: found.get(s, self.default) for s in subjects}


class SharedReads:
    """The store as one request's loaders read it: once ``share()`` is called (a query,
    not a mutation: api/graphql/app.py ``ShareReads``), the same read asked by two fields
    — the customer node, its holdings, its touchpoints, asked by the customer, churn
    risk, touchpoints and next best products alike — is read once and handed to both
    (``get_nodes``, ``neighbours_many``, ``neighbour_nodes_many``). Everything else is
    the wrapped store's, looked up once per request (a store behind proxies answers each
    lookup through every one of them)."""

    def __init__(self, store: GraphStore) -> None:
        self.wrapped = store
        self.shared_reads: dict[Any, Any] | None = None
        # Asked on every read (``read``): a Cypher reader when the wrapped store is one,
        # else None, which is how the CypherReader protocol reads an absent method too.
        self.read_query = getattr(store, "read_query", None)

    def share(self) -> None:
        if self.shared_reads is None:
            self.shared_reads = {}

    def get_nodes(self, label: str, keys: Sequence[str]) -> dict[str, Node]:
        memo = self.shared_reads
        if memo is None:
            return self.wrapped.get_nodes(label, keys)
        key = ("get_nodes", label, tuple(keys))
        found: dict[str, Node] | None = memo.get(key)
        if found is None:
            found = memo[key] = self.wrapped.get_nodes(label, keys)
        return dict(found)  # the caller's own dict: the memo stays as read

    def neighbours_many(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 100,
    ) -> dict[str, list[Neighbour]]:
        read = self.wrapped.neighbours_many
        return self._cut("neighbours", read, label, keys, rel_type, direction, other_label, limit)

    def neighbour_nodes_many(
        self,
        label: str,
        keys: Sequence[str],
        rel_type: str | None = None,
        direction: Direction = "out",
        other_label: str | None = None,
        limit: int = 100,
    ) -> dict[str, list[Node]]:
        read = self.wrapped.neighbour_nodes_many
        return self._cut("nodes", read, label, keys, rel_type, direction, other_label, limit)

    def _cut(
        self,
        kind: str,
        read: Callable[..., dict[str, list[T]]],
        label: str,
        keys: Sequence[str],
        rel_type: str | None,
        direction: Direction,
        other_label: str | None,
        limit: int,
    ) -> dict[str, list[T]]:
        memo = self.shared_reads
        if memo is None or limit <= 0:
            return read(label, keys, rel_type, direction, other_label, limit)
        # Each node's first ``limit`` neighbours are the first of any larger limit's, and
        # a read no node filled to its limit holds every neighbour: one read answers the
        # reads at any limit it covers, cut (touchpoints 10**6 and churn risk 10**7).
        key = (kind, label, tuple(keys), rel_type, direction, other_label)
        known: tuple[float, dict[str, list[T]]] | None = memo.get(key)
        if known is None or known[0] < limit:
            found = read(label, keys, rel_type, direction, other_label, limit)
            whole = all(len(near) < limit for near in found.values())
            known = memo[key] = (float("inf") if whole else limit, found)
        return {k: near[:limit] for k, near in known[1].items()}  # the caller's own lists

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.wrapped, name)
        setattr(self, name, found)
        return found

    def __repr__(self) -> str:
        return f"SharedReads({self.wrapped!r})"


class ShareReads(SchemaExtension):
    """A query's fields share their reads while it executes (``SharedReads``). Not a
    mutation's, whose writes a read before them would hide; not beyond the operation, as
    a websocket's context outlives each of its operations."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        loaders = getattr(context.context, "loaders", None)
        if not isinstance(loaders, Loaders) or context.operation_type is not OperationType.QUERY:
            yield
            return
        loaders.reads.share()
        try:
            yield
        finally:
            loaders.reads.shared_reads = None


class Loaders:
    """One set per request, so nothing cached outlives the request that read it."""

    def __init__(self, store: GraphStore) -> None:
        self.reads = SharedReads(store)
        store = cast(GraphStore, self.reads)
        self.store = store
        self.customer = self._loader(self._customers)
        self._nodes: dict[str, DataLoader[str, Node | None]] = {"Customer": self.customer}
        self.holdings: BatchQuery[list[HoldingSummary]] = BatchQuery(
            store, "customers_holdings", "customerIds", []
        )
        self.value: BatchQuery[CustomerValue | None] = BatchQuery(
            store, "customers_value", "customerIds", None
        )
        self.household: BatchQuery[list[HouseholdMember]] = BatchQuery(
            store, "customers_households", "customerIds", []
        )
        self.third_party_consent = self._loader(self._consenting)
        self.credit = self._loader(self._consented("HAS_CREDIT_PROFILE", "CreditProfile"))
        self.third_party = self._loader(
            self._consented("HAS_THIRD_PARTY_PROFILE", "ThirdPartyProfile")
        )
        self.consents = self._loader(self._consents)
        self.purchase_items = self._loader(
            self._neighbours("Purchase", "INCLUDES", "out", "Product", MAX_PURCHASE_ITEMS)
        )

    # The loaders below are made when a request first asks for them: most requests use few.

    @cached_property
    def sources(self) -> BatchQuery[list[SourceLink]]:
        return BatchQuery(self.store, "customers_sources", "customerIds", [])

    @cached_property
    def purchases(self) -> DataLoader[str, list[Node]]:
        return self._loader(self._purchases)

    @cached_property
    def touchpoints(self) -> BatchQuery[list[TouchpointSummary]]:
        return BatchQuery(self.store, "customers_touchpoints", "customerIds", [])

    @cached_property
    def related(self) -> BatchQuery[list[RelatedCustomer]]:
        return BatchQuery(self.store, "customers_related", "customerIds", [])

    @cached_property
    def churn_risk(self) -> BatchQuery[ChurnRisk | None]:
        return BatchQuery(self.store, "customers_churn_risk", "customerIds", None)

    @cached_property
    def next_best(self) -> BatchQuery[WhiteSpace | None]:
        return BatchQuery(self.store, "customers_next_best_products", "customerIds", None)

    @cached_property
    def network(self) -> BatchQuery[NetworkInfluence | None]:
        return BatchQuery(self.store, "customers_network_influence", "customerIds", None, True)

    @cached_property
    def items(self) -> BatchQuery[list[TrackedItem]]:
        return BatchQuery(self.store, "customers_items", "customerIds", [])

    @cached_property
    def household_value(self) -> BatchQuery[HouseholdValue | None]:
        return BatchQuery(self.store, "households_value", "householdIds", None)

    @cached_property
    def white_space(self) -> BatchQuery[WhiteSpace | None]:
        return BatchQuery(self.store, "households_white_space", "householdIds", None)

    @cached_property
    def product_line(self) -> DataLoader[str, list[Neighbour]]:
        return self._loader(self._neighbours("Product", "IN_LINE", "out", "ProductLine", 1))

    @cached_property
    def campaign_response(self) -> BatchQuery[list[CampaignCell]]:
        return BatchQuery(self.store, "campaigns_response", "campaignIds", [])

    @cached_property
    def journey(self) -> BatchQuery[list[JourneyStep]]:
        return BatchQuery(self.store, "instances_journey", "epcs", [])

    @cached_property
    def location(self) -> BatchQuery[CurrentLocation | None]:
        return BatchQuery(self.store, "instances_location", "epcs", None)

    @cached_property
    def custody(self) -> BatchQuery[list[Custody]]:
        return BatchQuery(self.store, "instances_custody", "epcs", [])

    @cached_property
    def current_customer(self) -> DataLoader[str, Node | None]:
        """A customer by ID; a retired ID (merged away) finds the customer it joined."""
        return self._loader(self._current_customers)

    @cached_property
    def alias(self) -> DataLoader[str, list[Neighbour]]:
        """The customer a retired ID joined (one, when any)."""
        return self._loader(self._neighbours("CustomerAlias", "ALIAS_OF", "out", "Customer", 1))

    @cached_property
    def buyer(self) -> DataLoader[str, list[Neighbour]]:
        return self._loader(self._neighbours("ProductInstance", "SOLD_TO", "out", "Customer", 1))

    @staticmethod
    def _loader(load: Callable[[list[str]], Any]) -> DataLoader[str, Any]:
        return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)

    async def _customers(self, keys: list[str]) -> list[Node | None]:
        return await self._get_nodes("Customer", keys)

    async def _get_nodes(self, label: str, keys: list[str]) -> list[Node | None]:
        found = await read(self.store, self.store.get_nodes, label, keys)
        return [found.get(k) for k in keys]

    def node(self, label: str) -> DataLoader[str, Node | None]:
        """Nodes of one label by key (a household, a product, a campaign ...)."""
        loader = self._nodes.get(label)
        if loader is None:
            loader = self._nodes[label] = self._loader(partial(self._get_nodes, label))
        return loader

    def _neighbours(
        self, label: str, rel_type: str, direction: Direction, other_label: str, limit: int
    ) -> Callable[[list[str]], Awaitable[list[list[Neighbour]]]]:
        """Each node's neighbours over one relationship type, for many nodes in one call."""

        async def load(keys: list[str]) -> list[list[Neighbour]]:
            found = await read(
                self.store,
                self.store.neighbours_many,
                label,
                keys,
                rel_type,
                direction,
                other_label,
                limit,
            )
            return [found.get(k, []) for k in keys]

        return load

    async def _purchases(self, keys: list[str]) -> list[list[Node]]:
        """Each customer's purchases, the most recent first."""
        found = await self._neighbours("Customer", "MADE", "out", "Purchase", MAX_PURCHASES)(keys)
        return [
            sorted(
                (n.node for n in made),
                key=lambda n: (str(n.props.get("purchased_at") or ""), n.key),
                reverse=True,
            )
            for made in found
        ]

    async def _consents(self, keys: list[str]) -> list[list[Node]]:
        consents = self._neighbours("Customer", "HAS_CONSENT", "out", "Consent", MAX_CONSENTS)
        return [[n.node for n in held] for held in await consents(keys)]

    async def _consenting(self, keys: list[str]) -> list[bool]:
        """Whether each customer allows third-party data."""
        held = await self.consents.load_many(keys)
        return [allows_third_party_data(n.props for n in consents) for consents in held]

    def _consented(self, rel_type: str, label: str) -> Callable[[list[str]], Any]:
        """A customer's third-party profile of one kind, only where their consent allows."""
        profiles = self._neighbours("Customer", rel_type, "out", label, 1)

        async def load(keys: list[str]) -> list[Node | None]:
            consents = await self.third_party_consent.load_many(keys)
            allowed = sorted(k for k, ok in zip(keys, consents, strict=True) if ok)
            found = dict(zip(allowed, await profiles(allowed), strict=True))
            return [found[k][0].node if found.get(k) else None for k in keys]

        return load

    async def _current_customers(self, keys: list[str]) -> list[Node | None]:
        """Customers by current or retired ID: a retired one finds the customer it joined."""
        found = await self.customer.load_many(keys)
        retired = [k for k, node in zip(keys, found, strict=True) if node is None]
        if not retired:  # the usual case: no alias loader, no empty batch to await
            return found
        joined = dict(zip(retired, await self.alias.load_many(retired), strict=True))
        return [
            node if node is not None else (joined[k][0].node if joined[k] else None)
            for k, node in zip(keys, found, strict=True)
        ]


@dataclass
class ApiContext:
    connection: HTTPConnection  # the HTTP request or the websocket
    store: GraphStore
    principal: Principal
    request_id: str
    hub: EventHub
    loaders: Loaders
    connection_params: dict[str, Any] | None = None  # graphql-transport-ws connection_init

    @property
    def actor(self) -> str:
        return f"{self.principal.subject} ({'+'.join(sorted(self.principal.roles))})"


Info = strawberry.Info[ApiContext, None]  # what a resolver's ``info`` carries
