"""search_customers: one box for email, phone, source ID and names in any script.

The stores return candidates with what each matched on; ranking happens here, once:
email or phone, then a source system's ID, then a name starting with the text, then a
similar name (typos, word order, Chinese characters or pinyin; identity/names.py) — within
each, the most similar name first, then customer ID.

A text that looks like a phone number is also looked up in E.164, the form loaders store
(identity/normalize.py): "+86 138-0013-8000", "0086 13800138000" and "8613800138000" read
with their country code, a national spelling ("138 0013 8000", "(617) 555-0123") as a
possible number of each region in ``CKB_PHONE_REGIONS`` (default ``PHONE_REGIONS``) — by
the loaders' own rule (``normalize_phone``), so every stored number can be found.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore, Node
from identity.names import name_keys, name_similarity, normalize_name
from identity.normalize import normalize_email, normalize_phone
from queries.base import QueryParameterError, bounded
from queries.engine import named_query

MAX_SEARCH = 100
MAX_TEXT = 200
PREFIX_CANDIDATES = 1000
SIMILAR_CANDIDATES = 500
SIMILAR_NAME = 0.75  # the least similarity a name-only match needs
_RANK = {"email": 1, "phone": 1, "source_id": 2, "name": 3, "similar_name": 4}
PHONE_REGIONS = ("CN", "US")  # national spellings tried: the sample's countries
PHONE_REGIONS_ENV = "CKB_PHONE_REGIONS"  # e.g. "DE,AT,CH"
_PHONE_TEXT = re.compile(r"^[+(]?[0-9][0-9 ()./-]*$")
_MIN_PHONE_DIGITS = 6


def phone_spellings(text: str) -> list[str]:
    """The E.164 numbers a typed phone number may mean; [] when it is not one."""
    text = text.strip()
    digits = re.sub(r"\D", "", text)
    if not _PHONE_TEXT.match(text) or len(digits) < _MIN_PHONE_DIGITS:
        return []
    spellings: list[tuple[str, str | None]] = []
    if digits.startswith("00"):  # the international prefix most countries dial
        spellings.append(("+" + digits[2:], None))
    spellings.append(("+" + digits, None))  # with its country code, "+" or not
    if not text.startswith("+") and not digits.startswith("00"):
        configured = os.environ.get(PHONE_REGIONS_ENV, "")
        regions = [r.strip().upper() for r in configured.split(",") if r.strip()]
        spellings += [(text, region) for region in regions or PHONE_REGIONS]
    # The loaders' own normaliser: a number is kept in the form and by the rule it was
    # stored with (possible for its region), so whatever was loaded can be found.
    found = [normalize_phone(spelling, region).value for spelling, region in spellings]
    return [phone for phone in dict.fromkeys(found) if phone]


class HitRow(TypedDict):
    customerId: str
    # Stored properties as read: the schema's types, which no store checks.
    name: Any
    email: Any
    phone: Any
    matchedOn: list[str]
    text: str
    first: int


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
        "phones": phone_spellings(text),
        # Emails are stored as the loaders normalise them: find them as typed, too.
        "email": normalize_email(text).value or text,
    }


def check_search(params: dict[str, Any]) -> None:
    bounded("first", MAX_SEARCH)(params)
    if not params["text"].strip():
        raise QueryParameterError("text must not be empty")
    if len(params["text"]) > MAX_TEXT:
        raise QueryParameterError(f"text must be at most {MAX_TEXT} characters")


def to_hits(rows: list[HitRow]) -> list[CustomerHit]:
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


@named_query("search_customers", to_hits, check_search, prepare_search)
def search(
    store: GraphStore,
    text: str,
    namePrefix: str,
    nameKeys: list[str],
    first: int,
    phones: list[str] | None = None,
    email: str | None = None,
    **_: Any,
) -> list[HitRow]:
    found: dict[str, tuple[Node, list[str]]] = {}

    def add(node: Node, how: str) -> None:
        found.setdefault(node.key, (node, []))[1].append(how)

    for node in store.find_nodes("Customer", "email", email or text, limit=10**6):
        add(node, "email")
    for phone in dict.fromkeys([text, *(phones or [])]):
        for node in store.find_nodes("Customer", "phone", phone, limit=10**6):
            add(node, "phone")
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
