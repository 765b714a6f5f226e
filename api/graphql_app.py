"""The GraphQL endpoint: schema, limits, caches, auth, persisted queries, GraphQL over HTTP.

Limits refuse a request at validation, before any store call: nesting depth, tokens,
aliases, page sizes and query cost (api/graphql_limits.py). Parser and validation caches
keep the fixed cost per repeated operation small. Errors from ckb itself (a bad parameter,
a missing role) reach the client as they are, with a code; anything else is masked
("Unexpected error.", with the request ID to quote) and logged server-side.

Protocol (GraphQL over HTTP): GET for queries, POST for everything; a client that accepts
``application/graphql-response+json`` gets that media type and HTTP 4xx for a request that
could not run (parse, validation, limits, bad credentials); ``application/json`` clients
get 200 with the errors, as the specification prescribes for them. Automatic persisted
queries (Apollo's protocol): send ``extensions.persistedQuery.sha256Hash`` without the
query; ``PersistedQueryNotFound`` asks the client to send both once.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import ASTValidationRule, GraphQLError
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import Schema
from strawberry.types import ExecutionResult

from api.auth import (
    ANONYMOUS,
    AccessDeniedError,
    AuthError,
    AuthSettings,
    authenticate,
    credential,
)
from api.context import ApiContext, Loaders
from api.events import EventHub
from api.graphiql import ASSET_PARAM, GraphiQL
from api.graphql_limits import LimitError, QueryCostLimiter
from api.graphql_metrics import GraphQLMetrics
from api.graphql_mutations import Mutation
from api.graphql_schema import Query
from api.graphql_subscriptions import Subscription
from api.request_id import current_request_id
from graph.errors import CkbError
from queries.base import QueryParameterError

MAX_DEPTH = 8
MAX_TOKENS = 2000
MAX_ALIASES = 15
MAX_PERSISTED = 1000
GRAPHQL_RESPONSE = "application/graphql-response+json"

log = logging.getLogger("ckb.graphql")


def _code(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, AccessDeniedError):
        return "FORBIDDEN"
    if isinstance(original, AuthError):
        return "UNAUTHENTICATED"
    if isinstance(original, QueryParameterError):
        return "BAD_USER_INPUT"
    if isinstance(error, LimitError):
        return "QUERY_LIMIT"
    if isinstance(original, CkbError):
        return "BAD_REQUEST"
    return "GRAPHQL_VALIDATION_FAILED" if error.path is None else "INTERNAL"


class MaskInternalErrors(MaskErrors):
    """Mask everything but ckb's own errors and GraphQL's request errors; give each a code
    and the masked ones the request ID, and log the masked ones with their traceback."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._internal)

    @staticmethod
    def _internal(error: GraphQLError) -> bool:
        # Request errors (no path: parse, validation, variable coercion) are GraphQL's own
        # precise messages; only a resolver's unexpected exception is masked.
        original = error.original_error
        return (
            error.path is not None
            and original is not None
            and not isinstance(original, CkbError | GraphQLError)
        )

    def _request_id(self) -> str:
        context = self.execution_context.context
        return context.request_id if isinstance(context, ApiContext) else "-"

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = self._request_id()
        log.error(
            "internal error in %s (request %s)",
            ".".join(map(str, error.path or [])),
            request_id,
            exc_info=error.original_error,
        )
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if error.extensions is None or "code" not in error.extensions:
                error.extensions = {**(error.extensions or {}), "code": _code(error)}
        return processed


def build_schema(max_depth: int = MAX_DEPTH) -> Schema:
    # The depth and alias rules are built once: the validation cache keys on the rule
    # classes, so a fresh class per request (what QueryDepthLimiter and MaxAliasesLimiter
    # instances make) would never hit. Extensions are factories, a fresh instance per
    # request (they hold the request's execution context); the caches are module-level.
    rules: list[type[ASTValidationRule]] = [
        depth_rule(max_depth, None, None),
        aliases_rule(MAX_ALIASES),
    ]
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        QueryCostLimiter,
        MaskInternalErrors,
        GraphQLMetrics,
    ]
    return Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)


class RefusedError(Exception):
    """A request answered before execution (bad credentials, unknown persisted query)."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def _wants_graphql_response(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE in accept


class CkbGraphQL(GraphQL[ApiContext, None]):
    def __init__(self, schema: Schema, hub: EventHub, ide: GraphiQL | None = None) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide is not None else None)
        self.ide = ide
        self.hub = hub
        self.persisted: OrderedDict[str, str] = OrderedDict()

    # --------------------------------------------------------------- context and auth

    async def get_context(self, request: Request | WebSocket, response: Any) -> ApiContext:
        settings: AuthSettings = request.app.state.auth
        try:
            principal = authenticate(credential(request.headers), settings)
        except AuthError as exc:
            if isinstance(request, WebSocket):
                principal = ANONYMOUS  # connection_init may still carry a valid credential
            else:
                raise RefusedError(401, str(exc), "UNAUTHENTICATED") from None
        return ApiContext(
            connection=request,
            store=request.app.state.store,
            principal=principal,
            request_id=_request_id(request),
            hub=self.hub,
            loaders=Loaders(request.app.state.store),
        )

    async def on_ws_connect(self, context: ApiContext) -> None:
        """graphql-transport-ws: a credential in the connection_init payload counts too."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        token = credential(
            {k.lower(): str(v) for k, v in params.items() if isinstance(v, str)}
        ) or params.get("apiKey")
        if token is None:
            return
        try:
            context.principal = authenticate(str(token), context.connection.app.state.auth)
        except AuthError as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from None

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A browser asking for the page; not an API client (*/*) sending a persisted hash.
        params = request.query_params
        return (
            request.method == "GET"
            and params.get("query") is None
            and params.get("extensions") is None
            and "text/html" in request.headers.get("accept", "")
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # ckb's own page: its files come from this endpoint (api/graphiql.py), not a CDN.
        assert self.ide is not None
        return self.ide.page(request)

    # --------------------------------------------------------------- persisted queries

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            self._persisted(data)
        return data

    def _persisted(self, data: GraphQLRequestData) -> None:
        persisted = (data.extensions or {}).get("persistedQuery")
        if not isinstance(persisted, Mapping):
            return
        digest = persisted.get("sha256Hash")
        if persisted.get("version", 1) != 1 or not isinstance(digest, str):
            raise RefusedError(
                400, "persistedQuery needs version 1 and a sha256Hash", "BAD_REQUEST"
            )
        if data.query is None:
            known = self.persisted.get(digest)
            if known is None:
                raise RefusedError(200, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            self.persisted.move_to_end(digest)
            data.query = known
            return
        if hashlib.sha256(data.query.encode()).hexdigest() != digest:
            raise RefusedError(400, "provided sha256Hash does not match query", "BAD_REQUEST")
        self.persisted[digest] = data.query
        while len(self.persisted) > MAX_PERSISTED:
            self.persisted.popitem(last=False)

    # --------------------------------------------------------------- GraphQL over HTTP

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # A request error: the operation never ran, so the response has no data entry.
            processed.pop("data", None)
            request.state.request_error = True
        return processed

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        if self.ide is not None and request.method == "GET" and ASSET_PARAM in request.query_params:
            asset = await self.ide.asset(request)
            await asset(scope, receive, send)
            return
        try:
            response = await self.run(request)
        except RefusedError as refused:
            response = _error_response(request, refused)
        except HTTPException as exc:  # malformed request: not JSON, wrong method ...
            status = exc.status_code
            if request.method == "GET" and exc.reason.endswith("not allowed when using GET"):
                status = 405  # GraphQL over HTTP: a mutation sent with GET
            response = JSONResponse(
                {"errors": [{"message": exc.reason, "extensions": {"code": "BAD_REQUEST"}}]},
                status_code=status,
                headers={"allow": "POST"} if status == 405 else None,
            )
        _negotiate(request, response)
        await response(scope, receive, send)


def _request_id(connection: HTTPConnection) -> str:
    found = getattr(connection.state, "request_id", None) or current_request_id()
    return found if isinstance(found, str) else uuid.uuid4().hex


def _error_response(request: Request, refused: RefusedError) -> Response:
    body = {"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}
    status = refused.status
    if refused.status == 200 or not _wants_graphql_response(request):
        # application/json clients get 200 for well-formed requests (spec §7.1.1), except
        # bad credentials, which every client should see as 401.
        status = 401 if refused.status == 401 else 200
    response = JSONResponse(body, status_code=status)
    if status == 401:
        response.headers["www-authenticate"] = "Bearer"
    return response


def _negotiate(request: Request, response: Response) -> None:
    if not _wants_graphql_response(request):
        return
    if response.headers.get("content-type", "").startswith("application/json"):
        response.headers["content-type"] = GRAPHQL_RESPONSE
        if getattr(request.state, "request_error", False) and response.status_code == 200:
            response.status_code = 400


def graphql_app(hub: EventHub) -> CkbGraphQL:
    """The endpoint; with GraphiQL when ``CKB_GRAPHIQL`` is on (api/graphiql.py)."""
    return CkbGraphQL(build_schema(), hub, GraphiQL.from_env())
