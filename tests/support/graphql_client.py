"""A client of a served GraphQL endpoint: the API keys and JWT secret the test servers
accept, a POST as a client sends it, and the data of an answer that has no errors."""

from __future__ import annotations

from typing import Any

import httpx

from api.auth import AuthSettings

AUTH = AuthSettings.from_env(
    {
        "CKB_API_KEYS": "ana:analyst:k-analyst,agnes:agent:k-agent,lou:loader:k-loader,"
        "adam:admin:k-admin",
        "CKB_JWT_SECRET": "jwt-secret-for-tests-only-0123456789",
    }
)
"""One key a role (``k-analyst``, ``k-agent``, ``k-loader``, ``k-admin``) and a JWT secret."""


def post_graphql(
    server: Any, query: str, key: str | None = "k-analyst", **variables: Any
) -> httpx.Response:
    """POST ``query`` with ``variables`` to ``server.url``'s /graphql, with ``key`` as the
    bearer token (none if ``key`` is None)."""
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )


def data_of(r: httpx.Response) -> Any:
    """The ``data`` of answer ``r``, asserting it carries no errors."""
    body = r.json()
    assert "errors" not in body, body
    return body["data"]
