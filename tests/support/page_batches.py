"""The check every page batch passes: it answers each subject as its single-subject named
query does."""

from __future__ import annotations

from typing import Any

from graph.store import GraphStore
from queries.engine import run_query


def batch_answers_like_single(
    store: GraphStore,
    batch: str,
    single: str,
    subject: str,
    subjects: list[str],
    missing: str = "nobody",
    **params: Any,
) -> dict[str, Any]:
    """The batch over ``subjects`` (plus one that does not exist, and a repeat) maps each
    subject to exactly what the single-subject query answers for it."""
    ids = {"customerId": "customerIds", "householdId": "householdIds", "epc": "epcs"}.get(
        subject, f"{subject}s"
    )
    batched = run_query(store, batch, **{ids: [*subjects, missing, subjects[0]]}, **params)
    for one in subjects:
        expected = run_query(store, single, **{subject: one}, **params)
        empty: Any = [] if isinstance(expected, list) else None
        assert batched.get(one, empty) == expected, (batch, one)
    assert missing not in batched
    return dict(batched)
