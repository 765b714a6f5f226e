"""The JSON texts the embedded store keeps properties in, and rows staged as texts ahead.

A node's or relationship's properties are one JSON object in its row. A write stages
each row as two texts: the patch merged into an existing row (SQLite's ``json_patch``:
given values win, ``null`` removes) and the fresh text a new row is inserted with.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import Any

import orjson

from graph.store import Properties, PropertyValue

# What a loader stages ahead of the store, perhaps in another process (loaders/staging.py):
# a node as (key, patch, fresh), a relationship as (src, dst, rkey, patch, fresh), the
# texts made by ``staged_texts`` with the touch properties the write is given.
StagedNode = tuple[str, str, str]
StagedRel = tuple[str, str, str, str, str]


def dumps(props: Properties) -> str:
    return orjson.dumps(props).decode() if props else "{}"


def loads(text: str) -> dict[str, PropertyValue]:
    if text == "{}":
        return {}
    loaded: dict[str, PropertyValue] = orjson.loads(text)
    return loaded


def json_list(values: Iterable[str]) -> str:
    return orjson.dumps(list(values)).decode()


def staged_texts(props: Properties, touch: dict[str, PropertyValue]) -> tuple[str, str]:
    """(patch, fresh) texts of one row: the same text when it removes nothing and the
    touch adds nothing. Key order matches json_patch's (a touch key already present keeps
    its place), so a fresh row reads back as the merge of its patch would write it."""
    patch = dumps(props)
    if not touch and None not in props.values():
        return patch, patch
    fresh = {k: v for k, v in props.items() if v is not None}
    fresh.update(touch)
    return patch, dumps(fresh)


def fold_staged(
    rows: Iterable[tuple[Any, ...]], width: int, touch: dict[str, PropertyValue]
) -> list[tuple[Any, ...]]:
    """Staged rows with repeated identities (the first ``width`` fields) folded into one,
    a later row merging over an earlier one as prepare_nodes and prepare_rels fold them."""
    rows = rows if isinstance(rows, list) else list(rows)
    if len(set(map(itemgetter(*range(width)), rows))) == len(rows):
        return rows  # the common case: nothing to fold
    by_id: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        ident = row[:width]
        seen = by_id.get(ident)
        if seen is None:
            by_id[ident] = row
        else:  # rare: the same key twice in one batch
            merged = {**loads(seen[width]), **loads(row[width])}
            by_id[ident] = (*ident, *staged_texts(merged, touch))
    return list(by_id.values())
