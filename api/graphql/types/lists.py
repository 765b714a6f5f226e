"""The customer list's page: a connection of edges (cursor and customer) and where the
next page starts (queries/customer_list.py reads it)."""

from __future__ import annotations

import strawberry

from api.graphql.types.customer import Customer


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int
