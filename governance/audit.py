"""Audit entries: who did what to which target, when — IDs and counts, no personal data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from graph.store import GraphStore


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def record_audit(
    store: GraphStore, actor: str, action: str, target: str, detail: dict[str, Any]
) -> str:
    audit_id = f"AU-{uuid.uuid4().hex}"
    store.upsert_nodes(
        "AuditEntry",
        [
            {
                "id": audit_id,
                "at": now_utc(),
                "actor": actor,
                "action": action,
                "target": target,
                "detail": orjson.dumps(detail).decode(),
            }
        ],
    )
    return audit_id
