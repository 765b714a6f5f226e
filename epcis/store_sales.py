"""Daily store sales: the units of each product sold at each store in each UTC day.

A store-month of shelf interactions compares pick-ups with what sold; reading the month's
purchases and then each one's lines costs a read per purchase (thousands), so the
purchase loader keeps one StoreSalesDay per (store, UTC day, product) beside them: the
month is ~30 rows per product.

Kept exact by difference, not by counting arrivals: a write of purchases reads what
those purchases counted for before it (their store, day and lines as stored) and after
it, and moves the days by the difference. So a purchase loaded again changes nothing, a
line whose quantity changed moves by the change, a purchase whose time or store changed
moves from its old day to its new one, and an erased purchase takes back what it counted.
A store loaded before the days were kept gets them all at its next purchase write (or
from :func:`rebuild`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from epcis.shelf_signals import store_bucket
from graph.store import GraphStore, PropertyValue

# (store, UTC day, product ID) -> [units, lines]
Sales = dict[tuple[str, str, str], list[int]]

_MANY = 10**9


@dataclass(frozen=True, slots=True)
class SaleAt:
    """Where and when a store purchase was made, from its ``store_sale`` key."""

    store: str
    day: str


def sale_at(store_sale: object) -> SaleAt | None:
    """The store and UTC day of a ``store_sale`` key (store|purchased_at); None for a
    purchase not made at a store. A time holds no ``|``; a store ID may."""
    if not isinstance(store_sale, str) or "|" not in store_sale:
        return None
    store, when = store_sale.rsplit("|", 1)
    return SaleAt(store, when[:10]) if len(when) >= 10 else None


def day_id(store: str, day: str, product: str) -> str:
    return f"{store_bucket(store, day)}|{product}"


def sales_of(graph: GraphStore, purchases: Iterable[str]) -> Sales:
    """What these purchases count for, as the store holds them now: their lines' units
    and line count per (store, day, product). Two reads, whatever the number of purchases."""
    sales: Sales = {}
    keys = sorted(set(purchases))
    if not keys:
        return sales
    nodes = graph.get_nodes("Purchase", keys)
    made = {k: at for k, n in nodes.items() if (at := sale_at(n.props.get("store_sale")))}
    if not made:
        return sales
    # Only the lines: a purchase's other relationships (its customer, its store) are not
    # read (a quarter less CPU than reading every relationship of the batch's purchases).
    lines = graph.neighbours_many(
        "Purchase", sorted(made), "INCLUDES", "out", "Product", limit=_MANY
    )
    for key, found in lines.items():
        at = made[key]
        for line in found:
            quantity = line.edge.props.get("quantity")
            if isinstance(quantity, int):
                entry = sales.setdefault((at.store, at.day, line.node.key), [0, 0])
                entry[0] += quantity
                entry[1] += 1
    return sales


def settle(graph: GraphStore, before: Sales, after: Sales) -> int:
    """Move the StoreSalesDay rows by ``after - before``; a row that falls to no lines
    goes. Returns how many rows moved."""
    moved: dict[tuple[str, str, str], tuple[int, int]] = {}
    for key in set(before) | set(after):
        old, new = before.get(key, [0, 0]), after.get(key, [0, 0])
        if old != new:
            moved[key] = (new[0] - old[0], new[1] - old[1])
    if not moved:
        return 0
    ids = {day_id(*key): key for key in moved}
    held = graph.get_nodes("StoreSalesDay", sorted(ids))
    rows: list[dict[str, PropertyValue]] = []
    gone: list[str] = []
    for row_id, (store, day, product) in sorted(ids.items()):
        node = held.get(row_id)
        units, lines = moved[(store, day, product)]
        if node is not None:
            units += _int(node.props.get("units"))
            lines += _int(node.props.get("lines"))
        if lines <= 0:
            gone.append(row_id)
            continue
        rows.append(
            {
                "id": row_id,
                "store": store,
                "day": day,
                "store_day": store_bucket(store, day),
                "product": product,
                "units": units,
                "lines": lines,
            }
        )
    if rows:
        graph.upsert_nodes("StoreSalesDay", rows)
    if gone:
        graph.delete_nodes("StoreSalesDay", gone)
    return len(moved)


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


class SalesWrite:
    """A write of purchases keeping their days: ``SalesWrite(graph, ids)`` before the
    write (in its transaction), ``.done()`` after it."""

    def __init__(self, graph: GraphStore, purchases: Sequence[str]) -> None:
        self._graph = graph
        self._purchases = list(purchases)
        if self._purchases and not kept(graph):
            rebuild(graph)  # a store loaded before the days were kept: made once, here
        self._before = sales_of(graph, self._purchases)

    def done(self) -> int:
        return settle(self._graph, self._before, sales_of(self._graph, self._purchases))


def kept(graph: GraphStore) -> bool:
    """Whether the store's days are kept: it has a StoreSalesDay, or no store purchase
    (two index probes). A store whose store purchases have no lines reads as not kept."""
    if graph.find_range("StoreSalesDay", "store_day", "", limit=1):
        return True
    return not graph.find_range("Purchase", "store_sale", "", limit=1)


def rebuild(graph: GraphStore, page: int = 5000) -> int:
    """Every StoreSalesDay computed again from the store purchases (for purchases written
    around the loader, or a store kept before the roll-up). Returns the rows kept."""
    stale = [n.key for n in graph.find_range("StoreSalesDay", "store_day", "", limit=_MANY)]
    if stale:
        graph.delete_nodes("StoreSalesDay", stale)
    made = [n.key for n in graph.find_range("Purchase", "store_sale", "", limit=_MANY)]
    total: Sales = {}
    for start in range(0, len(made), page):
        for key, (units, lines) in sales_of(graph, made[start : start + page]).items():
            entry = total.setdefault(key, [0, 0])
            entry[0] += units
            entry[1] += lines
    return settle(graph, {}, total)
