"""The shelf roll-up written: the ShelfActivity (hour) and ShelfDay counters a capture
batch's shelf signals move, the buckets they first count in created and linked to their
shelf, store and product. The counting rules are epcis/shelf_signals.py's; this module
reads and writes the store, inside the batch's transaction (epcis/writing.py).
"""

from __future__ import annotations

from typing import Any

from epcis.shelf_signals import (
    Activity,
    Seen,
    activity_of,
    day_of,
    deltas,
    dump_counts,
    load_counts,
    next_day,
    store_bucket,
)
from epcis.staging import (
    NO_PROPS,
    put_nodes,
    put_relationships,
    refix_shelf_counts,
    staged_node,
)
from graph.embedded import StagedNode
from graph.store import GraphStore, Node, RelRow


def shelf_moves(rows: dict[str, Any], events: dict[str, Node]) -> dict[str, tuple[int, int]]:
    """How this capture moves the shelf counters (``events``: the batch's events the store
    held before it); each shelf event's counts fixed on it."""
    batch = {eid: Seen(*state) for eid, state in rows["shelf"].items()}
    stored = {
        key: Seen(load_counts(node.props.get("shelf_counts")), node.props.get("retracted") is True)
        for key, node in events.items()
        if key in batch
    }
    # The batch fixed each event's counts as this capture's (epcis/staging.py); the
    # counts of an event's first capture stay with it, whatever a repeat says.
    refix_shelf_counts(
        rows,
        {
            eid: fixed
            for eid, seen in stored.items()
            if (fixed := dump_counts(seen.counts)) != dump_counts(batch[eid].counts)
        },
    )
    return deltas(batch, stored)


def roll_up(
    store: GraphStore,
    moves: dict[str, tuple[int, int]],
    activities: dict[str, str],
    products: dict[str, str],
) -> None:
    """Add the moves to the ShelfActivity counters, creating buckets as they first count,
    and to their ShelfDay counters."""
    current = store.get_nodes("ShelfActivity", sorted(moves))
    # The days first: a day met for the first time starts from the hours already held.
    _roll_up_days(store, *_days(moves, activities, current))
    updates: list[StagedNode] = []
    fresh: list[Activity] = []  # buckets counted in for the first time
    for key, (up, down) in sorted(moves.items()):
        node = current.get(key)
        old_up, old_down = _counts(node) if node else (0, 0)
        row: dict[str, Any] = {"id": key, "pickups": old_up + up, "putdowns": old_down + down}
        if node is None:
            a = activity_of(key, activities[key])
            fresh.append(a)
            row |= {
                "gtin": a.gtin,
                "shelf": a.shelf,
                "store": a.store,
                "bucket_start": a.bucket_start,
                "store_bucket": store_bucket(a.store, a.bucket_start),
            }
        updates.append(staged_node(row, "id"))
    # Counters and keys made here, of the model's names and types: staged as they are.
    put_nodes(store, "ShelfActivity", updates)
    _link_new_buckets(store, fresh, products)


def _link_new_buckets(store: GraphStore, fresh: list[Activity], products: dict[str, str]) -> None:
    """Buckets counted in for the first time: AT their shelf, OF_PRODUCT their product, the
    shelf LOCATED_IN its store."""
    put_relationships(
        store, ("AT", "ShelfActivity", "Location"), [(a.id, a.shelf, "", *NO_PROPS) for a in fresh]
    )
    put_relationships(
        store,
        ("OF_PRODUCT", "ShelfActivity", "Product"),
        [(a.id, products[a.gtin], "", *NO_PROPS) for a in fresh if a.gtin in products],
    )
    # A store's rows are all alike: once each (the store would fold them into one).
    stores = dict.fromkeys(a.store for a in fresh if a.store != a.shelf)
    store.upsert_nodes("Location", [{"id": key} for key in stores])
    store.upsert_relationships(
        "LOCATED_IN",
        "Location",
        "Location",
        [
            RelRow(shelf, site)
            for shelf, site in sorted({(a.shelf, a.store) for a in fresh})
            if shelf != site
        ],
    )


def _days(
    moves: dict[str, tuple[int, int]], activities: dict[str, str], hours: dict[str, Node]
) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
    """How the ShelfDay counters move when the hourly ones move by ``moves``, and the
    store of each day they fall on (day ID -> store)."""
    moved: dict[str, tuple[int, int]] = {}
    stores: dict[str, str] = {}
    for key, (up, down) in moves.items():
        day = day_of(key)[0]
        old_up, old_down = moved.get(day, (0, 0))
        moved[day] = (old_up + up, old_down + down)
        if day not in stores:
            node = hours.get(key)
            where = activities[key] if key in activities else node and node.props.get("store")
            stores[day] = str(where)
    return moved, stores


def _roll_up_days(
    store: GraphStore, moved: dict[str, tuple[int, int]], stores: dict[str, str]
) -> None:
    """Add the days' moves to their ShelfDay counters. A day not held yet starts from the
    sum of its hours the store holds already, so a store captured before days were kept
    gets each day right the first time it is counted into again."""
    days = store.get_nodes("ShelfDay", sorted(moved))
    base = _held_days({(stores[d], d.rsplit("@", 1)[1]) for d in moved if d not in days}, store)
    rows: list[StagedNode] = []
    for day, (up, down) in sorted(moved.items()):
        node = days.get(day)
        old = _counts(node) if node is not None else base.get(day, (0, 0))
        row: dict[str, Any] = {"id": day, "pickups": old[0] + up, "putdowns": old[1] + down}
        if node is None:
            gtin, rest = day.split("@", 1)
            shelf, date = rest.rsplit("@", 1)
            row |= {"gtin": gtin, "shelf": shelf, "store": stores[day], "day": date,
                    "store_day": store_bucket(stores[day], date)}  # fmt: skip
        rows.append(staged_node(row, "id"))
    put_nodes(store, "ShelfDay", rows)


def _held_days(store_days: set[tuple[str, str]], store: GraphStore) -> dict[str, tuple[int, int]]:
    """Per day ID, the sum of the hours the store holds on these (store, day)s."""
    sums: dict[str, tuple[int, int]] = {}
    for place, date in sorted(store_days):
        held = store.find_range(
            "ShelfActivity",
            "store_bucket",
            store_bucket(place, date),
            store_bucket(place, next_day(date)),
            limit=10**8,
        )
        for hour in held:
            day = day_of(hour.key)[0]
            up, down = sums.get(day, (0, 0))
            more = _counts(hour)
            sums[day] = (up + more[0], down + more[1])
    return sums


def _counts(node: Node) -> tuple[int, int]:
    """(pickups, putdowns) of a ShelfActivity or ShelfDay."""
    return int(node.props.get("pickups", 0)), int(node.props.get("putdowns", 0))  # type: ignore[arg-type]
