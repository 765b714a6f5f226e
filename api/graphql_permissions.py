"""Field permissions: who may resolve what (the role table is in docs/api.md).

A refused field answers ``null`` with a precise error naming the roles it needs; the rest
of the response still resolves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from api.auth import Role

F = TypeVar("F", bound=Callable[..., Any])

READERS = (Role.AGENT, Role.ANALYST)
ANALYSTS = (Role.ANALYST,)
ADMINS: tuple[Role, ...] = ()  # admin is always allowed
AGENT_WRITERS = (Role.AGENT, Role.LOADER)
LOADERS = (Role.LOADER,)


def needs(*roles: Role) -> list[type[BasePermission]]:
    """A permission class allowing these roles (and admin)."""

    class Needs(BasePermission):
        message = "not allowed"

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            # Raised, not returned: the message names this field and the caller's roles.
            info.context.principal.require(roles, f"{info.path.typename}.{info.field_name}")
            return True

    Needs.__name__ = f"Needs{''.join(r.title() for r in roles) or 'Admin'}"
    return [Needs]


def field_for(*roles: Role) -> Callable[[F], F]:
    """``@strawberry.field`` resolvable only by these roles (and admin)."""
    return cast(Callable[[F], F], strawberry.field(permission_classes=needs(*roles)))
