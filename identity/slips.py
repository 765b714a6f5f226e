"""Values written with a slip: birth dates a slip or two apart, emails and phones a typo
apart. Pure domain code; identity/comparison.py turns these into comparison levels.
"""

from __future__ import annotations

from collections import Counter
from operator import ne

from rapidfuzz.distance import DamerauLevenshtein


def birth_dates_level(x: str | None, y: str | None) -> str | None:
    """``birth_level`` of two ISO birth dates (or None)."""
    if not x or not y:
        return None
    if x == y:
        return "exact"
    ya, ma, da = x.split("-")
    yb, mb, db = y.split("-")
    if ya == yb and (ma == mb or (ma, da) == (db, mb)):
        return "partial"
    if near_birth_dates(x, y):
        return "near"
    return "slips" if slips_apart(x, y) else "different"


def near_birth_dates(x: str, y: str) -> bool:
    """Two ISO birth dates a slip apart: one digit off, two neighbouring digits swapped
    (1976-01-31, 1976-10-31; 1976, 1967; across month and day as typed: 1960-12-11,
    1960-11-21), or the year one off with the same day and month."""
    # Digit by digit, the separators left out: "12-11" written "11-21" swaps two
    # neighbouring digits as typed.
    return _one_slip(x.replace("-", ""), y.replace("-", ""))


def slips_apart(x: str, y: str) -> bool:
    """Two ISO birth dates two slips apart, as two records each with a slip of its own
    are (``near_birth_dates`` tells one slip): two digits off; two neighbouring digits
    swapped and one digit off, or twice; the year one off or day and month swapped, and
    one slip more (1969-04-07, 1970-07-04). Not where the years are more than a slip
    apart in their last digits: 1978 for 1980 is a sibling's as often as two slips."""
    if len(x) != 10 or len(y) != 10 or not _years_a_slip_apart(x[:4], y[:4]):
        return False
    # Digit by digit, the separators left out (YYYYMMDD).
    dx, dy = x[:4] + x[5:7] + x[8:], y[:4] + y[5:7] + y[8:]
    apart = sum(map(ne, dx, dy))
    if apart <= 2:
        return True
    # One slip undone on one side, the other slip left: day and month swapped; the
    # year one off (only towards the other's year: anywhere else the years would need a
    # second slip, and they pass _years_a_slip_apart); two neighbouring digits swapped
    # where they differ. One slip leaves at most two digits apart (the year one off:
    # four, but then the rest agrees), so most pairs are told by counting.
    undone = [(dx[:4] + dx[6:] + dx[4:6], dy), (dx, dy[:4] + dy[6:] + dy[4:6])]
    if abs(int(dx[:4]) - int(dy[:4])) == 1:
        undone.append((dy[:4] + dx[4:], dy))
    # Swaps keep the digits, a digit off changes one: the digits of the two dates, as
    # multisets, differ by one digit at most.
    if apart <= 4 and sum((Counter(dx) - Counter(dy)).values()) <= 1:
        for i in {i for at in range(8) if dx[at] != dy[at] for i in (at - 1, at) if 0 <= i < 7}:
            undone.append((dx[:i] + dx[i + 1] + dx[i] + dx[i + 2 :], dy))
    return any(a == b or _one_slip(a, b) for a, b in undone)


def _one_slip(a: str, b: str) -> bool:
    """``near_birth_dates`` of two dates written YYYYMMDD."""
    if len(a) != len(b):
        return False
    if a[4:] != b[4:] and sum(map(ne, a, b)) > 2:
        return False  # most pairs: more than a digit or a swap apart, day or month too
    apart = [i for i in range(len(a)) if a[i] != b[i]]
    if len(apart) == 1:
        return True
    if len(apart) == 2 and apart[1] == apart[0] + 1:
        i = apart[0]
        if a[i] == b[i + 1] and a[i + 1] == b[i]:
            return True
    return (
        a[4:] == b[4:] and a[:4].isdigit() and b[:4].isdigit() and abs(int(a[:4]) - int(b[:4])) == 1
    )


def _years_a_slip_apart(x: str, y: str) -> bool:
    """Two years equal, one off, their last digit off or their last two digits swapped
    (1917, 1971). A decade's digit off is one slip alone (``near_birth_dates``); with
    another slip it is a parent's birth date beside a child's as often (1958-05-04,
    1988-05-07)."""
    if x[:3] == y[:3] or (x[:2] == y[:2] and x[2] == y[3] and x[3] == y[2]):
        return x.isdigit() and y.isdigit()
    return x.isdigit() and y.isdigit() and abs(int(x) - int(y)) == 1


def typo_level(x: str | None, y: str | None) -> str | None:
    """``exact_level`` of two phone numbers, or ``close`` one typo apart (a digit off,
    two swapped, one added or dropped)."""
    if not x or not y:
        return None
    if x == y:
        return "exact"
    return "close" if DamerauLevenshtein.distance(x, y, score_cutoff=1) <= 1 else "different"


def email_level(x: str | None, y: str | None) -> str | None:
    """``typo_level`` of two emails, but where only digits differ (one changed, added or
    dropped): the number in ``margaretsinclair82`` and ``margaretsinclair52`` tells two
    people of one name apart as often as it is mistyped."""
    level = typo_level(x, y)
    if level == "close" and (x or "").translate(_NO_DIGITS) == (y or "").translate(_NO_DIGITS):
        return "different"
    return level


_NO_DIGITS = str.maketrans("", "", "0123456789")
