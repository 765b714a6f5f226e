"""Resolution on arrival: a pushed customer record lands on the customer it belongs to.

Every SourceRecord carries ``match_keys``: its blocking keys (identity/blocking.py), hashed
to plain words so a term index can hold them. A new record looks up the records sharing
a key — a key shared by more than ``MAX_SHARED`` records is generic and ignored, as in
the batch — scores each with the model the last ``ckb resolve`` estimated (stored as a
MatchModel node; documented defaults before the first run), and joins the customer of
its strongest link when that link would have merged in the batch *and* the new record
has direct evidence with every record of that customer. A possible match becomes a
review item. The cost is a handful of index lookups and a few dozen comparisons,
whatever the size of the graph.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from graph import clock
from graph.store import GraphStore, Node
from identity.blocking import identifier_key, match_terms, term
from identity.clustering import MIN_DIRECT_WEIGHT, apart_floor
from identity.matching import REVIEW_WEIGHT, Link, counted_twice, is_link, score, worth_review
from identity.merge import merge_customers
from identity.model import MAX_SHARED, Model
from identity.model_store import load_model
from identity.profile import Profile, profile
from identity.review import rejected_pairs, review_id, store_review_items


@dataclass(frozen=True, slots=True)
class Arrival:
    record: str
    customer: str  # where the record resolved to
    rule: str  # singleton | email | phone | national_id | probabilistic
    merged: bool  # joined an existing customer
    review: str | None  # a review item opened for a possible match


def _identifiers(p: Profile) -> dict[str, tuple[str, str]]:
    """term -> (field, value) for the identifiers a generic check applies to."""
    pairs = (("email", p.email), ("phone", p.phone))
    return {term(identifier_key(f, v)): (f, v) for f, v in pairs if v}


def records_sharing(store: GraphStore, key_term: str) -> list[Node] | None:
    """The source records holding one match key, or None when more than MAX_SHARED hold
    it: a generic value, no evidence (the batch skips such blocks too)."""
    hits = store.find_terms("SourceRecord", "match_keys", [key_term], limit=MAX_SHARED + 1)
    return None if len(hits) > MAX_SHARED else [n for n, _ in hits]


def resolve_arrival(
    store: GraphStore, record_key: str, today: date, actor: str, model: Model
) -> Arrival:
    node = store.get_node("SourceRecord", record_key)
    if node is None:
        raise KeyError(record_key)
    owner = store.neighbours("SourceRecord", record_key, "RESOLVED_TO", "out", "Customer", limit=1)
    own = owner[0].node.key if owner else ""
    p = profile(record_key, node.props, today)
    candidates, scoring = _candidates(store, p, model)
    if not candidates:
        return Arrival(record_key, own, "singleton", False, None)
    links = {k: score(p, profile(k, n.props, today), scoring) for k, n in candidates.items()}
    best = _strongest_link(store, record_key, own, links)
    if best is not None:
        customer, link = best
        if _direct_with_all(store, p, customer, scoring, today, record_key, link):
            _join(store, customer, own, record_key, link, actor, model.version)
            return Arrival(record_key, customer, link.rule, True, None)
    review = _open_review(store, links, {record_key: node, **candidates}, scoring)
    return Arrival(record_key, own, "singleton", False, review)


def scoring_model(store: GraphStore, p: Profile, model: Model) -> Model:
    """The stored ``model`` as a record ``p`` is weighed with on arrival: knowing which of
    its identifiers are generic in the store now, and its name's frequency."""
    return _candidates(store, p, model)[1]


def _candidates(store: GraphStore, p: Profile, model: Model) -> tuple[dict[str, Node], Model]:
    """The records sharing a match key with the newcomer, and the model to score them
    with: the stored one, knowing the newcomer's name's frequency (kept on ``model``) and
    which of its identifiers are generic."""
    candidates: dict[str, Node] = {}
    generic: dict[str, set[str]] = {}
    identifiers = _identifiers(p)
    name_term = term(f"n:{p.name_key}") if p.name_key else None
    for key in match_terms(p):
        if key == name_term:
            # Term frequency of the name, for the name's weight; not a blocking key.
            hits = store.find_terms("SourceRecord", "match_keys", [key], limit=MAX_SHARED + 2)
            others = [n for n, _ in hits if n.key != p.key]
            model.name_share[p.name_key or ""] = max(len(others) + 1, 1) / max(model.records, 1)
            continue
        sharing = records_sharing(store, key)
        if sharing is None:
            if key in identifiers:
                field, value = identifiers[key]
                generic.setdefault(field, set()).add(value)
            continue
        candidates.update((n.key, n) for n in sharing if n.key != p.key)
    scoring = dataclasses.replace(model, generic={f: frozenset(v) for f, v in generic.items()})
    return candidates, scoring


def _strongest_link(
    store: GraphStore, record_key: str, own: str, links: Mapping[str, Link]
) -> tuple[str, Link] | None:
    """Another customer the newcomer links to, by its strongest link (deterministic rules
    first), leaving out pairs a person rejected."""
    owners = store.neighbours_many(
        "SourceRecord", sorted(links), "RESOLVED_TO", "out", "Customer", limit=1
    )
    rejected = {tuple(sorted(pair)) for pair in rejected_pairs(store)}
    best: tuple[Any, ...] | None = None
    for key, link in links.items():
        if key not in owners or (min(key, record_key), max(key, record_key)) in rejected:
            continue
        customer = owners[key][0].node.key
        if customer == own or not is_link(link):
            continue
        rank = (link.rule == "probabilistic", -link.weight, customer)
        if best is None or rank < best[0]:
            best = (rank, customer, link)
    return None if best is None else (best[1], best[2])


def _join(
    store: GraphStore,
    customer: str,
    own: str,
    record_key: str,
    link: Link,
    actor: str,
    version: int,
) -> None:
    """Merge the newcomer's customer into the one it links to, weighed by model
    ``version``."""
    linked = store.neighbours(
        "Customer", customer, "RESOLVED_TO", "in", "SourceRecord", limit=10**6
    )
    mine = store.neighbours("Customer", own, "RESOLVED_TO", "in", "SourceRecord", limit=10**6)
    records_of = {customer: [n.node.key for n in linked], own: [n.node.key for n in mine]}
    by_record = {n.node.key: n.node for n in [*linked, *mine]}
    merge_customers(
        store, [[customer, own]], records_of, by_record, {record_key: link}, actor, version
    )


def _open_review(
    store: GraphStore, links: Mapping[str, Link], by_record: Mapping[str, Node], model: Model
) -> str | None:
    """A review item for the newcomer's strongest possible match, if any is worth a look."""
    possible = sorted(
        (
            lk
            for lk in links.values()
            if lk.weight >= REVIEW_WEIGHT and not is_link(lk) and worth_review(lk, model)
        ),
        key=lambda lk: -lk.weight,
    )
    if not possible:
        return None
    store_review_items(store, possible[:1], by_record, model)
    return review_id(possible[0].a, possible[0].b)


def _direct_with_all(
    store: GraphStore,
    p: Profile,
    customer: str,
    model: Model,
    today: date,
    own_key: str,
    joining: Link,
) -> bool:
    """The batch's guards: the newcomer needs evidence of its own with every record there
    (as much as ``joining``, its strongest link there, allows: apart_floor), and joins no
    customer already holding a record of its system when that system holds each person
    once, unless the system counted the person twice (``counted_twice``)."""
    records = store.neighbours("Customer", customer, "RESOLVED_TO", "in", "SourceRecord", limit=51)
    if len(records) > 50:
        return False
    least = MIN_DIRECT_WEIGHT if model.households else apart_floor(joining)
    for n in records:
        other = profile(n.node.key, n.node.props, today)
        link: Link = score(p, other, model)
        if link.rule == "probabilistic" and link.weight < least:
            return False
        if (
            p.system in model.one_record
            and n.node.key != own_key
            and n.node.props.get("source_system") == p.system
            and not counted_twice(link, p, other)
        ):
            return False
    return True


# A merge is several store calls; two arrivals of one person must not interleave them.
# (One API process per store: the embedded store allows no other; for Neo4j, run one
# ingest process or accept that a race ends in a review item, not a lost record.)
_RESOLVING = threading.Lock()


def resolve_arrivals(
    store: GraphStore,
    record_keys: Sequence[str],
    actor: str,
    today: date | None = None,
    settled: Collection[str] = frozenset(),
) -> list[Arrival]:
    """Resolve each record; those in ``settled`` (loaded again unchanged, their customer
    merged by resolution: the pipeline's Loader.settled) are where they landed and stay."""
    today = today or clock.today()
    with _RESOLVING:
        model = load_model(store)
        return [
            already_resolved(store, key)
            if key in settled
            else resolve_arrival(store, key, today, actor, model)
            for key in record_keys
        ]


def already_resolved(store: GraphStore, record_key: str) -> Arrival:
    """Where a record resolved to and by which rule, read, not worked out again: resolving
    a merged record anew could merge its customer further, which one arrival would not."""
    owner = store.neighbours("SourceRecord", record_key, "RESOLVED_TO", "out", "Customer", limit=1)
    if not owner:
        return Arrival(record_key, "", "singleton", False, None)
    rule = owner[0].edge.props.get("rule")
    return Arrival(record_key, owner[0].node.key, str(rule or "singleton"), False, None)
