"""Why two source records would (not) be merged: ``ckb resolve --explain``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from graph.errors import CkbError
from graph.store import GraphStore
from identity.matching import AUTO_MERGE_WEIGHT, REVIEW_WEIGHT, Link, is_link, review_reason, score
from identity.model_store import load_model
from identity.profile import profile


class ResolveError(CkbError):
    """A resolution request that names something that is not there."""


@dataclass(frozen=True, slots=True)
class PairExplanation:
    """Why two source records would (not) be merged: each field's level and weight under
    the stored model, the total, the rule and the verdict."""

    link: Link
    verdict: str
    review: str | None  # why a person should look, when it is worth a look


def explain_pair(store: GraphStore, first: str, second: str, today: date) -> PairExplanation:
    """Score two source records (``system:id``) as ``ckb resolve`` would, with the model
    the last run estimated. Says nothing of the clustering guards, which look at whole
    clusters, not at one pair."""
    found = store.get_nodes("SourceRecord", [first, second])
    missing = [k for k in (first, second) if k not in found]
    if missing:
        raise ResolveError(
            f"no source record {missing[0]!r}: name records as system:id, e.g. billing:B123"
        )
    model = load_model(store)
    link = score(
        profile(first, found[first].props, today),
        profile(second, found[second].props, today),
        model,
    )
    if is_link(link):
        why = (
            "a deterministic rule"
            if link.rule != "probabilistic"
            else (f"weight at least {AUTO_MERGE_WEIGHT:g}")
        )
        verdict = f"merged ({why})"
    elif link.weight >= REVIEW_WEIGHT:
        verdict = f"not merged; weight {REVIEW_WEIGHT:g} or more: a possible match"
    else:
        verdict = "not merged: too little evidence"
    worth_a_look = not is_link(link) and link.weight >= REVIEW_WEIGHT
    return PairExplanation(link, verdict, review_reason(link, model) if worth_a_look else None)
