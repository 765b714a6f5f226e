"""``ckb quality``: the data-quality report, per source system.

For each system: its source records and the customers they resolve to; duplicates (more
than one record of the system on one customer) and records shared with other systems;
values flagged by the normalisers (invalid or placeholder phones, emails, postal codes,
birth dates, IDs); missing required fields (a name; any way to reach the person); and
records rejected at load, read from the rejects files. As text for people and as JSON
for a front end to chart.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from graph.store import GraphStore
from identity.profile import profile
from identity.resolve import source_records

_QUOTED = re.compile(r"'[^']*'")


@dataclass
class SystemQuality:
    records: int = 0
    customers: int = 0
    duplicates: int = 0  # records beyond the first of this system on one customer
    shared: int = 0  # records whose customer also has records of another system
    flagged: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    rejected_by_kind: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "customers": self.customers,
            "duplicates": self.duplicates,
            "shared_with_other_systems": self.shared,
            "flagged": dict(sorted(self.flagged.items())),
            "missing": dict(sorted(self.missing.items())),
            "rejected_at_load": {
                "count": self.rejected,
                "by_kind": dict(sorted(self.rejected_by_kind.items())),
                "top_reasons": [{"reason": r, "count": n} for r, n in self.reasons.most_common(5)],
            },
        }


def _system_of(source_file: str) -> str:
    """Files follow ``<system>.<kind>.<ext>`` (docs/formats.md); pushed batches name theirs."""
    name = Path(source_file).name
    return name.split(".", 1)[0] if "." in name else name


def _read_rejects(rejects_dir: Path, systems: dict[str, SystemQuality]) -> None:
    for path in sorted(rejects_dir.glob("*.jsonl")):
        with path.open("rb") as f:
            for line in f:
                try:
                    entry = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue  # a torn last line of a crashed write: nothing to count
                system = _system_of(str(entry.get("source_file") or path.name))
                q = systems.setdefault(system, SystemQuality())
                q.rejected += 1
                q.rejected_by_kind[str(entry.get("kind") or "?")] += 1
                for reason in entry.get("reasons") or ():
                    # Group by the reason's wording, not by the value it quotes.
                    q.reasons[_QUOTED.sub("'...'", str(reason))[:80]] += 1


def quality_report(
    store: GraphStore, today: date, rejects_dir: Path | None = None
) -> dict[str, Any]:
    systems: dict[str, SystemQuality] = defaultdict(SystemQuality)
    by_customer: dict[str, list[str]] = defaultdict(list)
    customers_of: dict[str, set[str]] = defaultdict(set)
    for node, owner in source_records(store):
        key, props = node.key, node.props
        system = str(props.get("source_system") or key.split(":", 1)[0])
        q = systems[system]
        q.records += 1
        p = profile(key, props, today)
        q.flagged.update(f for f in p.flags if f != "missing_name")
        if "missing_name" in p.flags:
            q.missing["name"] += 1
        if not p.email and not p.phone and not p.address:
            q.missing["contact"] += 1
        if owner:
            by_customer[owner].append(system)
            customers_of[system].add(owner)
    for found in by_customer.values():
        per_system = Counter(found)
        for system, n in per_system.items():
            systems[system].duplicates += n - 1
            if len(per_system) > 1:
                systems[system].shared += n
    for system, owners in customers_of.items():
        systems[system].customers = len(owners)
    if rejects_dir is not None and rejects_dir.is_dir():
        _read_rejects(rejects_dir, systems)
    totals = SystemQuality()
    for q in systems.values():
        totals.records += q.records
        totals.duplicates += q.duplicates
        totals.shared += q.shared
        totals.flagged.update(q.flagged)
        totals.missing.update(q.missing)
        totals.rejected += q.rejected
        totals.rejected_by_kind.update(q.rejected_by_kind)
        totals.reasons.update(q.reasons)
    totals.customers = len(by_customer)
    return {
        "as_of": today.isoformat(),
        "systems": {name: systems[name].as_json() for name in sorted(systems)},
        "totals": totals.as_json(),
    }


def render_text(report: dict[str, Any]) -> str:
    lines = [f"data quality as of {report['as_of']}"]
    lines.append(
        f"{'system':<14}{'records':>9}{'customers':>10}{'dups':>7}{'shared':>8}"
        f"{'flagged':>9}{'missing':>9}{'rejected':>9}"
    )
    rows = [*report["systems"].items(), ("total", report["totals"])]
    for name, q in rows:
        lines.append(
            f"{name:<14}{q['records']:>9,}{q['customers']:>10,}{q['duplicates']:>7,}"
            f"{q['shared_with_other_systems']:>8,}{sum(q['flagged'].values()):>9,}"
            f"{sum(q['missing'].values()):>9,}{q['rejected_at_load']['count']:>9,}"
        )
    for name, q in report["systems"].items():
        details = [
            f"{k} {v:,}"
            for k, v in {
                **q["flagged"],
                **{f"missing {k}": v for k, v in q["missing"].items()},
            }.items()
        ]
        details += [
            f"rejected: {r['reason']} ({r['count']:,})"
            for r in q["rejected_at_load"]["top_reasons"]
        ]
        if details:
            lines.append(f"  {name}: " + "; ".join(details))
    return "\n".join(lines)
