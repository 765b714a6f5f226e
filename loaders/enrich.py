"""``ckb enrich FILE``: match a purchased demographics file to our customers.

Each row (name, address, postal code, birth date and the demographics) is matched like a
source record: candidates share a blocking key (name with birth date, name with postal
code, name stem — the file has no emails or phones), each is scored with the model of
the last ``ckb resolve``, and the best candidate counts as a match when it would link in
the batch and clearly beats the runner-up on another customer. A match is attached as a
ThirdPartyProfile only if the customer granted consent for third-party data
(``Consent {purpose: third_party_data, granted: true}``); otherwise it is counted and
left out. Unmatched and ambiguous rows go to a file with their line and reason, and the
report gives the match rate. Re-running attaches nothing new.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from governance.consent import allows_third_party_data
from graph import clock
from graph.store import GraphStore, Node, RelRow
from identity.arrival import records_sharing
from identity.blocking import match_terms
from identity.matching import AUTO_MERGE_WEIGHT, Link, score
from identity.model import Model
from identity.model_store import load_model
from identity.profile import profile
from loaders.checking import validation_reasons
from loaders.models import DemographicRecord
from loaders.rejects import RejectsFile
from loaders.sources import read_records

MARGIN = 4.0  # the best candidate must beat another customer's best by this weight
BATCH = 500


@dataclass
class EnrichSummary:
    rows: int = 0
    rejected: int = 0
    matched: int = 0
    attached: int = 0
    no_consent: int = 0
    unmatched: int = 0
    ambiguous: int = 0
    unmatched_path: Path | None = None
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def match_rate(self) -> float:
        valid = self.rows - self.rejected
        return self.matched / valid if valid else 0.0


@dataclass(frozen=True, slots=True)
class Match:
    line: int
    customer: str | None
    weight: float | None
    reason: str  # matched | no candidate | below threshold | ambiguous


def _candidates(store: GraphStore, terms: list[str]) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for term in terms:
        found.update((n.key, n) for n in records_sharing(store, term) or ())
    return found


def match_row(
    store: GraphStore, row: DemographicRecord, line: int, model: Model, today: date
) -> Match:
    props = {
        "name": row.name,
        "address": row.address,
        "postal_code": row.postal_code,
        "birth_date": row.birth_date.isoformat() if row.birth_date else None,
    }
    p = profile(f"row:{line}", props, today)
    candidates = _candidates(store, match_terms(p))
    if not candidates:
        return Match(line, None, None, "no candidate")
    owners = store.neighbours_many(
        "SourceRecord", sorted(candidates), "RESOLVED_TO", "out", "Customer", limit=1
    )
    best: dict[str, Link] = {}
    for key, node in candidates.items():
        if key not in owners:
            continue
        customer = owners[key][0].node.key
        link = score(p, profile(key, node.props, today), model)
        if customer not in best or link.weight > best[customer].weight:
            best[customer] = link
    ranked = sorted(best.items(), key=lambda item: (-item[1].weight, item[0]))
    if not ranked or ranked[0][1].weight < AUTO_MERGE_WEIGHT:
        return Match(line, None, ranked[0][1].weight if ranked else None, "below threshold")
    customer, link = ranked[0]
    if len(ranked) > 1 and link.weight - ranked[1][1].weight < MARGIN:
        return Match(line, None, link.weight, "ambiguous")
    return Match(line, customer, link.weight, "matched")


def _rows(
    path: Path, rejects: RejectsFile, summary: EnrichSummary
) -> Iterator[tuple[int, DemographicRecord]]:
    for raw in read_records(path):
        summary.rows += 1
        if raw.data is None:
            summary.rejected += 1
            rejects.reject(raw.line, raw.text, [raw.error or "unreadable"])
            continue
        try:
            yield raw.line, DemographicRecord.model_validate(raw.data)
        except ValidationError as exc:
            summary.rejected += 1
            rejects.reject(raw.line, raw.data, validation_reasons(exc))


def consenting(store: GraphStore, customers: list[str]) -> set[str]:
    """Which of these customers allow third-party data (one store call)."""
    consents = store.neighbours_many(
        "Customer", customers, "HAS_CONSENT", "out", "Consent", limit=1000
    )
    return {
        c for c, found in consents.items() if allows_third_party_data(n.node.props for n in found)
    }


def enrich(
    store: GraphStore,
    path: Path,
    unmatched_path: Path,
    rejects_path: Path,
    today: date,
    progress: Callable[[int], None] | None = None,
) -> EnrichSummary:
    """Match each row of a purchased demographics file; attach where consent allows.
    ``progress(rows)`` hears how many rows are done, every ``BATCH`` rows."""
    summary = EnrichSummary(unmatched_path=unmatched_path)
    model = load_model(store)
    unmatched_path.parent.mkdir(parents=True, exist_ok=True)
    rejects = RejectsFile(rejects_path, str(path), "third_party")
    with unmatched_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reason", "best_weight", "name", "postal_code", "birth_date"])
        pending: list[tuple[Match, DemographicRecord]] = []
        for n, (line, row) in enumerate(_rows(path, rejects, summary), 1):
            if progress is not None and n % BATCH == 0:
                progress(n)
            match = match_row(store, row, line, model, today)
            summary.by_reason[match.reason] = summary.by_reason.get(match.reason, 0) + 1
            if match.customer is None:
                summary.unmatched += 1
                summary.ambiguous += match.reason == "ambiguous"
                writer.writerow(
                    [line, match.reason, match.weight, row.name, row.postal_code, row.birth_date]
                )
                continue
            summary.matched += 1
            pending.append((match, row))
            if len(pending) >= BATCH:
                _attach(store, pending, summary)
                pending = []
        _attach(store, pending, summary)
    rejects.close()
    return summary


def _profile_id(provider: str, customer: str) -> str:
    digest = hashlib.blake2b(f"{provider}|{customer}".encode(), digest_size=8).hexdigest()
    return f"tp:{provider}:{digest}"


def _attach(
    store: GraphStore, pending: list[tuple[Match, DemographicRecord]], summary: EnrichSummary
) -> None:
    if not pending:
        return
    allowed = consenting(store, sorted({m.customer for m, _ in pending if m.customer}))
    nodes: list[dict[str, Any]] = []
    rels = []
    for match, row in pending:
        assert match.customer is not None
        if match.customer not in allowed:
            summary.no_consent += 1
            continue
        key = _profile_id(row.provider, match.customer)
        nodes.append(
            {
                "id": key,
                "provider": row.provider,
                "household_size": row.household_size,
                "income_band": row.income_band,
                "home_value_band": row.home_value_band,
                "match_score": round(1 / (1 + 2 ** -(match.weight or 0.0)), 6),
                "source_system": row.provider,
                "source_record_id": str(match.line),
            }
        )
        rels.append(RelRow(match.customer, key))
        summary.attached += 1
    now = clock.now_iso_precise()
    store.upsert_nodes("ThirdPartyProfile", nodes, touch={"loaded_at": now})
    store.upsert_relationships("HAS_THIRD_PARTY_PROFILE", "Customer", "ThirdPartyProfile", rels)
