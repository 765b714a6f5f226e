"""GraphQL types read straight off a stored node: the type's own fields say which
properties it shows, so no list of them is kept beside it."""

from __future__ import annotations

from typing import Any, TypeVar

from strawberry.types.base import get_object_definition
from strawberry.types.private import is_private

from graph.store import Node

T = TypeVar("T")


def plain_fields(kind: type[Any]) -> list[str]:
    """The fields of a strawberry type that hold a value: not a resolver, not private."""
    return [
        field.python_name
        for field in get_object_definition(kind, strict=True).fields
        if field.base_resolver is None and not is_private(field.type)
    ]


def from_node(kind: type[T], node: Node) -> T:
    """An instance of a strawberry type whose plain fields are the node's key (``id``)
    and its properties of the same names (absent ones null); fields with a resolver are
    the type's own business."""
    return kind(**{f: node.key if f == "id" else node.props.get(f) for f in plain_fields(kind)})
