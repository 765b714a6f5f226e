"""The floor for bench/graphql_api.py: a bare strawberry + starlette app, one constant field.

    .venv/bin/python bench/bare_strawberry.py --port 8001   # POST {"query": "{ hello }"}

The same framework stack as ckb's endpoint with none of ckb's work: strawberry's ASGI
``GraphQL`` app on a starlette route, served by uvicorn with one worker, and the parser and
validation caches ckb's ``build_schema`` installs (same classes, same sizes), so a repeated
operation is parsed and validated once here as it is there. What ckb's customer 360
costs beyond this is ckb's own work: auth, limits, resolvers, store reads.
"""

from __future__ import annotations

import argparse

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

QUERY = "{ hello }"
ANSWER = {"hello": "world"}
CACHE_SIZE = 256  # what api/graphql/app.py build_schema gives both caches


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


def build_schema() -> strawberry.Schema:
    # Factories, as in ckb: an extension instance holds one request's execution context.
    return strawberry.Schema(
        query=Query,
        extensions=[
            lambda: ParserCache(maxsize=CACHE_SIZE),
            lambda: ValidationCache(maxsize=CACHE_SIZE),
        ],
    )


def create_app() -> Starlette:
    return Starlette(routes=[Route("/graphql", GraphQL(build_schema(), graphql_ide=None))])


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8001)
    serve(parser.parse_args().port)


if __name__ == "__main__":
    main()
