"""The review queue's items as GraphQL shows them: a possible match and the evidence
for it, read from the item's evidence record (identity/review.py)."""

from __future__ import annotations

import strawberry

from identity.review import ReviewItem


@strawberry.type
class MatchEvidence:
    field: str
    level: str
    weight: float


# A type of its own, not identity.review.ReviewItem exposed: the item keeps its evidence
# as the stored record (a dict), which GraphQL shows typed (weight, reason, names, fields).
@strawberry.type
class PossibleMatch:
    id: strawberry.ID
    status: str
    weight: float
    reason: str | None = strawberry.field(
        description="why it is worth a look: what personal detail agrees, or how rare the "
        "name is (null for items from before reasons were kept)"
    )
    records: list[str]
    names: list[str | None]
    evidence: list[MatchEvidence]


def possible_match(item: ReviewItem) -> PossibleMatch:
    return PossibleMatch(
        id=strawberry.ID(item.id),
        status=item.status,
        weight=float(item.evidence.get("weight", 0.0)),
        reason=item.evidence.get("reason"),
        records=list(item.records),
        names=list(item.evidence.get("names", [])),
        evidence=[
            MatchEvidence(field=f, level=v["level"], weight=float(v["weight"]))
            for f, v in sorted(item.evidence.get("fields", {}).items())
        ],
    )
