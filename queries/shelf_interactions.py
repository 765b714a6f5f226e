"""shelf_interactions: pick-ups, put-downs and pick-up-to-purchase conversion at a store.

Reads the counts capture keeps (epcis/shelf_signals.py), never the raw shelf events: the
window's whole days from the daily ShelfDay buckets and the hours around them from the
hourly ShelfActivity ones, so a store-month is a few hundred rows whatever the read volume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypedDict

from epcis.epc import canonical_epc
from epcis.shelf_signals import store_bucket
from epcis.store_sales import kept, sales_of
from epcis.values import utc_time
from graph.store import GraphStore, Node
from queries.base import QueryParameterError
from queries.engine import named_query


def _moment(value: Any) -> Any:
    """An ISO date stays a date (it sorts before every time that day); a date-time is
    read in UTC, as bucket and purchase times are stored."""
    if isinstance(value, str) and "T" in value:
        return utc_time(value.strip())
    return value.strip() if isinstance(value, str) else value


def prepare_shelf(params: dict[str, Any]) -> dict[str, Any]:
    store, start, end = params.get("store"), _moment(params.get("from")), _moment(params.get("to"))
    if not isinstance(store, str) or not isinstance(start, str) or not isinstance(end, str):
        return params
    if not store.strip():
        raise QueryParameterError("store must not be empty")
    key = canonical_epc(store)
    low, high = store_bucket(key, start), store_bucket(key, end)
    days = full_days(start, end)
    if days is None:  # hours only: the head runs to the end, no days, no tail
        edges = {"headHigh": high, "dayLow": high, "dayHigh": high, "tailLow": high}
    else:
        first, after = (store_bucket(key, d) for d in days)
        edges = {"headHigh": first, "dayLow": first, "dayHigh": after, "tailLow": after}
    sales = sale_days(start, end)
    if sales is None:  # purchases only: read from low to high, no days, no tail
        edges |= {"saleDayLow": high, "saleDayHigh": high}
    else:
        edges |= {
            "saleDayLow": store_bucket(key, sales[0]),
            "saleDayHigh": store_bucket(key, sales[1]),
        }
    return {**params, "from": start, "to": end, "storeKey": key, "low": low, "high": high, **edges}


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def full_days(start: str, end: str) -> tuple[str, str] | None:
    """The first day and the day after the last whose every hour starts in [start, end)
    (compared as the buckets' hours are, as text), or None when no day is whole: those
    days are read from ShelfDay, the hours around them from ShelfActivity."""
    if not (_DATE.match(start) and _DATE.match(end)):
        return None
    try:
        first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    except ValueError:
        return None
    one = timedelta(days=1)
    try:
        if f"{first.isoformat()}T00:00:00Z" < start:
            first += one
        if not f"{last.isoformat()}T23:00:00Z" < end:
            last -= one
        after = last + one
    except OverflowError:  # the first or last day there is
        return None
    if first > last:
        return None
    return first.isoformat(), after.isoformat()


def sale_days(start: str, end: str) -> tuple[str, str] | None:
    """The first day and the day after the last whose every purchase time lies in
    [start, end) (as the ``store_sale`` keys compare, as text), or None when no day is
    whole: those days are read from StoreSalesDay, the purchases around them one by one."""
    if not (_DATE.match(start) and _DATE.match(end)):
        return None
    try:
        first, after = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
        if first.isoformat() < start:  # a time that day: the day is not whole
            first += timedelta(days=1)
    except (ValueError, OverflowError):
        return None
    return (first.isoformat(), after.isoformat()) if first < after else None


def check_shelf(params: dict[str, Any]) -> None:
    if not params["from"] < params["to"]:
        raise QueryParameterError("from must be before to")


class ShelfCountRow(TypedDict):
    shelf: str
    name: Any  # the shelf's stored name
    pickups: int
    putdowns: int


class InteractionRow(TypedDict):
    gtin: str
    productId: str | None
    productName: Any  # the product's stored name
    pickups: int
    putdowns: int
    purchased: int
    shelves: list[ShelfCountRow]


@dataclass(frozen=True, slots=True)
class ShelfCount:
    shelf: str
    pickups: int
    putdowns: int
    name: str | None = None  # the shelf's, from EPCIS master data


@dataclass(frozen=True, slots=True)
class ShelfInteraction:
    """One product at one store over [from, to): shelf reads and what sold."""

    gtin: str
    product_id: str | None
    product_name: str | None
    pickups: int
    putdowns: int
    purchased: int  # units of the product in purchases at the store in the window
    conversion: float | None  # purchased / pickups, 4 places; None without pick-ups
    shelves: tuple[ShelfCount, ...]  # the same counts per shelf, by shelf


def to_interactions(rows: list[InteractionRow]) -> list[ShelfInteraction]:
    result = []
    for r in rows:
        pickups, purchased = int(r["pickups"]), int(r["purchased"] or 0)
        result.append(
            ShelfInteraction(
                r["gtin"],
                r["productId"],
                r["productName"],
                pickups,
                int(r["putdowns"]),
                purchased,
                round(purchased / pickups, 4) if pickups else None,
                tuple(
                    ShelfCount(s["shelf"], int(s["pickups"]), int(s["putdowns"]), s["name"])
                    for s in sorted(r["shelves"], key=lambda s: str(s["shelf"]))
                ),
            )
        )
    return sorted(result, key=lambda i: i.gtin)


def _buckets(graph: GraphStore, params: dict[str, Any]) -> list[Node]:
    """The window's counts: the whole days' ShelfDay rows and the hours around them."""
    found = []
    for label, prop, low, high in (
        ("ShelfActivity", "store_bucket", params["low"], params["headHigh"]),
        ("ShelfDay", "store_day", params["dayLow"], params["dayHigh"]),
        ("ShelfActivity", "store_bucket", params["tailLow"], params["high"]),
    ):
        if low < high:
            found += graph.find_range(label, prop, low, high, limit=10**8)
    return found


@named_query("shelf_interactions", to_interactions, check_shelf, prepare_shelf)
def shelf_interactions(graph: GraphStore, /, **params: Any) -> list[InteractionRow]:
    buckets = _buckets(graph, params)
    wanted: str | None = None
    if params["product"]:
        product = graph.get_node("Product", params["product"])
        wanted = str(product.props.get("gtin")) if product and product.props.get("gtin") else None
        if wanted is None:
            return []
    per_shelf: dict[str, dict[str, list[int]]] = {}
    for b in buckets:
        gtin = str(b.props.get("gtin"))
        if wanted is None or gtin == wanted:
            counts = per_shelf.setdefault(gtin, {}).setdefault(str(b.props.get("shelf")), [0, 0])
            counts[0] += int(b.props.get("pickups", 0))  # type: ignore[arg-type]
            counts[1] += int(b.props.get("putdowns", 0))  # type: ignore[arg-type]
    sold = _store_sales(graph, params)
    shelves = graph.get_nodes("Location", sorted({s for c in per_shelf.values() for s in c}))
    rows: list[InteractionRow] = []
    for gtin in sorted(per_shelf):
        found = graph.find_nodes("Product", "gtin", gtin, limit=1)
        product = found[0] if found else None
        by_shelf = sorted(per_shelf[gtin].items())
        rows.append(
            {
                "gtin": gtin,
                "productId": product.key if product else None,
                "productName": product.props.get("name") if product else None,
                "pickups": sum(c[0] for _, c in by_shelf),
                "putdowns": sum(c[1] for _, c in by_shelf),
                "purchased": 0 if product is None else sold.get(product.key, 0),
                "shelves": [
                    {
                        "shelf": shelf,
                        "name": shelves[shelf].props.get("name") if shelf in shelves else None,
                        "pickups": c[0],
                        "putdowns": c[1],
                    }
                    for shelf, c in by_shelf
                ],
            }
        )
    return rows


def _store_sales(graph: GraphStore, params: dict[str, Any]) -> dict[str, int]:
    """Units per product in purchases made at the store in [from, to): the whole days
    from StoreSalesDay (one range read), the purchases before and after them by their
    ``store_sale`` keys (store|time, as the buckets' are) and then their lines."""
    units: dict[str, int] = {}
    low, high = params["saleDayLow"], params["saleDayHigh"]
    if not kept(graph):  # a store written before the roll-up: its purchases, one by one
        low = high = params["high"]
    if low < high:
        for day in graph.find_range("StoreSalesDay", "store_day", low, high, limit=10**8):
            product, sold = day.props.get("product"), day.props.get("units")
            if isinstance(product, str) and isinstance(sold, int):
                units[product] = units.get(product, 0) + sold
    made: list[str] = []
    for start, stop in ((params["low"], low), (high, params["high"])):
        if start < stop:
            found = graph.find_range("Purchase", "store_sale", start, stop, limit=10**8)
            made += [n.key for n in found]
    for (_, _, product), (sold, _) in sales_of(graph, made).items():
        units[product] = units.get(product, 0) + sold
    return units
