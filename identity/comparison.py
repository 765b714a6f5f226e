"""Comparison levels: how alike two profiles are, field by field, and how often each
level shows between records of one customer (``m``).

Pure domain code; no store, no I/O. Each field lands on a level (exact, close, different
... or None when either record lacks it). **Names** of the same words in another order
are ``swapped``. **Names** sharing a word are told apart by the
rest: a nickname of it (``nickname``) or plainly another given name (``other_given``: a
twin, a sibling). Birth dates a slip apart (one digit, two digits swapped, a year, day
and month swapped) agree partly (``near``), two slips apart less (``slips``); emails and
phones one typo apart are ``close`` (identity/slips.py). **Addresses** in one postal code
with the same house numbers and streets not alike agree on the number (``number``).
**Gender** agrees or not.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import lru_cache
from operator import add, attrgetter

from rapidfuzz import fuzz

from identity.names import (
    Spelling,
    given_name_relation,
    name_tokens,
    partial_name_relation,
    spelling,
    spelling_similarity,
)
from identity.profile import Profile
from identity.slips import birth_dates_level, email_level, typo_level

# m: P(level | same customer): documented values, where fitting m to the data starts
# (identity/model.py fit_m) and what a model uses before it is fitted.
M_PROBABILITIES: dict[str, dict[str, float]] = {
    "name": {
        "exact": 0.67,
        "swapped": 0.03,  # the same words in another order: given and family name swapped
        "close": 0.13,
        "nickname": 0.04,  # one word shared, the other a nickname of it (Bill, William)
        "similar": 0.08,
        "partial": 0.02,  # a given or family name alone, or with slips
        "other_given": 0.01,  # one word shared, the other plainly another name
        "different": 0.02,
    },
    # slips: two slips apart (a year off and day and month swapped, two digits off): as
    # often one person's two records whose slips add up as two people's.
    "birth_date": {
        "exact": 0.92,
        "partial": 0.03,
        "near": 0.035,
        "slips": 0.005,
        "different": 0.01,
    },
    # close: one typo apart (a letter or digit off, added, dropped, or two swapped).
    "email": {"exact": 0.90, "close": 0.02, "different": 0.08},
    "phone": {"exact": 0.85, "close": 0.03, "different": 0.12},
    # number: the same house numbers in the same postal code, the street not alike (a
    # street mistyped past recognition, or replaced): rare between two people anywhere.
    "address": {"exact": 0.72, "similar": 0.08, "number": 0.02, "postal": 0.04, "different": 0.14},
    "national_id": {"exact": 0.99, "different": 0.01},
    # Two values only (female, male; "other" where a system records it): agreeing says
    # little, disagreeing much (a couple, a brother and sister, twins named apart).
    "gender": {"exact": 0.97, "different": 0.03},
}
FIELDS = tuple(M_PROBABILITIES)


def name_level(a: Profile, b: Profile) -> str | None:
    if not a.name_words or not b.name_words:
        return None
    if a.name_key == b.name_key:
        return same_key_level(
            a.name_words, a.name_in_characters, b.name_words, b.name_in_characters
        )
    return unequal_name_level(
        a.name_words, _spelt(a.name_words), b.name_words, _spelt(b.name_words)
    )


def same_key_level(
    words_a: tuple[str, ...], characters_a: bool, words_b: tuple[str, ...], characters_b: bool
) -> str:
    """``name_level`` of two names of the same words: ``swapped`` when they come in
    another order (Blake Mason, Mason Blake: given and family name swapped, or two
    people), ``exact`` when in the same order or when either name is written in
    characters (王伟 reads Wang Wei, a Western form writes Wei Wang: the order says
    nothing there)."""
    if words_a == words_b or characters_a or characters_b:
        return "exact"
    return "swapped"


@lru_cache(maxsize=16_384)  # names recur; a Spelling weighs a few hundred bytes
def _spelt(words: tuple[str, ...]) -> Spelling:
    """The ``spelling`` of the ``name_tokens`` of a name's words joined."""
    return spelling(name_tokens(" ".join(words)))


def unequal_name_level(
    words_a: tuple[str, ...], spelt_a: Spelling, words_b: tuple[str, ...], spelt_b: Spelling
) -> str:
    """``name_level`` of two names that are there and not equal: their words, and the
    ``spelling`` of the ``name_tokens`` of their words joined."""
    return (
        whole_name_level(words_a, spelt_a, words_b, spelt_b)
        or partial_name_relation(words_a, words_b)
        or "different"
    )


def whole_name_level(
    words_a: tuple[str, ...], spelt_a: Spelling, words_b: tuple[str, ...], spelt_b: Spelling
) -> str | None:
    """What ``unequal_name_level`` finds before it matches the names word by word: one
    word shared and the rest told apart, or names alike as wholes; None when neither.
    The same whichever name comes first (``partial_name_relation`` is not: of two names
    as long, it matches the first's words in the second)."""
    relation = given_name_relation(words_a, words_b)
    if relation is not None:
        return relation
    similarity = spelling_similarity(spelt_a, spelt_b, cutoff=0.8)
    if similarity >= 0.92:
        return "close"
    if similarity >= 0.8:
        return "similar"
    return None


def birth_level(a: Profile, b: Profile) -> str | None:
    return birth_dates_level(a.birth_date, b.birth_date)


def exact_level(x: str | None, y: str | None) -> str | None:
    if not x or not y:
        return None
    return "exact" if x == y else "different"


def address_level(a: Profile, b: Profile) -> str | None:
    return addresses_level(address_of(a), address_of(b))


Address = tuple[tuple[str, ...], str | None, str, tuple[str, ...]]


def address_of(p: Profile) -> Address:
    """A profile's address tokens, postal code, the tokens joined and the house numbers."""
    numbers = tuple(sorted(t for t in p.address if t.isdigit()))
    return p.address, p.postal, " ".join(p.address), numbers


def addresses_level(a: Address, b: Address) -> str | None:
    """``address_level`` of two profiles' addresses."""
    (address_a, postal_a, text_a, numbers_a), (address_b, postal_b, text_b, numbers_b) = a, b
    if not address_a or not address_b:
        return None
    same_postal = bool(postal_a) and postal_a == postal_b
    if address_a == address_b and (same_postal or not postal_a or not postal_b):
        return "exact"
    if fuzz.ratio(text_a, text_b) >= 85 or (
        numbers_a == numbers_b and fuzz.token_set_ratio(text_a, text_b) >= 90
    ):
        # Alike letter by letter; or the same house numbers with the words of one the
        # other's, in any order (a second line or a suburb on one record only, words
        # written in another order).
        return "similar"
    if not same_postal:
        return "different"
    return "number" if numbers_a and numbers_a == numbers_b else "postal"


def compare(a: Profile, b: Profile) -> dict[str, str | None]:
    return {
        "name": name_level(a, b),
        "birth_date": birth_level(a, b),
        "email": email_level(a.email, b.email),
        "phone": typo_level(a.phone, b.phone),
        "address": address_level(a, b),
        "national_id": exact_level(a.national_id, b.national_id),
        "gender": exact_level(a.gender, b.gender),
    }


Levels = tuple[str | None, ...]  # one level per field, in FIELDS order
# Each field's levels numbered: 0 for None (a record lacks the field), then M's order.
LEVELS: dict[str, tuple[str | None, ...]] = {f: (None, *m) for f, m in M_PROBABILITIES.items()}
_NUMBER = {f: {level: n for n, level in enumerate(levels)} for f, levels in LEVELS.items()}
_NAME_NUMBER = _NUMBER["name"]
_NAME_EXACT = _NAME_NUMBER["exact"]
_BIRTH_NUMBER, _ADDRESS_NUMBER = _NUMBER["birth_date"], _NUMBER["address"]


def _decoded() -> tuple[Levels, ...]:
    """Every combination of levels, at the number ``Comparer.codes`` gives it."""
    combos: list[Levels] = [()]
    for f in FIELDS:
        combos = [(*c, level) for c in combos for level in LEVELS[f]]
    return tuple(combos)


DECODED = _decoded()  # a few thousand tuples


class Comparer:
    """``compare`` for many pairs among one list of profiles, by position, as one number
    for the levels of every field (``DECODED`` spells it out).

    Candidate pairs repeat values — a person's name, birth date and address recur in
    every pair of their records, a household's address in every pair of its members —
    and a name comparison costs microseconds. Each profile's values are numbered once
    here, and each field compared once per distinct (ordered) pair of values: a level is
    a function of the two values alone. Pairs go through a column at a time (``map``
    over lists: the loop runs in C), millions of them a resolve."""

    def __init__(self, profiles: Sequence[Profile]) -> None:
        self._profiles = profiles
        self.names, names = _numbered(
            profiles, attrgetter("name_words", "name_key", "name_in_characters")
        )
        self._name_values: list[tuple[tuple[str, ...], str | None, bool]] = names  # type: ignore[assignment]
        self._spellings: list[Spelling | None] = [None] * len(names)
        self._whole_names: dict[int, str] = {}  # whole_name_level ("": None) by unordered pair
        births, self._birth_values = _numbered(profiles, attrgetter("birth_date"), none_first=True)
        addresses, self._address_values = _numbered(profiles, address_of)
        self._name = _Column(self.names, len(names), self._name_level)
        self._birth = _ValueColumn(
            births, len(self._birth_values), self._birth_level, _BIRTH_NUMBER["exact"]
        )
        self._address = _Column(addresses, len(self._address_values), self._address_level)
        self._email = _typo_column(profiles, attrgetter("email"), email_level, _NUMBER["email"])
        self._phone = _typo_column(profiles, attrgetter("phone"), typo_level, _NUMBER["phone"])
        # These agree exactly or not at all: numbered (0: none), compared as numbers.
        self._ids = _numbered(profiles, attrgetter("national_id"), none_first=True)[0]
        self._genders = _numbered(profiles, attrgetter("gender"), none_first=True)[0]

    def forget(self) -> None:
        """Drop the levels worked out so far (millions of them after a resolve's
        candidate pairs): the few pairs asked later are compared again."""
        for column in (self._name, self._birth, self._address, self._email, self._phone):
            column.forget()
        self._whole_names.clear()
        self._spellings = [None] * len(self._spellings)

    def levels(self, i: int, j: int) -> Levels:
        """``tuple(compare(profiles[i], profiles[j]).values())``."""
        return DECODED[self.codes([i], [j])[0]]

    def codes(self, firsts: list[int], seconds: list[int]) -> list[int]:
        """For each pair of positions (``firsts[k]``, ``seconds[k]``), the levels of its
        profiles numbered as in ``DECODED``."""
        name = self._name.levels(firsts, seconds)
        birth = self._birth.levels(firsts, seconds)
        address = self._address.levels(firsts, seconds)
        email = self._email.levels(firsts, seconds)
        phone = self._phone.levels(firsts, seconds)
        ids, genders = self._ids, self._genders
        # exact_level of numbered values (0: none), numbered: 0 none, 1 exact, 2 not.
        name_place, birth_place, email_place, phone_place, address_place, id_place = _PLACES
        return [
            n * name_place
            + b * birth_place
            + e * email_place
            + p * phone_place
            + a * address_place
            + (0 if not x or not y else 1 if x == y else 2) * id_place
            + (0 if not g or not h else 1 if g == h else 2)
            for n, b, a, e, p, x, y, g, h in zip(
                name,
                birth,
                address,
                email,
                phone,
                map(ids.__getitem__, firsts),
                map(ids.__getitem__, seconds),
                map(genders.__getitem__, firsts),
                map(genders.__getitem__, seconds),
                strict=True,
            )
        ]

    def _name_level(self, x: int, y: int) -> int:
        """``name_level`` of the names numbered ``x`` and ``y``, numbered."""
        words_a, key_a, characters_a = self._name_values[x]
        words_b, key_b, characters_b = self._name_values[y]
        if not words_a or not words_b:
            return 0
        if key_a == key_b:
            if words_a == words_b:
                return _NAME_EXACT
            return _NAME_NUMBER[same_key_level(words_a, characters_a, words_b, characters_b)]
        # Names meet in either order (the first record's, the second's): what does not
        # depend on the order is worked out once for both.
        count = len(self._name_values)
        pair = x * count + y if x < y else y * count + x
        whole = self._whole_names.get(pair)
        if whole is None:
            spelt_a, spelt_b = self._spelling(x), self._spelling(y)
            whole = self._whole_names[pair] = (
                whole_name_level(words_a, spelt_a, words_b, spelt_b) or ""
            )
        level = whole or partial_name_relation(words_a, words_b) or "different"
        return _NAME_NUMBER[level]

    def _birth_level(self, x: int, y: int) -> int:
        values: list[str | None] = self._birth_values  # type: ignore[assignment]
        return _BIRTH_NUMBER[birth_dates_level(values[x], values[y])]

    def _address_level(self, x: int, y: int) -> int:
        values: list[Address] = self._address_values  # type: ignore[assignment]
        return _ADDRESS_NUMBER[addresses_level(values[x], values[y])]

    def _spelling(self, x: int) -> Spelling:
        """The ``spelling`` of the ``name_tokens`` of the name numbered ``x``, its words
        joined: once a name."""
        found = self._spellings[x]
        if found is None:
            found = self._spellings[x] = _spelt.__wrapped__(self._name_values[x][0])
        return found


def _places() -> tuple[int, ...]:
    """What one step of each field's level number is worth in a code, but the last
    field's (1): DECODED lists the combinations with the name's level varying slowest,
    the gender's fastest."""
    places = [1]
    for f in reversed(FIELDS[1:]):
        places.insert(0, places[0] * len(LEVELS[f]))
    return tuple(places[:-1])


_PLACES = _places()
if FIELDS != ("name", "birth_date", "email", "phone", "address", "national_id", "gender") or [
    len(LEVELS[f]) for f in ("national_id", "gender")
] != [3, 3]:
    raise ImportError("Comparer.codes reads national ID and gender as exact or not")
if len(DECODED) > 2**16:
    raise ImportError("resolve keeps a pair's levels in 16 bits (clustering's array 'H')")


class _Column:
    """One field's levels for many pairs of profiles, by the numbers of their values:
    each distinct (ordered) pair of values worked out once (``level_of``) and kept."""

    def __init__(self, numbers: list[int], count: int, level_of: Callable[[int, int], int]):
        self._numbers = numbers
        self._count = count
        # The first value's number, times count: plus the second's, the pair's key.
        self._scaled = [x * count for x in numbers]
        self._level_of = level_of
        self._levels: dict[int, int] = {}

    def forget(self) -> None:
        self._levels = {}

    def levels(self, firsts: list[int], seconds: list[int]) -> list[int]:
        keys = list(
            map(add, map(self._scaled.__getitem__, firsts), map(self._numbers.__getitem__, seconds))
        )
        known = self._levels
        found = list(map(known.get, keys))
        if None in found:
            for at in [at for at, level in enumerate(found) if level is None]:
                key = keys[at]
                level = known.get(key)
                if level is None:
                    level = known[key] = self._level_of(*divmod(key, self._count))
                found[at] = level
        return found  # type: ignore[return-value]


class _ValueColumn(_Column):
    """A ``_Column`` of a field held by a value that is missing (numbered 0, as
    ``_numbered(none_first=True)`` numbers it) or equal far more often than anything
    else: such pairs are levelled in place, and only the others' levels are kept (a
    missing birth date, email or phone would otherwise put tens of thousands of pairs
    of values in the cache)."""

    def __init__(
        self,
        numbers: list[int],
        count: int,
        level_of: Callable[[int, int], int],
        exact: int,
        keep: bool = True,
    ):
        super().__init__(numbers, count, level_of)
        self._exact = exact
        # Whether to keep the levels of unequal values: birth dates recur among a
        # resolve's pairs, two records' different emails or phones hardly ever do (kept,
        # they cost ~100 MB at 100k customers and save nothing).
        self._keep = keep

    def levels(self, firsts: list[int], seconds: list[int]) -> list[int]:
        numbers, exact = self._numbers, self._exact
        xs = list(map(numbers.__getitem__, firsts))
        ys = list(map(numbers.__getitem__, seconds))
        found = [
            0 if not x or not y else exact if x == y else None for x, y in zip(xs, ys, strict=True)
        ]
        if None in found:
            known, count, level_of = self._levels, self._count, self._level_of
            for at in [at for at, level in enumerate(found) if level is None]:
                x, y = xs[at], ys[at]
                if not self._keep:
                    found[at] = level_of(x, y)
                    continue
                key = x * count + y
                level = known.get(key)
                if level is None:
                    level = known[key] = level_of(x, y)
                found[at] = level
        return found  # type: ignore[return-value]


def _typo_column(
    profiles: Sequence[Profile],
    value: Callable[[Profile], str | None],
    level: Callable[[str | None, str | None], str | None],
    number: Mapping[str | None, int],
) -> _ValueColumn:
    """The column of an email or phone: ``level`` of two values, numbered by ``number``."""
    numbers, values = _numbered(profiles, value, none_first=True)
    texts: list[str | None] = values  # type: ignore[assignment]

    def level_of(x: int, y: int) -> int:
        return number[level(texts[x], texts[y])]

    return _ValueColumn(numbers, len(texts), level_of, number["exact"], keep=False)


def _numbered(
    profiles: Sequence[Profile], value: Callable[[Profile], Hashable], none_first: bool = False
) -> tuple[list[int], list[Hashable]]:
    """Each profile's value as a number (equal values, equal numbers; with
    ``none_first``, None and "" are 0), and the distinct values in the order of their
    numbers (with ``none_first``, from 2 on)."""
    numbers: dict[Hashable, int] = {None: 0, "": 0} if none_first else {}
    return [numbers.setdefault(v, len(numbers)) for v in map(value, profiles)], list(numbers)
