"""Checks every row against the model before any store sees it.

Both adapters call these, so a row one store would take and the other refuse cannot exist.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from graph.errors import InvalidWriteError, SchemaError
from graph.schema import GraphSchema, NodeType, RelType
from graph.store import Properties, PropertyValue, RelRow

Props = dict[str, PropertyValue]
Update = dict[str, PropertyValue | None]  # None removes the property

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_SCALARS = (str, bool, int, float)


# NamedTuples built with _make (tuple.__new__, in C): a bulk load prepares millions.
class PreparedNode(NamedTuple):
    key: str
    props: Update  # includes the key property


class PreparedRel(NamedTuple):
    src: str
    dst: str
    # Values of the relationship type's key properties, in the order the type declares them.
    rkey: tuple[str, ...]
    props: Update


def check_value(where: str, name: str, value: object) -> None:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return
    if kind is float:
        if not math.isfinite(value):  # type: ignore[arg-type]
            raise InvalidWriteError(f"{where}: {name!r} is not a finite number")
        return
    # Subclasses (IntEnum, numpy scalars registered as numbers ...) take the slow path.
    if isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise InvalidWriteError(f"{where}: {name!r} is outside the 64-bit integer range")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidWriteError(f"{where}: {name!r} is not a finite number")
        return
    if isinstance(value, list):
        kinds = {_scalar_kind(v) for v in value}
        if None in kinds:
            raise InvalidWriteError(
                f"{where}: {name!r} lists may hold only strings, numbers or booleans"
            )
        if len(kinds) > 1 and kinds != {"int", "float"}:
            raise InvalidWriteError(
                f"{where}: {name!r} mixes {sorted(map(str, kinds))} in one list"
            )
        for v in value:
            check_value(where, name, v)
        return
    raise InvalidWriteError(
        f"{where}: {name!r} has type {type(value).__name__}; "
        "store strings, numbers, booleans or lists of one of those"
    )


def _scalar_kind(value: object) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return None


_PLAIN = frozenset({str, bool, type(None)})


def _check_props(where: str, allowed: frozenset[str], props: Properties) -> None:
    # Every row of a bulk load passes here: the common case (known names, strings, booleans
    # and blanks) is one set comparison and one pass over the value types.
    if not allowed.issuperset(props):
        unknown = sorted(set(props) - allowed)[0]
        raise InvalidWriteError(f"{where}: unknown property {unknown!r} (see docs/schema.md)")
    if not _PLAIN.issuperset(map(type, props.values())):
        for name, value in props.items():
            if type(value) not in _PLAIN:
                check_value(where, name, value)


def prepare_nodes(node_type: NodeType, rows: Iterable[Properties]) -> list[PreparedNode]:
    """Validate rows and fold repeated keys (a later row merges over an earlier one)."""
    allowed = frozenset(node_type.property_names)
    key_prop = node_type.key
    label = node_type.label
    by_key: dict[str, tuple[str, Update]] = {}
    for i, row in enumerate(rows):
        key = row.get(key_prop)
        if type(key) is not str or not key:
            raise InvalidWriteError(
                f"{label} row {i}: key property {key_prop!r} must be a non-empty string"
            )
        _check_props(f"{label} row {i}", allowed, row)
        seen = by_key.get(key)
        if seen is None:
            # The caller's dict, not a copy: stores only read it (a repeat gets a new dict).
            by_key[key] = (key, row if type(row) is dict else dict(row))
        else:
            by_key[key] = (key, {**seen[1], **row})
    return list(map(PreparedNode._make, by_key.values()))


def prepare_rels(rel: RelType, rows: Iterable[RelRow]) -> list[PreparedRel]:
    """Validate rows and fold repeated relationships (same endpoints and key properties)."""
    allowed = frozenset(rel.property_names)
    rel_key = rel.key
    by_id: dict[tuple[str, str, tuple[str, ...]], tuple[str, str, tuple[str, ...], Update]] = {}
    for i, (src, dst, props) in enumerate(rows):
        if type(src) is not str or not src or type(dst) is not str or not dst:
            end = "src" if type(src) is not str or not src else "dst"
            raise InvalidWriteError(f"{rel.type} row {i}: {end} key must be a non-empty string")
        if props:
            _check_props(f"{rel.type} row {i}", allowed, props)
        rkey: tuple[str, ...] = ()
        if rel_key:
            values = tuple(props.get(k) for k in rel_key)
            for k, v in zip(rel_key, values, strict=True):
                if type(v) is not str or not v:
                    raise InvalidWriteError(
                        f"{rel.type} row {i}: key property {k!r} must be a non-empty string"
                    )
            rkey = values  # type: ignore[assignment]
        ident = (src, dst, rkey)
        seen = by_id.get(ident)
        if seen is None:
            by_id[ident] = (src, dst, rkey, props if type(props) is dict else dict(props))
        else:
            by_id[ident] = (src, dst, rkey, {**seen[3], **props})
    return list(map(PreparedRel._make, by_id.values()))


def check_lookup(node_type: NodeType, prop: str, value: PropertyValue) -> None:
    """Lookups go through the key or an indexed property, never a label scan."""
    if prop != node_type.key and prop not in node_type.indexed:
        raise SchemaError(
            f"{node_type.label}.{prop} is not indexed; look up by {node_type.key} or one of "
            f"{', '.join(node_type.indexed) or 'no other property'}"
        )
    if isinstance(value, list):
        raise InvalidWriteError("find_nodes takes a single value, not a list")


def check_range_lookup(
    node_type: NodeType, prop: str, low: PropertyValue | None, high: PropertyValue | None
) -> None:
    """Range scans run on an indexed property other than the key, with scalar bounds of
    one type."""
    if prop == node_type.key:
        raise SchemaError(f"range search on the key {node_type.label}.{prop}: use keys_page")
    bounds = [b for b in (low, high) if b is not None]
    if not bounds:
        raise InvalidWriteError("find_range needs a low or a high bound")
    for bound in bounds:
        check_lookup(node_type, prop, bound)
    if len(bounds) == 2 and value_kind(bounds[0]) != value_kind(bounds[1]):
        raise InvalidWriteError("find_range bounds must be of one type")


def value_kind(value: PropertyValue) -> str:
    """Values of one kind compare with each other: bool, number, str."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def check_prefix_lookup(node_type: NodeType, prop: str, prefix: str) -> None:
    """Prefix search runs on an indexed property other than the key."""
    check_lookup(node_type, prop, prefix)
    if prop == node_type.key:
        raise SchemaError(f"prefix search on the key {node_type.label}.{prop} is not supported")


_TERM = re.compile(r"[^\W_]+")


def check_terms_lookup(node_type: NodeType, prop: str, terms: Sequence[str]) -> list[str]:
    """Term search runs on a term-indexed property; terms are single words (letters and
    digits only, so no term can carry query syntax into a full-text index). Returns the
    distinct terms, sorted."""
    if prop not in node_type.terms:
        raise SchemaError(
            f"{node_type.label}.{prop} is not term-indexed; term-indexed: "
            f"{', '.join(node_type.terms) or 'none'}"
        )
    if isinstance(terms, str):
        raise InvalidWriteError("find_terms takes a list of terms, not one string")
    for term in terms:
        if not isinstance(term, str) or not _TERM.fullmatch(term):
            raise InvalidWriteError(f"search term {term!r} must be letters and digits only")
    return sorted(set(terms))


def check_neighbour_query(
    model: GraphSchema, label: str, rel_type: str | None, other_label: str | None
) -> None:
    model.node(label)
    if rel_type is not None:
        model.relationship(rel_type)
    if other_label is not None:
        model.node(other_label)


def prepare_touch(
    where: str, allowed: frozenset[str] | tuple[str, ...], touch: Properties | None
) -> Props:
    """Validate the properties an upsert sets only on created or changed rows."""
    if not touch:
        return {}
    _check_props(f"{where} touch", frozenset(allowed), touch)
    return {k: v for k, v in touch.items() if v is not None}
