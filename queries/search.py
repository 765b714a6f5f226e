"""search_customers: one box for email, phone, source ID and names in any script.

The stores return candidates with what each matched on; ranking happens here, once:
email or phone, then a source system's ID, then a name starting with the text, then a
similar name (typos, word order, Chinese characters or pinyin; loaders/names.py) — within
each, the most similar name first, then customer ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.store import GraphStore, Node
from loaders.names import name_keys, name_similarity, normalize_name
from queries.base import QueryParameterError, Record, bounded

MAX_SEARCH = 100
MAX_TEXT = 200
PREFIX_CANDIDATES = 1000
SIMILAR_CANDIDATES = 500
SIMILAR_NAME = 0.75  # the least similarity a name-only match needs
_RANK = {"email": 1, "phone": 1, "source_id": 2, "name": 3, "similar_name": 4}


@dataclass(frozen=True, slots=True)
class CustomerHit:
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    matched_on: tuple[str, ...]  # sorted
    similarity: float  # of the name to the text, 0..1


def prepare_search(params: dict[str, Any]) -> dict[str, Any]:
    text = params.get("text")
    if not isinstance(text, str):
        return params
    keys = name_keys(text)
    return {
        **params,
        "namePrefix": normalize_name(text),
        "nameKeys": keys,
        "keyQuery": " OR ".join(keys),
    }


def check_search(params: dict[str, Any]) -> None:
    bounded("first", MAX_SEARCH)(params)
    if not params["text"].strip():
        raise QueryParameterError("text must not be empty")
    if len(params["text"]) > MAX_TEXT:
        raise QueryParameterError(f"text must be at most {MAX_TEXT} characters")


def search_embedded(
    store: GraphStore, text: str, namePrefix: str, nameKeys: list[str], first: int, **_: Any
) -> list[Record]:
    found: dict[str, tuple[Node, list[str]]] = {}

    def add(node: Node, how: str) -> None:
        found.setdefault(node.key, (node, []))[1].append(how)

    for how in ("email", "phone"):
        for node in store.find_nodes("Customer", how, text, limit=10**6):
            add(node, how)
    records = store.find_nodes("SourceRecord", "source_record_id", text, limit=10**6)
    for linked in store.neighbours_many(
        "SourceRecord", [r.key for r in records], "RESOLVED_TO", limit=1
    ).values():
        add(linked[0].node, "source_id")
    if namePrefix:
        for node in store.find_prefix(
            "Customer", "name_normalized", namePrefix, limit=PREFIX_CANDIDATES
        ):
            add(node, "name")
    for node, _shared in store.find_terms(
        "Customer", "name_keys", nameKeys, limit=SIMILAR_CANDIDATES
    ):
        add(node, "similar_name")
    return [
        {
            "customerId": key,
            "name": node.props.get("name"),
            "email": node.props.get("email"),
            "phone": node.props.get("phone"),
            "matchedOn": matched,
            "text": text,
            "first": first,
        }
        for key, (node, matched) in found.items()
    ]


def to_hits(rows: list[Record]) -> list[CustomerHit]:
    ranked: list[tuple[tuple[int, float, str], CustomerHit]] = []
    for r in rows:
        name = r["name"]
        similarity = name_similarity(r["text"], name) if isinstance(name, str) else 0.0
        matched = set(r["matchedOn"])
        if similarity < SIMILAR_NAME:
            matched.discard("similar_name")
        if not matched:
            continue
        hit = CustomerHit(
            r["customerId"], name, r["email"], r["phone"], tuple(sorted(matched)), similarity
        )
        ranked.append(((min(_RANK[m] for m in matched), -similarity, hit.customer_id), hit))
    ranked.sort(key=lambda item: item[0])
    first = int(rows[0]["first"]) if rows else 0
    return [hit for _, hit in ranked[:first]]
