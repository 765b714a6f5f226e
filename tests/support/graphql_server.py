"""The GraphQL test graph served over real HTTP: resolved sample customers (Ann and Bob
among the crowd of tests/support/identity_fixtures.py), a household, a small catalogue with
holdings, Ann's sensitive profiles and a campaign; behind a live server whose store counts
the calls the API makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from graph.store import GraphStore, RelRow
from identity.resolve import resolve_store
from tests.support.graphql_client import AUTH
from tests.support.identity_fixtures import TODAY, customer_of, load_customer_records
from tests.support.serve import LiveServer


class CountingStore:
    """The embedded store, counting the calls the API makes to it."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self.calls: list[str] = []
        self.broken: set[str] = set()  # methods that fail, to see how errors reach clients

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if not callable(found) or name.startswith("_"):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if name in self.broken:
                raise RuntimeError(f"secret internal detail in {name}")
            return found(*args, **kwargs)

        return counted


class ServedGraph(LiveServer):
    """The live server of ``served``: its counting store, Ann's and Bob's customer keys,
    and the folder the graph was built in."""

    def __init__(self, tmp: Path, store: CountingStore, ann: str, bob: str) -> None:
        app = create_app(lambda: store, IngestSettings(rejects_dir=tmp / "rejects"), AUTH)
        super().__init__(app)
        self.tmp = tmp
        self.store = store
        self.ann = ann
        self.bob = bob


def served(tmp: Path) -> ServedGraph:
    """The test graph, built in ``tmp``, behind a live server (start it with ``with``)."""
    store = EmbeddedStore(tmp / "kb.sqlite")
    store.apply_schema()
    load_customer_records(store, tmp)
    resolve_store(store, TODAY)
    ann = customer_of(store, "billing:B1")
    bob = customer_of(store, "billing:B2")
    _extras(store, ann, bob)
    store.close()
    return ServedGraph(tmp, CountingStore(EmbeddedStore(tmp / "kb.sqlite")), ann, bob)


def _extras(store: GraphStore, ann: str, bob: str) -> None:
    """A household, a small catalogue with holdings, and Ann's sensitive profiles."""
    store.upsert_nodes("Household", [{"id": "HH1"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow(ann, "HH1"), RelRow(bob, "HH1")]
    )
    store.upsert_nodes("ProductLine", [{"id": "mobile", "name": "Mobile"}])
    store.upsert_nodes("Product", [{"id": "MOB-10", "name": "Mobile 10 GB"}])
    store.upsert_relationships("IN_LINE", "Product", "ProductLine", [RelRow("MOB-10", "mobile")])
    customers = store.keys_page("Customer", limit=1000)
    holdings = [
        {"id": f"A-{c}", "status": "active", "monthly_value": 10.0 + i}
        for i, c in enumerate(customers)
    ]
    store.upsert_nodes("Holding", holdings)
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow(c, f"A-{c}", {"role": "primary"}) for c in customers],
    )
    store.upsert_relationships(
        "OF_PRODUCT", "Holding", "Product", [RelRow(f"A-{c}", "MOB-10") for c in customers]
    )
    store.upsert_nodes("Customer", [{"id": ann, "national_id": "AB123456C"}])
    store.upsert_nodes("CreditProfile", [{"id": "cr-ann", "score": 720, "rating": "AA"}])
    store.upsert_relationships(
        "HAS_CREDIT_PROFILE", "Customer", "CreditProfile", [RelRow(ann, "cr-ann")]
    )
    store.upsert_nodes(
        "ThirdPartyProfile",
        [{"id": "tp-ann", "provider": "acme", "income_band": "75-100k"},
         {"id": "tp-bob", "provider": "acme", "income_band": "<25k"}],
    )  # fmt: skip
    store.upsert_relationships(
        "HAS_THIRD_PARTY_PROFILE", "Customer", "ThirdPartyProfile",
        [RelRow(ann, "tp-ann"), RelRow(bob, "tp-bob")],
    )  # fmt: skip
    store.upsert_nodes(
        "Consent",
        [{"id": "c-ann", "purpose": "third_party_data", "channel": "any", "granted": True}],
    )
    store.upsert_relationships("HAS_CONSENT", "Customer", "Consent", [RelRow(ann, "c-ann")])
    store.upsert_nodes("Campaign", [{"id": "spring", "name": "Spring offer", "channel": "email"}])
    store.upsert_nodes(
        "Touchpoint",
        [{"id": "cc-ann", "kind": "campaign_contact", "channel": "email",
          "occurred_at": "2026-03-01T09:00:00Z"},
         {"id": "cc-bob", "kind": "campaign_contact", "channel": "email",
          "occurred_at": "2026-03-01T09:00:00Z"}],
    )  # fmt: skip
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow(ann, "cc-ann"), RelRow(bob, "cc-bob")]
    )
    store.upsert_relationships(
        "PART_OF",
        "Touchpoint",
        "Campaign",
        [RelRow("cc-ann", "spring"), RelRow("cc-bob", "spring")],
    )
    store.upsert_relationships(
        "RESPONDED_TO", "Touchpoint", "Campaign", [RelRow("cc-ann", "spring", {"converted": True})]
    )
