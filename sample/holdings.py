"""billing.holdings.csv: the accounts each customer holds, lines chosen with their
affinities, a long tail in how much a customer holds (more accounts, bigger balances),
closed when the customer churned; with the bad records planted in it.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from sample.catalogue import AFFINITY, FLEET_LINES, LINES, MAX_ACCOUNTS, PRICE_SPREAD
from sample.context import Person, Sample, Writer

HOLDING_COLUMNS = [
    "account_id",
    "customer_id",
    "customer_system",
    "product_id",
    "role",
    "status",
    "opened_on",
    "closed_on",
    "balance",
    "monthly_value",
    "currency",
]
CATALOGUE = {pid: (line[0], base) for line in LINES for pid, _, base in line[3]}


def write_holdings(s: Sample) -> None:
    w = s.writer("billing.holdings.csv", HOLDING_COLUMNS)
    for p in s.people:
        closes = _showcase_closes(s, p)
        picks = _showcase_picks(p, closes) if p.showcase else _random_picks(s, p)
        for line, pid, base in picks:
            opened, status, closed = _lifetime(s, p, pid, closes)
            for _ in range(_accounts(s, p, line)):
                account = s.next_id("A")
                p.holdings.append((account, pid, line))
                w.write(_holding_row(s, p, account, pid, line, base, (opened, status, closed)))
    _plant_bad_holdings(s, w)


def _showcase_closes(s: Sample, p: Person) -> dict[str, date]:
    if not p.showcase:
        return {}
    return {pid: s.as_of - timedelta(days=days) for pid, days in p.showcase.closed_products}


def _showcase_picks(p: Person, closes: dict[str, date]) -> list[tuple[str, str, float]]:
    assert p.showcase is not None
    held = [*p.showcase.products, *closes]
    return [(CATALOGUE[pid][0], pid, CATALOGUE[pid][1]) for pid in held]


def _random_picks(s: Sample, p: Person) -> list[tuple[str, str, float]]:
    """(line, product, list price) of a few lines, each next one likelier among the
    affinities of those held; most children hold nothing."""
    rnd = s.rnd
    if p.role == "child" and rnd.random() < 0.8:
        return []
    count = rnd.choices([1, 2, 3, 4, 5, 6], [25, 28, 20, 14, 8, 5])[0]
    chosen: list[str] = []
    for _ in range(count):
        pool = [a for c in chosen for a in AFFINITY.get(c, []) if a not in chosen]
        if pool and rnd.random() < 0.5:
            line = rnd.choice(pool)
        else:
            line = rnd.choice([ln[0] for ln in LINES])
        if line not in chosen:
            chosen.append(line)
    picks = []
    for line in chosen:
        items = next(ln[3] for ln in LINES if ln[0] == line)
        pid, _, base = rnd.choice(items)
        picks.append((line, pid, base))
    return picks


def _lifetime(
    s: Sample, p: Person, pid: str, closes: dict[str, date]
) -> tuple[date, str, date | None]:
    """(opened, status, closed) of a product's accounts."""
    opened = s.days_ago(3000, 60)
    if pid in closes:
        return opened, "closed", closes[pid]
    if p.churned_on:
        return min(opened, p.churned_on - timedelta(days=30)), "closed", p.churned_on
    if not p.showcase and s.rnd.random() < 0.06:
        return opened, "closed", s.day(opened, s.as_of - timedelta(days=1))
    return opened, "active", None


def _holding_row(
    s: Sample,
    p: Person,
    account: str,
    pid: str,
    line: str,
    base: float,
    lifetime: tuple[date, str, date | None],
) -> dict[str, Any]:
    # The long tail lives in how much a customer holds (more accounts, bigger balances),
    # not in a price far above the list: one account costs at most PRICE_SPREAD[1] times
    # its list price.
    opened, status, closed = lifetime
    monthly = round(base * _price_factor(s, p), 2)
    balance = None
    if line == "mortgage":
        balance = -round(monthly * s.rnd.uniform(60, 300), 2)
    elif line in ("savings", "investments"):
        balance = round(monthly * s.rnd.uniform(20, 200) * p.value_scale, 2)
    return {
        "account_id": account,
        "customer_id": p.ids["billing"],
        "product_id": pid,
        "role": "primary",
        "status": status,
        "opened_on": opened.isoformat(),
        "closed_on": closed.isoformat() if closed else None,
        "balance": balance,
        "monthly_value": monthly,
        "currency": "USD",
    }


def _price_factor(s: Sample, p: Person) -> float:
    """What one account costs against its list price: bigger customers take richer
    tariffs, within PRICE_SPREAD."""
    low, high = PRICE_SPREAD
    tariff = min(max(math.sqrt(p.value_scale), 1.0), high / 1.3)
    return min(max(tariff * s.rnd.uniform(0.7, 1.3), low), high)


def _accounts(s: Sample, p: Person, line: str) -> int:
    """How many accounts of one product a customer holds: one for most people; the
    big accounts of the long tail (a business's mobile fleet, a wealthy family's
    portfolio) hold many."""
    if p.value_scale < 8 or line == "mortgage":
        return 1
    many = int(math.log2(p.value_scale)) + s.rnd.randint(0, 3)
    if p.kind == "organization" and line in FLEET_LINES:
        many *= 4
    return min(many, MAX_ACCOUNTS)


def _plant_bad_holdings(s: Sample, w: Writer) -> None:
    first = s.people[0].ids["billing"]
    mobile = {"customer_id": first, "product_id": "MOB-10"}
    s.plant(
        w,
        {"account_id": "A-BAD-1", **mobile, "status": "frozen", "opened_on": "2020-01-01"},
        "unknown enum",
    )
    s.plant(
        w,
        {
            "account_id": "A-BAD-2",
            **mobile,
            "status": "closed",
            "opened_on": "2022-05-01",
            "closed_on": "2021-01-01",
        },
        "closed before opened",
    )
    s.plant(
        w,
        {
            "account_id": "A-BAD-3",
            "customer_id": "B-NOBODY",
            "product_id": "MOB-10",
            "status": "active",
            "opened_on": "2022-05-01",
        },
        "unknown customer",
    )
