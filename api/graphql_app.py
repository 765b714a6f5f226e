"""The GraphQL endpoint: the schema behind limits, caches and masked errors.

Limits refuse a request at validation, before any store call: nesting depth, tokens,
aliases. Parser and validation caches keep the fixed cost per repeated operation small.
Errors from ckb itself (a bad parameter, an unknown customer ID format) reach the client
as they are — precise and safe; anything else is masked ("Unexpected error.") so no stack
trace or internal detail leaks.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from graphql import GraphQLError
from strawberry.asgi import GraphQL
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema import Schema

from api.graphql_metrics import GraphQLMetrics
from api.graphql_schema import Query
from graph.errors import CkbError

MAX_DEPTH = 8
MAX_TOKENS = 2000
MAX_ALIASES = 15


def _internal(error: GraphQLError) -> bool:
    """Mask everything but ckb's own errors and GraphQL's validation messages."""
    original = error.original_error
    return original is not None and not isinstance(original, CkbError)


def build_schema(max_depth: int = MAX_DEPTH) -> Schema:
    # Factories: a fresh extension per request (strawberry keeps the parser and
    # validation caches at module level, so they last across requests all the same).
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: MaskErrors(should_mask_error=_internal),
        GraphQLMetrics,
    ]
    return Schema(query=Query, extensions=extensions)


def graphql_app() -> GraphQL[object, object]:
    graphiql = os.environ.get("CKB_GRAPHIQL", "").lower() in ("1", "true", "yes")
    return GraphQL(build_schema(), graphql_ide="graphiql" if graphiql else None)
