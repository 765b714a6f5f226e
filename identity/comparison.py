"""Comparison levels: how alike two profiles are, field by field, and how often each
level shows between records of one customer (``m``).

Pure domain code; no store, no I/O. Each field lands on a level (exact, close, different
... or None when either record lacks it). **Names** sharing a word are told apart by the
rest: a nickname of it (``nickname``) or plainly another given name (``other_given``: a
twin, a sibling). Birth dates a slip apart (one digit, two digits swapped, a year, day
and month swapped) agree partly (``near``).
"""

from __future__ import annotations

from rapidfuzz import fuzz

from identity.names import given_name_relation, name_similarity, partial_name_relation
from identity.profile import Profile

# m: P(level | same customer). Documented judgement, not fitted.
M_PROBABILITIES: dict[str, dict[str, float]] = {
    "name": {
        "exact": 0.70,
        "close": 0.13,
        "nickname": 0.04,  # one word shared, the other a nickname of it (Bill, William)
        "similar": 0.08,
        "partial": 0.02,  # a given or family name alone, or with slips
        "other_given": 0.01,  # one word shared, the other plainly another name
        "different": 0.02,
    },
    "birth_date": {"exact": 0.92, "partial": 0.03, "near": 0.035, "different": 0.015},
    "email": {"exact": 0.90, "different": 0.10},
    "phone": {"exact": 0.85, "different": 0.15},
    "address": {"exact": 0.72, "similar": 0.08, "postal": 0.05, "different": 0.15},
    "national_id": {"exact": 0.99, "different": 0.01},
}
FIELDS = tuple(M_PROBABILITIES)


def name_level(a: Profile, b: Profile) -> str | None:
    if not a.name_words or not b.name_words:
        return None
    if a.name_key == b.name_key:
        return "exact"
    relation = given_name_relation(a.name_words, b.name_words)
    if relation is not None:
        return relation
    similarity = name_similarity(" ".join(a.name_words), " ".join(b.name_words), cutoff=0.8)
    if similarity >= 0.92:
        return "close"
    if similarity >= 0.8:
        return "similar"
    return partial_name_relation(a.name_words, b.name_words) or "different"


def birth_level(a: Profile, b: Profile) -> str | None:
    if not a.birth_date or not b.birth_date:
        return None
    if a.birth_date == b.birth_date:
        return "exact"
    ya, ma, da = a.birth_date.split("-")
    yb, mb, db = b.birth_date.split("-")
    if ya == yb and (ma == mb or (ma, da) == (db, mb)):
        return "partial"
    return "near" if near_birth_dates(a.birth_date, b.birth_date) else "different"


def near_birth_dates(x: str, y: str) -> bool:
    """Two ISO birth dates a slip apart: one digit off, two neighbouring digits swapped
    (1976-01-31, 1976-10-31; 1976, 1967), or the year one off with the same day and
    month."""
    if len(x) == len(y):
        apart = [i for i, (c, d) in enumerate(zip(x, y, strict=True)) if c != d]
        if len(apart) == 1:
            return True
        if len(apart) == 2 and apart[1] == apart[0] + 1:
            i = apart[0]
            if x[i] == y[i + 1] and x[i + 1] == y[i]:
                return True
    yx, _, rest_x = x.partition("-")
    yy, _, rest_y = y.partition("-")
    return rest_x == rest_y and yx.isdigit() and yy.isdigit() and abs(int(yx) - int(yy)) == 1


def exact_level(x: str | None, y: str | None) -> str | None:
    if not x or not y:
        return None
    return "exact" if x == y else "different"


def address_level(a: Profile, b: Profile) -> str | None:
    if not a.address or not b.address:
        return None
    same_postal = bool(a.postal) and a.postal == b.postal
    if a.address == b.address and (same_postal or not a.postal or not b.postal):
        return "exact"
    if fuzz.ratio(" ".join(a.address), " ".join(b.address)) >= 85:
        return "similar"
    return "postal" if same_postal else "different"


def compare(a: Profile, b: Profile) -> dict[str, str | None]:
    return {
        "name": name_level(a, b),
        "birth_date": birth_level(a, b),
        "email": exact_level(a.email, b.email),
        "phone": exact_level(a.phone, b.phone),
        "address": address_level(a, b),
        "national_id": exact_level(a.national_id, b.national_id),
    }
