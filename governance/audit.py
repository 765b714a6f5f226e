"""Audit entries: who did what to which target, when — IDs and counts, no personal data."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from graph import clock
from graph.store import GraphStore


def record_audit(
    store: GraphStore, actor: str, action: str, target: str, detail: dict[str, Any]
) -> str:
    audit_id = f"AU-{uuid.uuid4().hex}"
    store.upsert_nodes(
        "AuditEntry",
        [
            {
                "id": audit_id,
                "at": clock.now_iso(),
                "actor": actor,
                "action": action,
                "target": target,
                "detail": orjson.dumps(detail).decode(),
            }
        ],
    )
    return audit_id
