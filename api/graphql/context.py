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
also delivers subscriptions.

Third-party data — purchased demographics and credit profiles (bureau scores) — is read
only for customers whose ``third_party_data`` consent is granted (``consenting``); one
consent lookup per request serves both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader

from api.auth import Principal
from api.events import EventHub
from graph.store import Direction, GraphStore, Neighbour, Node
from loaders.enrich import consenting
from queries.base import QueryParameterError, cypher_reader
from queries.named import MAX_BATCH, run_query

MAX_PURCHASE_ITEMS = 1000  # lines of one purchase returned; a basket is far smaller
MAX_PURCHASES = 10_000  # purchases of one customer read, newest first

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
    if cypher_reader(store) is None:
        return function(*args, **kwargs)
    return await run_in_threadpool(function, *args, **kwargs)


class BatchQuery:
    """A DataLoader over a batch named query (``customers_*``, ``households_*`` ...) whose
    other parameters are a field's arguments: keyed by (subject, arguments), one query per
    distinct arguments in a batch. Bad parameters fail only the fields that gave them: a
    refused batch is asked again one subject at a time (only then)."""

    def __init__(
        self, store: GraphStore, query: str, ids: str, default: Any, scores: bool = False
    ) -> None:
        self.store = store
        self.scores = scores  # answered by algorithms in Python: CPU-bound, off the loop
        self.query = query
        self.ids = ids  # the query's list parameter: customerIds, householdIds, epcs ...
        self.default = default  # the answer for a subject the query has nothing for
        self.loader: DataLoader[tuple[str, Arguments], Any] = DataLoader(
            load_fn=self._load, max_batch_size=MAX_BATCH
        )

    async def load(self, subject: str, **arguments: Any) -> Any:
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


class Loaders:
    """One set per request, so nothing cached outlives the request that read it."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.customer = self._loader(self._customers)
        self._nodes: dict[str, DataLoader[str, Node | None]] = {"Customer": self.customer}
        self.holdings = self._loader(self._batch("customers_holdings", []))
        self.value = self._loader(self._batch("customers_value", None))
        self.household = self._loader(self._batch("customers_households", []))
        self.third_party_consent = self._loader(self._consenting)
        self.credit = self._loader(self._consented("HAS_CREDIT_PROFILE", "CreditProfile"))
        self.third_party = self._loader(
            self._consented("HAS_THIRD_PARTY_PROFILE", "ThirdPartyProfile")
        )
        self.consents = self._loader(self._consents)
        self.purchase_items = self._loader(self._purchase_items)

    # The loaders below are made when a request first asks for them: most requests use few.

    @cached_property
    def sources(self) -> DataLoader[str, Any]:
        return self._loader(self._batch("customers_sources", []))

    @cached_property
    def purchases(self) -> DataLoader[str, list[Node]]:
        return self._loader(self._purchases)

    @cached_property
    def touchpoints(self) -> BatchQuery:
        return BatchQuery(self.store, "customers_touchpoints", "customerIds", [])

    @cached_property
    def related(self) -> BatchQuery:
        return BatchQuery(self.store, "customers_related", "customerIds", [])

    @cached_property
    def churn_risk(self) -> BatchQuery:
        return BatchQuery(self.store, "customers_churn_risk", "customerIds", None)

    @cached_property
    def next_best(self) -> BatchQuery:
        return BatchQuery(self.store, "customers_next_best_products", "customerIds", None)

    @cached_property
    def network(self) -> BatchQuery:
        return BatchQuery(self.store, "customers_network_influence", "customerIds", None, True)

    @cached_property
    def items(self) -> BatchQuery:
        return BatchQuery(self.store, "customers_items", "customerIds", [])

    @cached_property
    def household_value(self) -> DataLoader[str, Any]:
        return self._loader(self._batch("households_value", None, "householdIds"))

    @cached_property
    def white_space(self) -> BatchQuery:
        return BatchQuery(self.store, "households_white_space", "householdIds", None)

    @cached_property
    def product_line(self) -> DataLoader[str, list[Neighbour]]:
        return self._loader(self._neighbours("Product", "IN_LINE", "out", "ProductLine", 1))

    @cached_property
    def campaign_response(self) -> DataLoader[str, Any]:
        return self._loader(self._batch("campaigns_response", [], "campaignIds"))

    @cached_property
    def journey(self) -> BatchQuery:
        return BatchQuery(self.store, "instances_journey", "epcs", [])

    @cached_property
    def location(self) -> BatchQuery:
        return BatchQuery(self.store, "instances_location", "epcs", None)

    @cached_property
    def custody(self) -> BatchQuery:
        return BatchQuery(self.store, "instances_custody", "epcs", [])

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

    def _batch(
        self, query: str, default: Any, ids: str = "customerIds"
    ) -> Callable[[list[str]], Any]:
        async def load(keys: list[str]) -> list[Any]:
            answers = await read(self.store, run_query, self.store, query, **{ids: list(keys)})
            return [answers.get(k, default) for k in keys]

        return load

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
        found = await read(
            self.store,
            self.store.neighbours_many,
            "Customer",
            keys,
            "HAS_CONSENT",
            "out",
            "Consent",
            1000,
        )
        return [[n.node for n in found.get(k, [])] for k in keys]

    async def _purchase_items(self, keys: list[str]) -> list[list[Neighbour]]:
        """The lines of many purchases (INCLUDES, with quantity and amount), one call."""
        found = await read(
            self.store,
            self.store.neighbours_many,
            "Purchase",
            keys,
            "INCLUDES",
            "out",
            "Product",
            MAX_PURCHASE_ITEMS,
        )
        return [found.get(k, []) for k in keys]

    async def _consenting(self, keys: list[str]) -> list[bool]:
        """Whether each customer allows third-party data."""
        allowed = await read(self.store, consenting, self.store, list(keys))
        return [k in allowed for k in keys]

    def _consented(self, rel_type: str, label: str) -> Callable[[list[str]], Any]:
        """A customer's third-party profile of one kind, only where their consent allows."""

        async def load(keys: list[str]) -> list[Node | None]:
            consents = await self.third_party_consent.load_many(keys)
            allowed = sorted(k for k, ok in zip(keys, consents, strict=True) if ok)
            found = await read(
                self.store,
                self.store.neighbours_many,
                "Customer",
                allowed,
                rel_type,
                "out",
                label,
                1,
            )
            return [found[k][0].node if k in found else None for k in keys]

        return load


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
