"""Mutations for integration loaders and agent desktops.

Each goes through the same code as the other entrances (the loaders' validation and
upsert, identity resolution on arrival, EPCIS capture, review decisions, unmerge,
erasure), is audited with who did it, and tells subscribers what changed. Creates take an
idempotency key: the same key from the same caller gives the same record, written once.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import orjson
import strawberry
from strawberry.scalars import JSON

from api.events import ChurnAlert, CustomerChange
from api.graphql.context import ApiContext, Info, in_thread
from api.graphql.permissions import AGENT_WRITERS, ANALYSTS, LOADERS, field_for
from api.graphql.types.review import PossibleMatch, possible_match
from api.http.capture import capture_body
from api.http.request_id import current_request_id
from governance.audit import record_audit
from governance.consent import update_consent
from governance.erase import erase_customer
from graph import clock
from identity.review import decide_review
from identity.unmerge import UnmergeError, find_merge_event, unmerge
from loaders.complaints import resolve_complaint
from loaders.push import PushAnswer, push
from loaders.system_names import SystemNameError, check_system_name
from queries.base import QueryParameterError
from queries.engine import run_query
from scoring.segments import AT_RISK_SCORE

API_SOURCE = "api"


@strawberry.type
class RecordOutcome:
    accepted: bool
    reasons: list[str]
    customer_id: str | None = None
    resolution: str | None = None
    merged: bool | None = None
    review: str | None = None
    record_id: str | None = None
    replayed: bool = False


@strawberry.input
class TouchpointInput:
    customer_id: strawberry.ID
    channel: str
    kind: str
    occurred_at: datetime | None = None
    direction: str | None = None
    reason: str | None = None
    outcome: str | None = None
    category: str | None = None
    resolution_status: str | None = None
    product_id: str | None = None
    account_id: str | None = None
    agent_id: str | None = None


@strawberry.type
class ConsentOutcome:
    customer_id: str
    purpose: str
    channel: str
    granted: bool
    at: str


@strawberry.type
class UnmergeOutcome:
    merge_event: str
    split_event: str
    survivor: str
    restored: list[str]


@strawberry.type
class ErasureOutcome:
    customer_id: str
    removed: JSON
    audit_id: str


def _outcome(answer: PushAnswer, record_id: str | None = None) -> RecordOutcome:
    result: dict[str, Any] = (
        answer.results[0] if answer.results else {"status": "rejected", "reasons": []}
    )
    return RecordOutcome(
        accepted=result["status"] == "accepted",
        reasons=list(result.get("reasons", [])),
        customer_id=result.get("customer"),
        resolution=result.get("resolution"),
        merged=result.get("merged"),
        review=result.get("review"),
        record_id=record_id,
    )


def _idempotent_id(context: ApiContext, prefix: str, key: str | None) -> str:
    if key is None:
        return f"{prefix}-{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{context.principal.subject}\x00{key}".encode()).hexdigest()
    return f"{prefix}-{digest[:32]}"


def _after_change(context: ApiContext, customer: str, change: str, detail: str | None) -> None:
    """Tell subscribers; raise a churn alert when the change puts the customer at risk."""
    at = clock.now().isoformat(timespec="seconds")
    context.hub.publish(CustomerChange(customer, change, at, detail))
    if change != "touchpoint":
        return
    risk = run_query(
        context.store, "churn_risk", customerId=customer, asOf=clock.today().isoformat()
    )
    if risk is None or risk.score is None or risk.score < AT_RISK_SCORE:
        return
    node = context.store.get_node("Customer", customer)
    props = node.props if node else {}
    context.hub.publish(
        ChurnAlert(
            customer,
            str(props["name"]) if props.get("name") else None,
            str(props["value_tier"]) if props.get("value_tier") else None,
            float(risk.score),
            tuple(s.name for s in risk.signals),
            at,
        )
    )


async def _audit(context: ApiContext, action: str, target: str, detail: dict[str, Any]) -> None:
    """An audit entry naming who did it (governance/audit.py)."""
    await in_thread(record_audit, context.store, context.actor, action, target, detail)


def _push_one(context: ApiContext, kind: str, source: str, record: dict[str, Any]) -> PushAnswer:
    settings = context.connection.app.state.ingest
    return push(context.store, kind, source, orjson.dumps(record), settings, current_request_id())


@strawberry.type
class Mutation:
    @field_for(*LOADERS)
    async def upsert_customer_record(
        self, info: Info, source_system: str, record: JSON
    ) -> RecordOutcome:
        """A source system's customer record, validated as ``ckb load customers`` would and
        resolved on arrival: the answer says which customer it landed on and how. Idempotent
        by (source, source_record_id)."""
        context = info.context
        try:
            check_system_name(source_system)
        except SystemNameError as exc:
            raise QueryParameterError(f"sourceSystem: {exc}") from None
        if not isinstance(record, dict):
            return RecordOutcome(accepted=False, reasons=["record must be a JSON object"])
        answer = await in_thread(_push_one, context, "customers", source_system, record)
        outcome = _outcome(answer, str(record.get("source_record_id")))
        await _audit(
            context,
            "upsertCustomerRecord",
            f"{source_system}:{record.get('source_record_id')}",
            {"accepted": outcome.accepted, "customer": outcome.customer_id},
        )
        if outcome.customer_id:
            await in_thread(_after_change, context, outcome.customer_id, "record", source_system)
        return outcome

    @field_for(*AGENT_WRITERS)
    async def record_touchpoint(
        self, info: Info, input: TouchpointInput, idempotency_key: str | None = None
    ) -> RecordOutcome:
        """Log an interaction (a call, a visit, a complaint) on a customer. Subscribers to the
        customer hear of it; a complaint that puts a customer at risk raises a churn alert."""
        context = info.context
        touchpoint_id = _idempotent_id(context, "tp-api", idempotency_key)
        existing = await in_thread(context.store.get_node, "Touchpoint", touchpoint_id)
        if existing is not None:
            return RecordOutcome(
                accepted=True, reasons=[], record_id=touchpoint_id, replayed=True,
                customer_id=str(input.customer_id),
            )  # fmt: skip
        record = {
            "touchpoint_id": touchpoint_id,
            "ckb_customer_id": str(input.customer_id),
            "occurred_at": (input.occurred_at or clock.now()).isoformat(),
            "channel": input.channel,
            "kind": input.kind,
            "direction": input.direction,
            "reason": input.reason,
            "outcome": input.outcome,
            "category": input.category,
            "resolution_status": input.resolution_status,
            "product_id": input.product_id,
            "account_id": input.account_id,
            "agent_id": input.agent_id,
        }
        answer = await in_thread(
            _push_one, context, "touchpoints", API_SOURCE, {k: v for k, v in record.items() if v}
        )
        outcome = _outcome(answer, touchpoint_id)
        outcome.customer_id = str(input.customer_id)
        await _audit(
            context,
            "recordTouchpoint",
            touchpoint_id,
            {"customer": str(input.customer_id), "accepted": outcome.accepted},
        )
        if outcome.accepted:
            await in_thread(
                _after_change, context, str(input.customer_id), "touchpoint", input.kind
            )
        return outcome

    @field_for(*AGENT_WRITERS)
    async def update_consent(
        self, info: Info, customer_id: strawberry.ID, purpose: str, granted: bool,
        channel: str = "any",
    ) -> ConsentOutcome:  # fmt: skip
        """Grant or withdraw consent for a purpose on a channel; the newest word wins over
        what source systems said before."""
        context = info.context
        change = await in_thread(
            update_consent, context.store, str(customer_id), purpose, channel, granted
        )
        await _audit(
            context,
            "updateConsent",
            change.customer_id,
            {"purpose": purpose, "channel": channel, "granted": granted},
        )
        await in_thread(_after_change, context, change.customer_id, "consent", purpose)
        return ConsentOutcome(
            customer_id=change.customer_id, purpose=purpose, channel=channel,
            granted=granted, at=change.at,
        )  # fmt: skip

    @field_for(*LOADERS)
    async def capture_epcis_events(self, info: Info, document: JSON) -> JSON:
        """An EPCIS 2.0 document (or one event): per-event results as POST /epcis/capture
        answers them. Idempotent on eventID."""
        context = info.context
        settings = context.connection.app.state.ingest
        body = orjson.dumps(document)
        result = await in_thread(capture_body, context.store, body, False, settings)
        await _audit(
            context,
            "captureEpcisEvents",
            "epcis",
            {k: result[k] for k in ("events", "captured", "rejected")},
        )
        return JSON(result)

    @field_for(*ANALYSTS)
    async def decide_review(self, info: Info, id: strawberry.ID, accept: bool) -> PossibleMatch:
        """Accept (merge the two records' customers) or reject (never merge them) a
        possible match from the review queue."""
        context = info.context
        item = await in_thread(decide_review, context.store, str(id), accept, context.actor)
        for record in item.records:
            context.hub.publish(
                CustomerChange(record, "review", clock.now().isoformat(), item.status)
            )
        return possible_match(item)

    @field_for(*ANALYSTS)
    async def unmerge(
        self, info: Info, merge_event: str | None = None, source_record: str | None = None
    ) -> UnmergeOutcome:
        """Undo a merge, by its MergeEvent ID or by a source record it brought in."""
        context = info.context
        if (merge_event is None) == (source_record is None):
            raise UnmergeError("give exactly one of mergeEvent or sourceRecord")
        event = merge_event or await in_thread(find_merge_event, context.store, str(source_record))
        result = await in_thread(unmerge, context.store, event, context.actor)
        for customer in (result.survivor, *result.restored):
            await in_thread(_after_change, context, customer, "unmerge", event)
        return UnmergeOutcome(
            merge_event=result.merge_event,
            split_event=result.split_event,
            survivor=result.survivor,
            restored=list(result.restored),
        )

    @field_for()
    async def erase_customer(
        self, info: Info, customer_id: strawberry.ID, reference: str | None = None
    ) -> ErasureOutcome:
        """Right to erasure: remove the person from the graph and every index, and her lines
        from the rejects files and enrichment reports (governance/erase.py says who she is and
        what goes); an audit entry without personal data (who, when, the request
        reference, counts) and non-identifying tombstones remain."""
        context = info.context
        settings = context.connection.app.state.ingest
        erased = await in_thread(
            erase_customer,
            context.store,
            str(customer_id),
            context.actor,
            reference,
            [settings.rejects_dir],
            # ckb enrich's unmatched rows, beside the rejects (data/enrich by default)
            [settings.rejects_dir.parent / "enrich"],
        )
        for customer in erased.customers:
            await in_thread(_after_change, context, customer, "erased", None)
        return ErasureOutcome(
            customer_id=erased.customer_id, removed=JSON(erased.removed), audit_id=erased.audit_id
        )

    @field_for(*AGENT_WRITERS)
    async def resolve_complaint(
        self, info: Info, touchpoint_id: strawberry.ID, outcome: str | None = None
    ) -> RecordOutcome:
        """Close an open complaint (the agent's screen's Resolve): the complaint touchpoint
        gains resolution status resolved, the time and the outcome; subscribers hear of it."""
        context = info.context
        done = await in_thread(resolve_complaint, context.store, str(touchpoint_id), outcome)
        await _audit(
            context, "resolveComplaint", done.touchpoint_id, {"customer": done.customer_id}
        )
        await in_thread(_after_change, context, done.customer_id, "touchpoint", "resolved")
        return RecordOutcome(
            accepted=True, reasons=[], customer_id=done.customer_id, record_id=done.touchpoint_id
        )
