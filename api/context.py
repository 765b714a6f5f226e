"""What every GraphQL resolver gets: the store, the caller, the request ID, per-request
DataLoaders and the event hub.

The DataLoaders batch what a page of customers asks for: each field of each customer
enqueues its key, and one batched store call per field answers the whole page
(``queries/customers_*.cypher`` on Neo4j, ``neighbours_many`` on the embedded store).
Store calls run in the thread pool so a slow store never stalls the event loop that
also delivers subscriptions.

Third-party data — purchased demographics and credit profiles (bureau scores) — is read
only for customers whose ``third_party_data`` consent is granted (``consenting``); one
consent lookup per request serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader

from api.auth import Principal
from api.events import EventHub
from graph.store import GraphStore, Neighbour, Node
from loaders.enrich import consenting
from queries.base import cypher_reader
from queries.named import MAX_BATCH, run_query

MAX_PURCHASE_ITEMS = 1000  # lines of one purchase returned; a basket is far smaller

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


class Loaders:
    """One set per request, so nothing cached outlives the request that read it."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.customer = self._loader(self._customers)
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

    @staticmethod
    def _loader(load: Callable[[list[str]], Any]) -> DataLoader[str, Any]:
        return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)

    async def _customers(self, keys: list[str]) -> list[Node | None]:
        found = await read(self.store, self.store.get_nodes, "Customer", keys)
        return [found.get(k) for k in keys]

    def _batch(self, query: str, default: Any) -> Callable[[list[str]], Any]:
        async def load(keys: list[str]) -> list[Any]:
            answers = await read(self.store, run_query, self.store, query, customerIds=list(keys))
            return [answers.get(k, default) for k in keys]

        return load

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
