"""Retail purchases, in store (stores.purchases) and online (webshop.purchases), each line
also a sale of tagged goods for the EPCIS stream (supplychain.epcis.jsonl, written last);
with the bad records planted in them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sample.catalogue import GTINS, RETAIL
from sample.context import WINDOW_DAYS, Person, Sample, Writer
from sample.epcis import Sale, epcis_stream, store_gln

STORES = [store_gln(i) for i in range(1, 21)]  # SGLNs: the same IDs the shelf readers use
PURCHASE_COLUMNS = [
    "purchase_id",
    "customer_id",
    "customer_system",
    "purchased_at",
    "product_id",
    "quantity",
    "amount",
    "currency",
    "department",
    "channel",
    "store_id",
]
RETAIL_BY_ID = {r[0]: r for r in RETAIL}
# (when, store or None online, [(product, quantity)], fate of a documented sale)
Basket = tuple[str, str | None, list[tuple[str, int]], str | None]


def write_purchases(s: Sample) -> None:
    stores = s.writer("stores.purchases.jsonl.gz", PURCHASE_COLUMNS)
    web = s.writer("webshop.purchases.jsonl", PURCHASE_COLUMNS)
    for p in s.people:
        for basket in _showcase_baskets(s, p) + _random_baskets(s, p):
            _write_basket(s, p, basket, web if basket[1] is None else stores)
    _plant_bad_purchases(s, stores)


def _showcase_baskets(s: Sample, p: Person) -> list[Basket]:
    baskets: list[Basket] = []
    for product, days_ago, fate in p.showcase.store_purchases if p.showcase else ():
        day = s.as_of - timedelta(days=days_ago)
        baskets.append((f"{day.isoformat()}T11:05:00Z", STORES[0], [(product, 1)], fate))
    return baskets


def _random_baskets(s: Sample, p: Person) -> list[Basket]:
    rnd = s.rnd
    n = 0 if p.showcase else min(int(rnd.expovariate(1 / 4) * min(p.value_scale, 5)), 40)
    end = p.churned_on or s.as_of
    baskets: list[Basket] = []
    for _ in range(n):
        when = s.time(s.day(s.as_of - timedelta(days=WINDOW_DAYS), end - timedelta(days=1)))
        store = None if rnd.random() < 0.45 else rnd.choice(STORES)
        picked = rnd.sample(RETAIL, rnd.choice([1, 1, 1, 2, 3]))
        lines = [(r[0], rnd.choice([1, 1, 1, 2])) for r in picked]
        baskets.append((when, store, lines, None))
    return baskets


def _write_basket(s: Sample, p: Person, basket: Basket, w: Writer) -> None:
    when, store, items, fate = basket
    online = store is None
    system = "webshop" if online else "stores"
    cid, csys = p.ref(system)
    order = s.next_id("O")
    for product, qty in items:
        _, _, department, price = RETAIL_BY_ID[product]
        s.sales.append(
            Sale(
                order,
                when,
                store,
                product,
                GTINS[product],
                qty,
                _home(p),
                showcase=p.showcase is not None,
                fate=fate,
            )
        )
        w.write(
            {
                "purchase_id": order,
                "customer_id": cid,
                "customer_system": csys if csys != system else None,
                "purchased_at": when,
                "product_id": product,
                "quantity": qty,
                "amount": round(price * qty, 2),
                "currency": "USD",
                "department": department,
                "channel": "web" if online else "store",
                "store_id": store,
            }
        )


def _home(p: Person) -> str:
    return f"https://ckb.example/loc/home/{p.household or p.pid}"


def _plant_bad_purchases(s: Sample, stores: Writer) -> None:
    cid, csys = s.people[0].ref("stores")
    bad: dict[str, Any] = {
        "customer_id": cid,
        "customer_system": csys,
        "purchased_at": "2025-01-01T10:00:00Z",
    }
    s.plant(
        stores,
        {"purchase_id": "O-BAD", **bad, "product_id": "RT-LAMP", "quantity": 0, "amount": 0},
        "quantity below 1",
    )
    s.plant(
        stores,
        {"purchase_id": "O-BAD2", **bad, "product_id": "RT-NOPE", "quantity": 1, "amount": 5},
        "unknown product",
    )


def write_epcis(s: Sample) -> None:
    """Not a record kind: EPCIS events, captured by ``ckb load-dir`` after the records."""
    events = s.writer("supplychain.epcis.jsonl", [])
    for event in epcis_stream(s.seed, s.as_of, s.sales, [r[0] for r in RETAIL]):
        events.write(event)
