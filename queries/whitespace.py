"""White space and next best product: co-ownership association rules, with their evidence.

Pure domain code. ``ckb segment`` counts, over every customer with an active holding, who
holds which product lines; for each ordered pair of lines (A, B) it keeps

- ``customers``: how many hold both,
- ``confidence``: the share of A's holders who also hold B,
- ``lift``: confidence divided by B's overall penetration (1.0 = A tells nothing about B).

A customer's white space is every line they do not hold. Each candidate line is ranked by
its strongest rule from a line the customer does hold ("held by 38% of customers who hold
mobile, 1.9 times the base rate"); a customer holding nothing gets the most widely held
lines, by penetration. Rules resting on fewer than ``MIN_SUPPORT`` customers are not kept.
Within a recommended line the product most customers hold is proposed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import permutations
from typing import Any

MIN_SUPPORT = 5


@dataclass(frozen=True, slots=True)
class LineStats:
    holders: dict[str, int]  # line -> customers holding it
    base: int  # customers holding any line
    pairs: dict[tuple[str, str], tuple[int, float, float]]  # (a, b) -> customers, conf, lift

    def penetration(self, line: str) -> float:
        return round(self.holders.get(line, 0) / self.base, 4) if self.base else 0.0


def co_ownership(
    customer_lines: Iterable[Iterable[str]], min_support: int = MIN_SUPPORT
) -> LineStats:
    holders: dict[str, int] = {}
    both: dict[tuple[str, str], int] = {}
    base = 0
    for lines in customer_lines:
        held = sorted(set(lines))
        if not held:
            continue
        base += 1
        for line in held:
            holders[line] = holders.get(line, 0) + 1
        for pair in permutations(held, 2):
            both[pair] = both.get(pair, 0) + 1
    pairs = {}
    for (a, b), n in both.items():
        if n < min_support:
            continue
        confidence = n / holders[a]
        lift = confidence / (holders[b] / base)
        pairs[(a, b)] = (n, round(confidence, 4), round(lift, 4))
    return LineStats(holders, base, pairs)


@dataclass(frozen=True, slots=True)
class Recommendation:
    line: str
    name: str | None
    score: float  # confidence of the strongest rule, or penetration without one
    basis_line: str | None  # the held line the rule starts from
    lift: float | None
    customers: int | None  # customers behind the rule
    product_id: str | None  # the most held product in the line
    product_name: str | None
    evidence: str


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def rank_white_space(candidates: Sequence[Mapping[str, Any]], first: int) -> list[Recommendation]:
    """Rank candidate lines as the stores return them.

    Each candidate: ``line``, ``name``, ``penetration`` (float or None), ``rules`` (a list of
    ``{basis, customers, confidence, lift}`` from lines the customer holds) and ``products``
    (``{id, name, holders}`` in the line).
    """
    ranked: list[tuple[tuple[Any, ...], Recommendation]] = []
    for c in candidates:
        rules = sorted(
            c.get("rules") or [],
            key=lambda r: (-float(r["confidence"]), -float(r["lift"]), str(r["basis"])),
        )
        products = sorted(
            c.get("products") or [], key=lambda p: (-int(p.get("holders") or 0), str(p["id"]))
        )
        product = products[0] if products else None
        penetration = float(c.get("penetration") or 0.0)
        name = c.get("name")
        label = name or c["line"]
        if rules:
            best = rules[0]
            score = float(best["confidence"])
            evidence = (
                f"{label}: held by {_percent(score)} of customers who hold {best['basis']} "
                f"({float(best['lift']):.1f} times the {_percent(penetration)} base rate, "
                f"{int(best['customers'])} customers)"
            )
            rec = Recommendation(
                c["line"], name, score, str(best["basis"]), float(best["lift"]),
                int(best["customers"]), product and str(product["id"]),
                product and product.get("name"), evidence,
            )  # fmt: skip
            key: tuple[Any, ...] = (0, -score, -float(best["lift"]), c["line"])
        else:
            evidence = f"{label}: held by {_percent(penetration)} of all customers"
            rec = Recommendation(
                c["line"], name, penetration, None, None, None,
                product and str(product["id"]), product and product.get("name"), evidence,
            )  # fmt: skip
            key = (1, -penetration, c["line"])
        ranked.append((key, rec))
    ranked.sort(key=lambda item: item[0])
    return [rec for _, rec in ranked[:first]]
