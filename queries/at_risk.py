"""at_risk: the customers of a value tier most likely to leave, from the scores of the last
``ckb segment`` run, read in order from the ``risk_key`` index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.base import bounded, number
from queries.engine import named_query
from scoring.churn import risk_key_bounds

MAX_AT_RISK = 500


class AtRiskRow(TypedDict):
    customerId: str
    # Stored properties as read: the schema's types, which no store checks.
    name: Any
    churnScore: Any
    signals: Any
    lifetimeValue: Any
    scoredOn: Any


@dataclass(frozen=True, slots=True)
class AtRisk:
    customer_id: str
    name: str | None
    churn_score: float
    signals: tuple[str, ...]
    lifetime_value: float | None
    scored_on: str | None


def prepare_at_risk(params: dict[str, Any]) -> dict[str, Any]:
    tier, score = params.get("tier"), params.get("minScore")
    if not isinstance(tier, str) or not isinstance(score, int | float):
        return params
    low, high = risk_key_bounds(tier, float(score))
    return {**params, "low": low, "high": high}


def to_at_risk(rows: list[AtRiskRow]) -> list[AtRisk]:
    return [
        AtRisk(
            r["customerId"],
            r["name"],
            float(r["churnScore"]),
            tuple(r["signals"] or ()),
            number(r["lifetimeValue"]),
            r["scoredOn"],
        )
        for r in rows
    ]


def check_at_risk(params: dict[str, Any]) -> None:
    bounded("first", MAX_AT_RISK)(params)
    bounded("minScore", 1, least=0)(params)


@named_query("at_risk", to_at_risk, check_at_risk, prepare_at_risk)
def at_risk(
    store: GraphStore, tier: str, minScore: float, first: int, low: str, high: str
) -> list[AtRiskRow]:
    found = store.find_range("Customer", "risk_key", low=low, high=high, limit=first)
    return [
        {
            "customerId": n.key,
            "name": n.props.get("name"),
            "churnScore": n.props.get("churn_score"),
            "signals": n.props.get("churn_signals"),
            "lifetimeValue": n.props.get("lifetime_value"),
            "scoredOn": n.props.get("scored_on"),
        }
        for n in found
    ]
