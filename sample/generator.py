"""``ckb sample``: a realistic, deterministic sample of every source file ckb loads.

People (Chinese and Western names) appear in 2-4 source systems, spelled differently
(typos, nicknames, pinyin), some with a changed phone or a new address, some with a
generic one (the call center's own number, a placeholder, the shop's address); households of
1-6; a bank + telco + energy + retail catalogue; values with a long tail; two years of
touchpoints with complaint bursts before churn; campaigns with a measurable response;
consents; credit profiles; a third-party demographics file that matches ~80%; and a few
deliberately bad records. Ground truth (who is who, who churned, which lines are planted
bad records) goes to ``truth/``. The same seed always writes the same bytes.

This module runs the sections in order; each section is a module of this package.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sample.catalogue import write_catalogue
from sample.context import Sample
from sample.customers import write_customers, write_households
from sample.holdings import write_holdings
from sample.people import make_people, write_agents
from sample.purchases import write_epcis, write_purchases
from sample.relationships import write_consents_and_credit, write_relationships
from sample.touchpoints import write_campaigns_and_touchpoints
from sample.truth import write_third_party, write_truth

AS_OF = date(2026, 11, 1)  # the default as-of date of library callers (tests, bench/)

# In this order, always: the sections share one random stream (sample/context.py).
SECTIONS: tuple[Callable[[Sample], None], ...] = (
    make_people,
    write_catalogue,
    write_agents,
    write_customers,
    write_households,
    write_holdings,
    write_purchases,
    write_campaigns_and_touchpoints,
    write_consents_and_credit,
    write_relationships,
    write_third_party,
    write_epcis,
    write_truth,
)


def generate_sample(customers: int, seed: int, out: Path, as_of: date = AS_OF) -> dict[str, int]:
    """Write the sample, its history ending on ``as_of``; returns records written per file.

    A seed and an as-of date always give the same files; the history (customer since,
    holdings, purchases, touchpoints, complaints, churn) is placed relative to ``as_of``.
    """
    if customers < 1:
        raise ValueError("--customers must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    sample = Sample(customers, seed, out, as_of)
    for section in SECTIONS:
        section(sample)
    counts = {}
    for name, writer in sorted(sample.writers.items()):
        writer.close()
        counts[name] = writer.line - (1 if writer.is_csv else 0)
    return counts
