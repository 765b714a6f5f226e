"""The GraphQL endpoint: schema, limits, caches, auth, persisted queries, GraphQL over HTTP.

Limits refuse a request at validation, before any store call: nesting depth, tokens,
aliases, page sizes and query cost (api/graphql/limits.py); introspection is open to whom
``CKB_INTROSPECTION`` says (api/graphql/permissions.py). Parser and validation caches
keep the fixed cost per repeated operation small. Every error carries one
``extensions.code`` (``error_code``; docs/api.md lists them). Errors from ckb itself (a
bad parameter, a missing role) and GraphQL's request errors reach the client as they are;
anything else is masked ("Unexpected error.", with the request ID to quote).

Logging: a request refused for the client's own reasons (a missing role, bad input, a
limit) is one INFO line on ``ckb.graphql`` — the request ID and the codes; a store fault
(``STORE_FULL``, ``STORE_READ_ONLY``, ``STORE_UNAVAILABLE``: a full disk, a read-only
store ...) is one ERROR line with the request ID, the field and the reason; an unexpected
error is an ERROR with the request ID, the field and the traceback. None holds the query
text or the variables: they may name customers.

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
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import ASTValidationRule, FieldNode, GraphQLError, GraphQLSyntaxError
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
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import Schema
from strawberry.types import ExecutionContext, ExecutionResult

from api.auth import (
    ANONYMOUS,
    AccessDeniedError,
    AuthError,
    AuthSettings,
    authenticate,
    credential,
)
from api.events import EventHub
from api.graphql.context import ApiContext, Loaders, ShareReads
from api.graphql.field_metrics import GraphQLMetrics
from api.graphql.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_TOKENS,
    TOO_MANY_TOKENS,
    QueryCostLimiter,
    aliases_rule,
    depth_rule,
)
from api.graphql.mutations import Mutation
from api.graphql.permissions import Introspection, IntrospectionGate, introspection_from_env
from api.graphql.schema import Query
from api.graphql.subscriptions import Subscription
from api.http.graphiql import ASSET_PARAM, GraphiQL
from api.http.request_id import current_request_id
from graph.errors import CkbError, StoreError, StoreFullError, StoreReadOnlyError
from loaders.rejects import RejectsWriteError
from queries.base import QueryParameterError

MAX_PERSISTED = 1000
GRAPHQL_RESPONSE = "application/graphql-response+json"
INTERNAL = "INTERNAL"

log = logging.getLogger("ckb.graphql")


def _unexpected(error: GraphQLError) -> bool:
    """An exception nobody meant for the client: raised by a resolver (the error has a
    path) or before execution by the machinery (no path and no place in the document).
    GraphQL's own request errors (parse, validation, variable coercion) point into the
    document and keep their precise messages."""
    original = error.original_error
    return (
        original is not None
        and not isinstance(original, CkbError | GraphQLError)
        and (error.path is not None or not error.nodes)
    )


# ckb's own errors, most specific first.
_CKB_CODES: tuple[tuple[type[CkbError], str], ...] = (
    (AccessDeniedError, "FORBIDDEN"),
    (AuthError, "UNAUTHENTICATED"),
    (QueryParameterError, "BAD_USER_INPUT"),
    # The server's storage failed, not the request: the message says what and where.
    (StoreFullError, "STORE_FULL"),
    (StoreReadOnlyError, "STORE_READ_ONLY"),
    (StoreError, "STORE_UNAVAILABLE"),
    (RejectsWriteError, "STORE_UNAVAILABLE"),
    (CkbError, "BAD_REQUEST"),
)
STORE_CODES = frozenset({"STORE_FULL", "STORE_READ_ONLY", "STORE_UNAVAILABLE"})


def error_code(error: GraphQLError) -> str:
    """The one ``extensions.code`` of an error (docs/api.md lists them)."""
    given = (error.extensions or {}).get("code")
    if isinstance(given, str):
        return given
    original = error.original_error
    ours = next((code for kind, code in _CKB_CODES if isinstance(original, kind)), None)
    if ours is not None:
        return ours
    if isinstance(error, GraphQLSyntaxError):
        # graphql-core's parser stops at the token limit with a syntax error of its own.
        too_long = "tokens. Parsing aborted." in error.message
        return TOO_MANY_TOKENS if too_long else "GRAPHQL_PARSE_FAILED"
    if _unexpected(error) or error.path is not None:
        return INTERNAL
    return "GRAPHQL_VALIDATION_FAILED"


def _with_code(error: GraphQLError) -> GraphQLError:
    if error.extensions is None or "code" not in error.extensions:
        error.extensions = {**(error.extensions or {}), "code": error_code(error)}
    return error


def _field(error: GraphQLError) -> str:
    """The schema field an error arose in (not its alias or path: those are query text)."""
    node = error.nodes[0] if error.nodes else None
    return node.name.value if isinstance(node, FieldNode) else "-"


def _request_id_of(context: object) -> str:
    return context.request_id if isinstance(context, ApiContext) else "-"


def _masked(error: GraphQLError, request_id: str) -> GraphQLError:
    return GraphQLError(
        message="Unexpected error.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": INTERNAL, "requestId": request_id},
    )


class CkbSchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Code every error and log it as the module doc says (strawberry's default logs
        each at ERROR with the query text)."""
        request_id = _request_id_of(execution_context.context if execution_context else None)
        refused: Counter[str] = Counter()
        for error in errors:
            code = error_code(_with_code(error))
            if code in STORE_CODES:  # for the operator: no client fault, no traceback
                log.error(
                    "store fault in field %s (request %s): %s",
                    _field(error),
                    request_id,
                    error.message,
                )
            elif code != INTERNAL:
                refused[code] += 1
            elif error.original_error is not None:
                log.error(
                    "internal error in field %s (request %s)",
                    _field(error),
                    request_id,
                    exc_info=error.original_error,
                )
            else:
                log.error(
                    "internal error in field %s (request %s): %s",
                    _field(error),
                    request_id,
                    error.message,
                )
        if refused:
            counts = ", ".join(f"{c} x{n}" if n > 1 else c for c, n in sorted(refused.items()))
            log.info("request %s refused: %s", request_id, counts)


class MaskInternalErrors(MaskErrors):
    """Mask the unexpected errors (``_unexpected``), giving them the request ID to quote;
    give every error its code. CkbSchema.process_errors has logged them already."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return _masked(error, _request_id_of(self.execution_context.context))

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [_with_code(error) for error in super()._process_errors(errors)]


def build_schema(
    max_depth: int = MAX_DEPTH, introspection: Introspection = Introspection.AUTHENTICATED
) -> Schema:
    # The depth and alias rules are built once: the validation cache keys on the rule
    # classes, so a fresh class per request would never hit. Extensions are factories, a
    # fresh instance per request (they hold the request's execution context); the caches
    # are module-level.
    rules: list[type[ASTValidationRule]] = [depth_rule(max_depth), aliases_rule(MAX_ALIASES)]
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        QueryCostLimiter,
        lambda: IntrospectionGate(introspection),
        MaskInternalErrors,
        GraphQLMetrics,
        ShareReads,
    ]
    return CkbSchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )


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
        try:
            token = credential(
                {k.lower(): str(v) for k, v in params.items() if isinstance(v, str)}
            ) or params.get("apiKey")
            if token is None:
                return
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
        # ckb's own page: its files come from this endpoint (api/http/graphiql.py), not a CDN.
        assert self.ide is not None
        return self.ide.page(request)

    # --------------------------------------------------------------- persisted queries

    def parse_json(self, data: str | bytes) -> Any:
        # strawberry takes any JSON value and fails on one that is not an object (or a
        # batch); invalid UTF-8 is not JSON either.
        try:
            found = super().parse_json(data)
        except UnicodeDecodeError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(found, dict | list):
            raise HTTPException(400, f"expected a JSON object, got {_json_kind(found)}")
        return found

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            if not isinstance(data.operation_name, str | None):
                # strawberry checks query, variables and extensions, not this one.
                raise HTTPException(
                    400,
                    "The GraphQL operation's `operationName` must be a string or null, "
                    "if provided.",
                )
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
        if result.errors:
            # An exception before execution ends strawberry's operation early, before
            # MaskInternalErrors sees the result: masked here.
            request_id = _request_id(request)
            result.errors = [_masked(e, request_id) if _unexpected(e) else e for e in result.errors]
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


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a string" if isinstance(value, str) else "a number"


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
    """The endpoint; with GraphiQL when ``CKB_GRAPHIQL`` is on (api/http/graphiql.py) and
    introspection as ``CKB_INTROSPECTION`` says."""
    schema = build_schema(introspection=introspection_from_env())
    return CkbGraphQL(schema, hub, GraphiQL.from_env())
