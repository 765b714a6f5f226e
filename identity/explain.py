"""Why two source records would (not) be merged: ``ckb resolve --explain``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from graph.errors import CkbError
from graph.store import GraphStore
from identity.arrival import scoring_model
from identity.blocking import term
from identity.matching import (
    AUTO_MERGE_WEIGHT,
    REVIEW_WEIGHT,
    Link,
    is_link,
    review_reason,
    score,
    shared_words,
)
from identity.model import Model
from identity.model_store import MODEL_ID, load_model
from identity.profile import Profile, profile


class ResolveError(CkbError):
    """A resolution request that names something that is not there."""


@dataclass(frozen=True, slots=True)
class PairExplanation:
    """Why two source records would (not) be merged: each field's level and weight under
    the stored model (and the m and u that make the weight), the total, the rule and the
    verdict."""

    link: Link
    verdict: str
    review: str | None  # why a person should look, when it is worth a look
    chances: dict[str, tuple[float, float]]  # field -> (m, u) of its level
    model: str  # which model: when it was estimated, on how many records, what it found


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
    a, b = (profile(k, found[k].props, today) for k in (first, second))
    # As a record arriving now is weighed: its generic email and phone found in the store
    # (a batch run finds them in its records; the model does not keep them).
    model = scoring_model(store, a, load_model(store))
    if a.name_key and a.name_key == b.name_key:
        # The name's frequency, as a record arriving now would be weighed (arrival.py).
        carriers = store.find_terms(
            "SourceRecord", "match_keys", [term(f"n:{a.name_key}")], limit=10**6
        )
        model.name_share[a.name_key] = max(len(carriers), 1) / max(model.records, 1)
    link = score(a, b, model)
    chances = {
        f: (model.m[f][level], _u(model, f, level, a, b))
        for f, (level, _) in link.evidence.items()
        if level is not None and f in model.m
    }
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
    return PairExplanation(
        link,
        verdict,
        review_reason(link, model) if worth_a_look else None,
        chances,
        _described(store, model),
    )


def _u(model: Model, field: str, level: str, a: Profile, b: Profile) -> float:
    named = model.name_u(level, a) if field == "name" else None
    if named is not None:
        return named
    u = model.u.get(field, {}).get(level, 0.0)
    if level == "exact" and field in ("email", "phone", "address") and model.is_generic(field, a):
        # The u its weight stands for (Model.generic_address_weight): m where it weighs
        # nothing (a generic email or phone).
        m = model.m[field][level]
        return m / 2 ** model.weight(field, level, a)
    if field == "name" and level == "other_given":
        # As the shared word's rarity makes it (Model.shared_word_bits).
        return u / 2 ** model.shared_word_bits(shared_words(a, b))
    return u


def _described(store: GraphStore, model: Model) -> str:
    node = store.get_node("MatchModel", MODEL_ID)
    if node is None:
        return "the documented defaults (no `ckb resolve` run yet)"
    m = "m fitted to the data" if model.m_fitted else "the documented m"
    homes = "households found" if model.households else "no households in the data"
    return (
        f"version {model.version}, estimated {node.props.get('estimated_at', '?')} on "
        f"{model.records:,} records: {m}, {homes}"
    )
