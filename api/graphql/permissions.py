"""Field permissions: who may resolve what (the role table is in docs/api.md).

A refused field answers ``null`` with a precise error naming the roles it needs; the rest
of the response still resolves.

Introspection (``__schema``, ``__type``; ``__typename`` is always allowed) is open to whom
``CKB_INTROSPECTION`` says: ``authenticated`` (the default: any caller with a valid key or
token, as GraphiQL's user is), ``on`` (anyone), ``off`` (nobody). A refused request does
not run at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from typing import Any, TypeVar, cast

import strawberry
from graphql import DocumentNode, FieldNode, GraphQLError, Visitor, visit
from graphql.language import BREAK
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.types import Info

from api.auth import AuthConfigError, Principal, Role
from api.graphql.document_memo import DocumentMemo
from api.graphql.limits import INTROSPECTION_ROOTS

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


# ----------------------------------------------------------------------------- introspection

INTROSPECTION_ENV = "CKB_INTROSPECTION"


class Introspection(StrEnum):
    OFF = "off"
    AUTHENTICATED = "authenticated"
    ON = "on"


def introspection_from_env(environ: Mapping[str, str] = os.environ) -> Introspection:
    raw = environ.get(INTROSPECTION_ENV, "").strip().lower() or Introspection.AUTHENTICATED
    try:
        return Introspection(raw)
    except ValueError:
        raise AuthConfigError(
            f"{INTROSPECTION_ENV}={raw!r}: use off, authenticated or on"
        ) from None


class _Introspects(Visitor):
    found = False

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        if node.name.value in INTROSPECTION_ROOTS:
            self.found = True
            return BREAK
        return None


def introspects(document: DocumentNode) -> bool:
    """Whether any operation or fragment of the document asks for the schema."""
    visitor = _Introspects()
    visit(document, visitor)
    return visitor.found


# A repeated operation's document comes back from the parser cache: its answer is worked out
# once (a walk of the whole document costs more than a small query's resolvers).
_INTROSPECTS: DocumentMemo[bool] = DocumentMemo()


def introspects_cached(document: DocumentNode) -> bool:
    """``introspects``, remembered per document (``DocumentMemo``)."""
    found = _INTROSPECTS.get(document)
    if found is None:
        found = introspects(document)
        _INTROSPECTS.put(found, document)
    return found


class IntrospectionGate(SchemaExtension):
    """Refuses introspection the policy does not allow, after validation, before any
    resolver runs."""

    def __init__(self, policy: Introspection) -> None:
        self.policy = policy

    def on_validate(self) -> Iterator[None]:
        # Before yielding, as QueryCostLimiter does (listed earlier, it has validated).
        context = self.execution_context
        document = context.graphql_document
        if (
            self.policy is not Introspection.ON
            and document is not None
            and not context.pre_execution_errors
            and introspects_cached(document)
        ):
            refusal = self._refusal(getattr(context.context, "principal", None))
            if refusal is not None:
                context.pre_execution_errors = [refusal]
        yield

    def _refusal(self, principal: object) -> GraphQLError | None:
        if self.policy is Introspection.OFF:
            return GraphQLError(
                f"introspection is off on this server ({INTROSPECTION_ENV}=off)",
                extensions={"code": "INTROSPECTION_DISABLED"},
            )
        if isinstance(principal, Principal) and principal.via != "anonymous":
            return None
        return GraphQLError(
            "introspection needs authentication: send Authorization: Bearer <API key or JWT>",
            extensions={"code": "FORBIDDEN"},
        )
