"""A feed pushing records to a served ``/ingest/<kind>``: the ingest token and body limit
of the test servers, one customer as a JSON line, and the POST."""

from __future__ import annotations

import json
from typing import Any

import httpx

INGEST_TOKEN = "s3cret-token"
BEARER = {"Authorization": f"Bearer {INGEST_TOKEN}"}
MAX_BYTES = 200_000
"""The body limit of the ingest test server."""


def push_records(server: Any, kind: str, body: bytes, source: str = "web") -> httpx.Response:
    """POST ``body`` (JSON lines of ``kind`` records from ``source``) to ``server``."""
    return httpx.post(
        f"{server.url}/ingest/{kind}", params={"source": source}, content=body, headers=BEARER
    )


def customer_line(record_id: str, name: str) -> bytes:
    """A customer record as one JSON line (without its line end)."""
    return json.dumps({"source_record_id": record_id, "name": name}).encode()
