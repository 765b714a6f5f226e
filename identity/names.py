"""Names for search and matching: one romanised token form for Chinese and Latin names,
search keys that survive a typo, and a similarity score.

Pure functions. ``王伟``, ``王偉`` (traditional), ``Wang Wei``, ``WANG  wei``, ``Wei Wang``
and ``Wangwei`` all reduce to the tokens ``wang wei`` (or their concatenation), so a search
in either script finds the other. Keys are the tokens, their one-letter deletions (tokens
of 5 letters or more: "smiht" and "smith" share "smit"; shorter words would match half
the phone book — "ang" is in every Wang, Yang and Zhang) and
the tokens run together; a store finds candidates by shared keys (an inverted index) and
:func:`name_similarity` ranks them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

MIN_DELETION_LENGTH = 5
SUBSET_WEIGHT = 0.9
MAX_KEYS = 200  # a Lucene boolean query allows 1024 clauses; names are far below this
# Name words at least this alike (rapidfuzz ratio) may be one name with typos; below, with
# different sounds, they are other names (John, James; Oliver, Olivia).
TYPO_SIMILARITY = 70

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+")
# Splits a text around each Han character, keeping it: every one becomes one syllable.
_HAN_PIECES = re.compile(f"({_HAN.pattern})")


def normalize_name(name: str) -> str:
    """Display-preserving form: NFKC (full-width to half-width), case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _fold(text: str) -> str:
    """Strip accents: 'José Müller' -> 'jose muller'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65_536)
def name_tokens(name: str) -> tuple[str, ...]:
    """Romanised, accent-free, lower-case word tokens; each Han character its pinyin."""
    text = normalize_name(name)
    # A name's words, and the pieces of a word between its Han characters, come out the
    # same alone as together; cached alone, they repeat where whole names rarely do.
    if not _HAN.search(text):
        return tuple(t for word in text.split(" ") for t in _latin_tokens(word))
    return tuple(t for piece in _HAN_PIECES.split(text) for t in _romanised_tokens(piece))


@lru_cache(maxsize=65_536)
def _latin_tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(_fold(text).casefold()))


@lru_cache(maxsize=65_536)
def _romanised_tokens(text: str) -> tuple[str, ...]:
    """Tokens of a name with Han characters in it: one Han character (its pinyin), or
    the text between two (``pypinyin`` romanises some characters that are not Han)."""
    # Imported on first use: its dictionaries cost a fifth of a second, which every
    # command would pay at start-up, most of them for no Han name at all.
    from pypinyin import lazy_pinyin

    return _latin_tokens(" ".join(lazy_pinyin(text)))


def _deletions(token: str) -> list[str]:
    if len(token) < MIN_DELETION_LENGTH:
        return []
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


def name_keys(name: str) -> list[str]:
    """Search keys for a name (sorted, distinct, at most MAX_KEYS)."""
    tokens = name_tokens(name)
    keys: set[str] = set(tokens)
    for token in tokens:
        keys.update(_deletions(token))
    if len(tokens) > 1:
        keys.add("".join(tokens))
        keys.add("".join(sorted(tokens)))
    return sorted(keys)[:MAX_KEYS]


@dataclass(frozen=True, slots=True)
class Spelling:
    """A name's tokens in the forms ``name_similarity`` compares: once a name, when one
    name is compared with many."""

    tokens: tuple[str, ...]
    text: str  # the tokens joined by spaces
    # The tokens run together as written and with the last moved first (family name
    # last in Western order, first in Chinese).
    run_together: frozenset[str]


def spelling(tokens: tuple[str, ...]) -> Spelling:
    return Spelling(
        tokens, " ".join(tokens), frozenset({"".join(tokens), "".join(tokens[-1:] + tokens[:-1])})
    )


def _resegmented(a: Spelling, b: Spelling, cutoff: float = 0) -> float:
    """Names split into words differently ("wang xiao ming", "Xiaoming Wang"): compare
    the letters run together. Only then — with the same number of words, running them
    together would let "wang wei" pass for "wang li"."""
    if len(a.tokens) == len(b.tokens):
        return 0.0
    return max(
        fuzz.ratio(x, y, score_cutoff=cutoff) for x in a.run_together for y in b.run_together
    )


def name_similarity(query: str, candidate: str, cutoff: float = 0.0) -> float:
    """0..1: how alike two names are, whatever their script, word order or spacing.

    Below ``cutoff`` the answer is 0.0 — and cheaper to reach, which is what matching
    millions of pairs needs."""
    return spelling_similarity(
        spelling(name_tokens(query)), spelling(name_tokens(candidate)), cutoff
    )


def spelling_similarity(a: Spelling, b: Spelling, cutoff: float = 0.0) -> float:
    """``name_similarity`` of two names' ``name_tokens``, spelt out."""
    if not a.tokens or not b.tokens:
        return 0.0
    floor = cutoff * 100
    score = max(
        # Word order does not matter; one space more or less costs little ("wangwei").
        fuzz.token_sort_ratio(a.text, b.text, score_cutoff=floor),
        _resegmented(a, b, floor),
        # Every word of one inside the other ("wang" in "wang wei"): a match, ranked below
        # a whole-name one.
        SUBSET_WEIGHT * fuzz.token_set_ratio(a.text, b.text, score_cutoff=floor / SUBSET_WEIGHT),
    )
    return round(score / 100, 4) if score >= floor else 0.0


# Letters that sound alike share a digit (Soundex's classes); vowels, h, w and y none.
_SOUND_CLASSES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}
_SOUND_PREFIXES = (("kn", "n"), ("gn", "n"), ("wr", "r"), ("ps", "s"), ("pf", "f"), ("wh", "w"))
PHONETIC_LENGTH = 4


@lru_cache(maxsize=65_536)
def phonetic_code(token: str) -> str:
    """A word's sound: Soundex's consonant classes with the first letter coded too
    (Catherine = Katherine = "2365"), "ph" as "f", a silent first letter dropped; a first
    letter without a class (a vowel, h, w, y) is "0". Words that sound alike, and many
    one-letter slips (a vowel changed, a consonant doubled or swapped for its neighbour
    in sound), share a code; a word without letters has none."""
    word = "".join(ch for ch in token if "a" <= ch <= "z")
    for prefix, sound in _SOUND_PREFIXES:
        if word.startswith(prefix):
            word = sound + word[len(prefix) :]
            break
    word = word.replace("ph", "f")
    if not word:
        return ""
    code = [] if word[0] in _SOUND_CLASSES else ["0"]
    last = ""
    for ch in word:
        digit = _SOUND_CLASSES.get(ch, "")
        if digit and digit != last:
            code.append(digit)
        if ch not in "hw":  # h and w do not separate a repeated sound; vowels do
            last = digit
    return "".join(code[:PHONETIC_LENGTH])


@lru_cache(maxsize=1)
def _nicknamer() -> Any:
    # Imported on first use: loading its table costs a few milliseconds most commands
    # never need.
    from nicknames import NickNamer

    return NickNamer()


@lru_cache(maxsize=65_536)
def _name_forms(token: str) -> frozenset[str]:
    """A given name and every name it stands for or is short for (William: Bill, Will,
    Billy ...; Bill: William, Willis ...), from the ``nicknames`` package's curated list."""
    nn = _nicknamer()
    forms = {token} | nn.nicknames_of(token) | nn.canonicals_of(token)
    return frozenset(forms)


@lru_cache(maxsize=65_536)
def same_given_name(x: str, y: str) -> bool:
    """Two name words that are one given name: equal, one a nickname of the other (or
    one letter from it), both short for one name (Bill, Billy), or one the other's
    beginning (Alex, Alexander)."""
    if x == y:
        return True
    if len(x) >= 3 and len(y) >= 3 and (x.startswith(y) or y.startswith(x)):
        return True
    nn = _nicknamer()
    if y in _name_forms(x) or x in _name_forms(y) or nn.canonicals_of(x) & nn.canonicals_of(y):
        return True
    # A nickname spelt another way (Suzy, Suzie for Susan).
    return any(_spelt_alike(x, f) for f in _name_forms(y) - {y}) or any(
        _spelt_alike(y, f) for f in _name_forms(x) - {x}
    )


def _spelt_alike(x: str, y: str) -> bool:
    """One name spelt two ways: a letter apart (four letters or more), or a pet name's
    ending written otherwise (Suzy, Suzie, Suzi, Suzey)."""
    if len(x) < 4 or len(y) < 4:
        return False
    return _edits(x, y) == 1 or _pet_ending(x) == _pet_ending(y)


_PET_ENDING = re.compile(r"(ie|ey|i)$")


def _pet_ending(name: str) -> str:
    return _PET_ENDING.sub("y", name)


def _edits(x: str, y: str) -> int:
    return int(Levenshtein.distance(x, y, weights=(1, 1, 1)))


def given_name_relation(a: Sequence[str], b: Sequence[str]) -> str | None:
    """How two names that share a word differ in the rest, when they do.

    ``nickname``: the other words are one given name (Bill Smith, William Smith).
    ``other_given``: the other words are plainly another name — less than
    ``TYPO_SIMILARITY`` alike, not a nickname, not sounding alike (John Smith, James
    Smith: a twin, a sibling, a spouse, rarely one person). None: no shared word,
    nothing besides it, or words so alike a typo explains them."""
    if set(a).isdisjoint(b):
        return None  # nothing shared (most pairs of names compared)
    rest_a, rest_b = list(a), list(b)
    shared = False
    for token in a:
        if token in rest_b:
            rest_a.remove(token)
            rest_b.remove(token)
            shared = True
    if not shared or not rest_a or not rest_b:
        return None
    joined_a, joined_b = "".join(rest_a), "".join(rest_b)
    if joined_a == joined_b or _edits(joined_a, joined_b) < 2:
        return None  # split differently, or one slip
    if any(same_given_name(x, y) for x in rest_a for y in rest_b):
        return "nickname"
    if any(
        fuzz.ratio(x, y) >= TYPO_SIMILARITY or phonetic_code(x) == phonetic_code(y)
        for x in rest_a
        for y in rest_b
    ):
        return None  # a typo or two ("Wkllyam", "Wiliam"), or the same sound
    return "other_given"


# What systems write where a person's name should be: a role, a form's default, an
# unknown. Such a "name" says nothing about who the person is, so it is no name at all.
PLACEHOLDER_NAMES = frozenset(
    {
        "unknown", "not known", "no name", "none", "n a", "test",  # not "na": a given name (娜)
        "customer", "valued customer", "the customer", "client", "guest", "anonymous",
        "respondent", "resident", "the resident", "current resident",
        "occupant", "the occupant", "current occupant", "occupier", "the occupier",
        "householder", "the householder", "homeowner", "the homeowner",
        "account holder", "the account holder", "cardholder", "card holder",
        "man of the house", "lady of the house", "woman of the house",
        "head of household", "head of house", "sir or madam", "sir madam",
        "baby boy", "baby girl", "male child", "female child", "boy child", "girl child",
        "of the house", "of house", "the house", "of the home", "man of", "man of the",
        "man in the", "lady of", "lady of the", "lady in the", "gentleman of", "son of",
        "daughter of", "de la casa", "de casa", "no last name", "last name", "dont know",
        "refused", "declined",
    }
)  # fmt: skip
# Words that stand for a person, not name one, wherever they appear in a name: what a
# register writes for a newborn or a member it has no name for ("Baby Garcia", "Child F
# Reese", "Gerald Adult"), and the kinship and role words census forms carry in a name's
# place ("Girl Rushing", "James Wife"; the US census's person-validation reports list
# them). Dropped; a name of nothing else is no name. Not the words that are surnames as
# well (Son, Man, Lady, House, Friend, Parent, Minor, Doe): those only in a phrase
# ("Man Of", "Of The House").
PLACEHOLDER_WORDS = frozenset(
    {"baby", "infant", "newborn", "child", "adult", "unknown", "unnamed", "respondent",
     "resident", "occupant", "girl", "boy", "mom", "mother", "dad", "father", "daughter",
     "husband", "wife", "grandson", "granddaughter", "grandchild", "nephew", "niece", "kid",
     "inmate", "hija", "hijo", "senora"}
)  # fmt: skip
# Titles before a name: "Mr Smith" is the family name alone.
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "madam", "mstr", "master"})
# A placeholder of at least this many letters is still one with a slip (OCR, a typo).
PLACEHOLDER_MIN_FUZZY = 7
PLACEHOLDER_SIMILARITY = 88


@lru_cache(maxsize=65_536)
def person_name_words(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """A name's words without what is not the person's name: a placeholder (wholly, or
    a phrase of one beside a name: "Paul Man Of The House"), and titles before it.
    Empty when nothing of a name is left."""
    words = list(tokens)
    text = " ".join(words)
    if text in PLACEHOLDER_NAMES:
        return ()
    if len(text) >= PLACEHOLDER_MIN_FUZZY and (
        process.extractOne(
            text, _LONG_PLACEHOLDERS, scorer=fuzz.ratio, score_cutoff=PLACEHOLDER_SIMILARITY
        )
        is not None
    ):
        return ()
    if _PHRASE_STARTS.intersection(words):
        words = _without_placeholder_phrases(words)
    if PLACEHOLDER_WORDS.intersection(words):
        words = [w for w in words if w not in PLACEHOLDER_WORDS]
    if len(words) > 1 and any(len(w) == 1 for w in words):
        # An initial beside a name ("O Baker", "Julian L") says too little to weigh for or
        # against: the name is its other words (census forms write initials, or a middle
        # initial where the first name should be).
        words = [w for w in words if len(w) > 1] or words
    while len(words) > 1 and words[0] in TITLES:
        words = words[1:]
    if len(words) == 1 and words[0] in TITLES:
        return ()
    return tuple(words)


def _without_placeholder_phrases(words: list[str]) -> list[str]:
    for phrase in _PLACEHOLDER_PHRASES:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == phrase:
                words = words[:i] + words[i + n :]
                break
    return words


# Placeholder phrases of several words, found inside a longer name.
_PLACEHOLDER_PHRASES = tuple(
    sorted((tuple(p.split()) for p in PLACEHOLDER_NAMES if " " in p), key=len, reverse=True)
)
# A name holds a phrase only if it holds the phrase's first word: most hold none.
_PHRASE_STARTS = frozenset(phrase[0] for phrase in _PLACEHOLDER_PHRASES)
# The placeholders long enough to be recognised through a slip.
_LONG_PLACEHOLDERS = tuple(p for p in PLACEHOLDER_NAMES if len(p) >= PLACEHOLDER_MIN_FUZZY)


def _alike_words(x: str, y: str) -> str | None:
    """How two name words are one: ``same``, ``typo`` (a slip or two apart), ``nickname``
    (one a nickname or the beginning of the other), or None."""
    if x == y:
        return "same"
    if fuzz.ratio(x, y) >= PARTIAL_WORD_SIMILARITY:
        return "typo"
    # The nickname list and beginnings only (not same_given_name's respellings): this
    # runs on most pairs of different names, and those are many.
    if len(x) >= 3 and len(y) >= 3 and (x.startswith(y) or y.startswith(x)):
        return "nickname"
    if y in _name_forms(x) or x in _name_forms(y):
        return "nickname"
    return None


PARTIAL_WORD_SIMILARITY = 80  # rapidfuzz ratio: one slip in a six-letter word


def partial_name_relation(a: Sequence[str], b: Sequence[str]) -> str | None:
    """Names whose words are, word by word, one name's, beyond what whole-name
    similarity sees.

    ``partial``: every word of the shorter name is one of the longer's (the same, a slip
    apart, or a nickname of it) — a given or family name alone ("Giulia", "Gijulia" and
    "Giulia Jackson"; "Dave" and "David Everfield"). ``nickname``: as many words on each
    side, each one of the other's, at least one a nickname ("Bec Taylor", "Rebecca
    Taykor"); ``similar`` when none is, each a slip from the other's. None otherwise."""
    short, long_ = (list(a), list(b)) if len(a) <= len(b) else (list(b), list(a))
    if not short:
        return None
    relations = []
    rest = list(long_)
    for word in short:
        found = None
        for other in rest:
            relation = _alike_words(word, other)
            if relation is not None and (found is None or relation == "same"):
                found = (other, relation)
                if relation == "same":
                    break
        if found is None:
            return None
        rest.remove(found[0])
        relations.append(found[1])
    if rest:
        return "partial"
    if "nickname" in relations:
        return "nickname"
    # Every word a slip from the other's: whole-name similarity misses it when a slip in
    # a first letter reorders the words ("Draren Bguyen", "Darren Nguyen").
    return "similar"
