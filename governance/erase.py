"""Right to erasure: remove a person from every copy ckb keeps; keep a tombstone without them.

**Who she is.** A request names one golden customer (or a retired ID of one), taken to be
one person. She is that customer and every source record that is evidently the same
person: one sharing at least two of her exact identifiers — national ID (counts twice),
email, phone, birth date, each compared in the normal form identity resolution uses — and
contradicting none (a different national ID or birth date where both have one). Records
are found through the identifier index (``SourceRecord.match_keys``) and each one found
adds its identifiers to the search, so a record split off by an unmerge, or one that was
never merged, goes too. Unmerge history alone does not make two records one person (an
unmerge usually says they are not), but merge and split events that involved her hold
her snapshots, so they are scrubbed.

**What goes** (deleted, from every index of both stores): every golden customer all of
whose source records are hers, with its aliases, source records, touchpoints, purchases,
consents, credit and third-party (enrichment) profiles and the review items naming it or
her records; holdings and households nobody else has. A record of hers that resolved to
someone else's customer goes alone, and that customer's attributes are chosen again from
the records left. Lines of the rejects files (the directories given: push ingest's, which
``ckb load`` and ``ckb enrich`` use by default) that hold one of her identifiers, or that
name her records or customers, are removed; a line names a record by its system, which
comes from the file's name (``ingest.<system>.<kind>``, ``<system>.<kind>.<ext>``) or its
``customer_system`` — without one, IDs alone do not make a line hers. Rows of ``ckb
enrich``'s unmatched reports (no record, no identifier) are hers when they hold one of her
names with her birth date or postal code.

**What is scrubbed** (kept without her): a household others share loses its address and
postal code, or its name, when she was its only source of them; merge and split events
that involved her keep their kind, time, actor and undone flag, her IDs hashed and their
snapshot reduced to counts (such a merge can no longer be undone); audit entries that
named her or held her values keep their action, time and actor, her IDs hashed and her
values replaced by ``[erased]``.

**What stays**: one AuditEntry naming the customer ID the request named, who erased it,
when, the request reference, and how many nodes of each kind went or were scrubbed and
rejects lines removed; and per source record a tombstone, an AuditEntry keyed by a hash
of the record's key, so that a reload of the record can be recognised
(:func:`erased_records`) — never her values.
"""

from __future__ import annotations

import csv
import hashlib
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from epcis.store_sales import SalesWrite
from governance.audit import now_utc
from graph.errors import CkbError
from graph.store import Direction, GraphStore, Node, atomically
from identity.arrival import records_sharing
from identity.matching import Profile, identifier_key, profile, term
from identity.normalize import normalize_email, normalize_id, normalize_phone, normalize_postal
from identity.resolve import survivor_attributes
from loaders.rejects import count_rejects, rewrite_rejects

# (relationship, direction from the customer, label): what belongs to the person alone.
_OWNED: tuple[tuple[str, Direction, str], ...] = (
    ("RESOLVED_TO", "in", "SourceRecord"),
    ("ALIAS_OF", "in", "CustomerAlias"),
    ("HAD_TOUCHPOINT", "out", "Touchpoint"),
    ("MADE", "out", "Purchase"),
    ("HAS_CONSENT", "out", "Consent"),
    ("HAS_CREDIT_PROFILE", "out", "CreditProfile"),
    ("HAS_THIRD_PARTY_PROFILE", "out", "ThirdPartyProfile"),
    ("CANDIDATE", "in", "ReviewItem"),
)
# Shared things: erased only when nobody else holds them.
_SHARED = (("HOLDS", "Holding"), ("MEMBER_OF", "Household"))
# Where a person's values sit on a customer or source record (her given or family name
# alone is no value of hers: others have it too; her full name is).
_PERSONAL = (
    "name",
    "birth_date",
    "birth_date_raw",
    "email",
    "phone",
    "address",
    "address_line2",
    "national_id",
)
_MANY = 1_000_000
_ROUNDS = 10  # identifiers found by records found by identifiers ... at most this deep
ERASED = "[erased]"


class ErasureError(CkbError):
    """The customer to erase does not exist."""


@dataclass(frozen=True, slots=True)
class Erasure:
    customer_id: str
    removed: dict[str, int]
    audit_id: str
    customers: tuple[str, ...] = ()  # every golden customer erased, the one named first
    scrubbed: dict[str, int] = field(default_factory=dict)


# ----------------------------------------------------------------------------- pure rules


def erased_id(value: str) -> str:
    """The non-identifying stand-in for an ID of an erased person."""
    digest = hashlib.blake2b(value.encode(), digest_size=8, person=b"ckb-erasure")
    return f"erased:{digest.hexdigest()}"


def tombstone_id(record_key: str) -> str:
    """The AuditEntry that says a source record (``system:id``) was erased."""
    return f"AU-ERASED-{erased_id(record_key).removeprefix('erased:')}"


@dataclass
class Identity:
    """What identifies the person, in the normal forms identity resolution compares, and
    her values as written (case-folded), which must not stay anywhere."""

    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    national_ids: set[str] = field(default_factory=set)
    birth_dates: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # full names, case-folded
    postal_codes: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)

    def add(self, key: str, props: Mapping[str, Any], today: date) -> None:
        p = profile(key, props, today)
        for found, value in (
            (self.emails, p.email),
            (self.phones, p.phone),
            (self.national_ids, p.national_id),
            (self.birth_dates, p.birth_date),
        ):
            if value:
                found.add(value)
                self.values.add(value.casefold())
        if isinstance(props.get("country"), str):
            self.countries.add(str(props["country"]))
        if p.postal:
            self.postal_codes.add(p.postal)
        if p.name:
            self.names.add(p.name.strip().casefold())
        written = [props.get(name) for name in _PERSONAL]
        written.append(" ".join(str(props.get(n) or "") for n in ("given_name", "family_name")))
        self.values.update(v.strip().casefold() for v in written if isinstance(v, str))
        self.values = {v for v in self.values if len(v) >= 4}

    def terms(self) -> list[str]:
        """Her identifiers as SourceRecord.match_keys index terms."""
        pairs = [
            *(("email", v) for v in self.emails),
            *(("phone", v) for v in self.phones),
            *(("national_id", v) for v in self.national_ids),
        ]
        return sorted(term(identifier_key(f, v)) for f, v in pairs)

    def same_person(self, p: Profile) -> bool:
        """A record is hers: two exact identifiers of hers (a national ID counts twice),
        and none that contradicts hers."""
        if p.national_id and self.national_ids and p.national_id not in self.national_ids:
            return False
        if p.birth_date and self.birth_dates and p.birth_date not in self.birth_dates:
            return False
        evidence = (
            2 * (p.national_id in self.national_ids)
            + (p.email in self.emails)
            + (p.phone in self.phones)
            + (p.birth_date in self.birth_dates)
        )
        return evidence >= 2

    def identifies(self, text: str) -> bool:
        """Whether a string is one of her identifiers (email, phone, national ID), in
        whatever form it was written."""
        if "@" in text and normalize_email(text).value in self.emails:
            return True
        if not any(c.isdigit() for c in text):
            return False
        if normalize_id(text).value in self.national_ids:
            return True
        return any(normalize_phone(text, c).value in self.phones for c in (None, *self.countries))

    def holds(self, text: str) -> bool:
        """Whether a string holds any value of hers: an identifier, or a name, address,
        birth date ... as written."""
        folded = text.casefold()
        return self.identifies(text) or any(v in folded for v in self.values)

    def owns_row(self, fields: Sequence[str]) -> bool:
        """A report row that names no record (``ckb enrich``'s unmatched rows) is hers
        when it holds one of her names and her birth date or postal code."""
        folded = {f.strip().casefold() for f in fields}
        if not folded & self.names:
            return False
        postal = {normalize_postal(f).value for f in fields}
        return bool(folded & self.birth_dates or postal & self.postal_codes)


def scrub(value: Any, ids: Mapping[str, str], identity: Identity) -> Any:
    """A JSON value without her: her IDs hashed, strings holding her values erased."""
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        return ERASED if identity.holds(value) else value
    if isinstance(value, list):
        return [scrub(v, ids, identity) for v in value]
    if isinstance(value, dict):
        return {scrub(k, ids, identity): scrub(v, ids, identity) for k, v in value.items()}
    return value


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)


_FIELD = re.compile(r"[,;\t|\"{}\[\]]")


def system_of(rejects_file: Path, kind: str) -> str | None:
    """The source system a rejects file's records came from, when its name tells: push
    ingest's ``ingest.<system>.<kind>``, a load of ``<system>.<kind>.<ext>``."""
    parts = rejects_file.name.removesuffix(".rejects.jsonl").split(".")
    if len(parts) == 3 and parts[0] == "ingest" and parts[2] == kind:
        return parts[1]
    if len(parts) == 3 and parts[1] == kind:
        return parts[0]
    return None


def _names(record: Mapping[str, Any], kind: str, system: str | None) -> set[str]:
    """The source record keys and golden IDs a record refers to."""
    named = {str(record["ckb_customer_id"])} if record.get("ckb_customer_id") else set()
    refs = [(record.get("customer_system") or system, record.get("customer_id"))]
    refs += [(record.get(f"{end}_system") or system, record.get(f"{end}_customer_id"))
             for end in ("from", "to")]  # fmt: skip
    if kind == "customers":
        refs.append((system, record.get("source_record_id")))
    named.update(f"{s}:{i}" for s, i in refs if s and i not in (None, ""))
    return named


def rejects_line_is_hers(
    entry: Any, system: str | None, ids: Mapping[str, str], identity: Identity
) -> bool:
    """A rejected record is hers when it holds one of her identifiers, or her full name
    with her birth date or postal code, or names one of her records or customers (by
    system and ID)."""
    if isinstance(entry, str):
        parts = [part.strip() for part in _FIELD.split(entry)]
        return any(identity.identifies(part) for part in parts) or identity.owns_row(parts)
    record = entry.get("record") if isinstance(entry, dict) else entry
    if isinstance(record, str):
        return rejects_line_is_hers(record, system, ids, identity)
    strings = list(_strings(record))
    if isinstance(record, dict):
        names = (record.get("given_name"), record.get("family_name"))
        strings.append(" ".join(str(n) for n in names if n))
    if any(identity.identifies(s) for s in strings) or identity.owns_row(strings):
        return True
    kind = str(entry.get("kind")) if isinstance(entry, dict) else ""
    return isinstance(record, dict) and bool(_names(record, kind, system) & ids.keys())


# ----------------------------------------------------------------------------- finding her


@dataclass
class Person:
    customers: set[str]  # golden customers all hers: erased whole
    records: set[str] = field(default_factory=set)  # her source records, wherever they are
    shared: dict[str, set[str]] = field(default_factory=dict)  # another's customer: hers on it
    identity: Identity = field(default_factory=Identity)


def find_person(store: GraphStore, golden: str, today: date) -> Person:
    """The person a golden customer is: see the module docstring."""
    person = Person({golden})
    node = store.get_node("Customer", golden)
    person.identity.add(golden, node.props if node else {}, today)
    fresh = {golden}
    seen: set[str] = set()
    pool: dict[str, Node] = {}  # records sharing an identifier of hers, not (yet) hers
    for _ in range(_ROUNDS):
        linked = store.neighbours_many(
            "Customer", sorted(fresh), "RESOLVED_TO", "in", "SourceRecord", limit=_MANY
        )
        for found in linked.values():
            for n in found:
                _take(person, n.node, today)
        pool.update((r.key, r) for r in _candidates(store, person, seen))
        for key in person.records & pool.keys():
            del pool[key]
        # Tried again each round: what she is known by grows with every record found.
        hers = [
            pool.pop(key)
            for key, r in sorted(pool.items())
            if person.identity.same_person(profile(key, r.props, today))
        ]
        for record in hers:
            _take(person, record, today)
        fresh = _owners(store, person, [r.key for r in hers])
        if not fresh and not hers:
            break
    return person


def _take(person: Person, record: Node, today: date) -> None:
    person.records.add(record.key)
    person.identity.add(record.key, record.props, today)


def _candidates(store: GraphStore, person: Person, seen: set[str]) -> list[Node]:
    """Records sharing one of her identifiers, not looked at before (a value shared by
    very many records is generic, no evidence, as in matching)."""
    found: dict[str, Node] = {}
    for key_term in person.identity.terms():
        if key_term in seen:
            continue
        seen.add(key_term)
        for node in records_sharing(store, key_term) or ():
            if node.key not in person.records:
                found[node.key] = node
    return [found[k] for k in sorted(found)]


def _owners(store: GraphStore, person: Person, records: Sequence[str]) -> set[str]:
    """The customers these records of hers resolve to, and those known to hold some of
    hers: all hers now (returned, new), or someone else's holding some (``shared``)."""
    owners = store.neighbours_many(
        "SourceRecord", list(records), "RESOLVED_TO", "out", "Customer", limit=1
    )
    named = {found[0].node.key for found in owners.values()} | set(person.shared)
    customers = sorted(named - person.customers)
    theirs = store.neighbours_many(
        "Customer", customers, "RESOLVED_TO", "in", "SourceRecord", limit=_MANY
    )
    fresh = set()
    for customer in customers:
        keys = {n.node.key for n in theirs.get(customer, [])}
        if keys <= person.records:
            person.customers.add(customer)
            person.shared.pop(customer, None)
            fresh.add(customer)
        else:
            person.shared[customer] = keys & person.records
    return fresh


# ----------------------------------------------------------------------------- the plan


@dataclass
class Plan:
    doomed: dict[str, set[str]]
    ids: dict[str, str]  # every ID of hers -> its hashed stand-in
    households: list[dict[str, Any]]
    events: list[dict[str, Any]]
    audits: list[dict[str, Any]]
    recomputed: list[dict[str, Any]]


def _doomed(store: GraphStore, person: Person) -> dict[str, set[str]]:
    customers = sorted(person.customers)
    doomed: dict[str, set[str]] = {"Customer": set(customers), "SourceRecord": set(person.records)}
    for rel_type, direction, label in _OWNED:
        found = store.neighbours_many("Customer", customers, rel_type, direction, label, _MANY)
        doomed.setdefault(label, set()).update(n.node.key for f in found.values() for n in f)
    reviews = store.neighbours_many(
        "SourceRecord", sorted(person.records), "CANDIDATE", "in", "ReviewItem", limit=_MANY
    )
    doomed["ReviewItem"].update(n.node.key for found in reviews.values() for n in found)
    for rel_type, label in _SHARED:
        held = store.neighbours_many("Customer", customers, rel_type, "out", label, _MANY)
        keys = sorted({n.node.key for found in held.values() for n in found})
        others = store.neighbours_many(label, keys, rel_type, "in", "Customer", limit=_MANY)
        doomed[label] = {
            k for k in keys if all(n.node.key in person.customers for n in others.get(k, []))
        }
    return doomed


def _households(store: GraphStore, person: Person, doomed: set[str]) -> list[dict[str, Any]]:
    """Households others share: their name or address go when she was its only source."""
    held = store.neighbours_many(
        "Customer", sorted(person.customers), "MEMBER_OF", "out", "Household", limit=_MANY
    )
    kept = {n.node.key: n.node for f in held.values() for n in f if n.node.key not in doomed}
    members = store.neighbours_many("Household", sorted(kept), "MEMBER_OF", "in", "Customer", _MANY)
    changes = []
    for key, household in sorted(kept.items()):
        others = [n.node for n in members.get(key, []) if n.node.key not in person.customers]
        theirs = _their_values(store, others)
        change: dict[str, Any] = {}
        for name in ("name", "address"):
            value = household.props.get(name)
            if (
                isinstance(value, str)
                and person.identity.holds(value)
                and not any(value.casefold() in v for v in theirs)
            ):
                change[name] = None
        if "address" in change:
            change["postal_code"] = None
        if change:
            changes.append({"id": key, **change})
    return changes


def _their_values(store: GraphStore, customers: Sequence[Node]) -> set[str]:
    records = store.neighbours_many(
        "Customer", [c.key for c in customers], "RESOLVED_TO", "in", "SourceRecord", _MANY
    )
    nodes = [*customers, *(n.node for found in records.values() for n in found)]
    return {
        str(v).casefold() for node in nodes for k, v in node.props.items() if k in _PERSONAL and v
    }


def _history(store: GraphStore, person: Person) -> list[Node]:
    """Merge and split events that involved her: those of her customers (and of others'
    holding records of hers) and, transitively, those a merge's snapshot shows an absorbed
    customer had (its MERGED links went when it did, and an unmerge does not bring them
    back) and the merges a split undid."""
    customers = sorted(person.customers | set(person.shared))
    found = store.neighbours_many("Customer", customers, "MERGED", "in", "MergeEvent", _MANY)
    todo = {n.node.key: n.node for f in found.values() for n in f}
    events: dict[str, Node] = {}
    while todo:
        events.update(todo)
        linked = {k for event in todo.values() for k in _linked_events(store, event)}
        todo = store.get_nodes("MergeEvent", sorted(linked - events.keys()))
    return [events[k] for k in sorted(events)]


def _linked_events(store: GraphStore, event: Node) -> set[str]:
    snapshot = orjson.loads(str(event.props.get("snapshot") or "{}"))
    parts = [*(snapshot.get("absorbed") or {}).values(), snapshot.get("survivor") or {}]
    linked = {r["key"] for p in parts for r in p.get("rels", ()) if r.get("type") == "MERGED"}
    if event.props.get("kind") == "split":
        audit = store.get_node("AuditEntry", f"AU-{event.key}")
        detail = orjson.loads(str(audit.props.get("detail") or "{}")) if audit else {}
        if isinstance(detail, dict) and detail.get("merge_event"):
            linked.add(str(detail["merge_event"]))
    return linked


def _event_tombstone(event: Node, ids: Mapping[str, str], identity: Identity) -> dict[str, Any]:
    """A merge or split event without her: her IDs hashed, the snapshot reduced to counts."""
    snapshot = orjson.loads(str(event.props.get("snapshot") or "{}"))
    absorbed = snapshot.get("absorbed") or {}
    counts = {
        "customers": len(absorbed) + ("survivor" in snapshot),
        "relationships": sum(len(c.get("rels", ())) for c in absorbed.values())
        + len((snapshot.get("survivor") or {}).get("rels", ())),
    }
    props = {
        k: scrub(event.props.get(k), ids, identity)
        for k in ("survivor", "absorbed", "source_records", "reason", "actor")
    }
    if "erased" in snapshot:  # an earlier erasure's counts (another person's) stand
        counts = snapshot["erased"]
    snap = orjson.dumps({"erased": counts}).decode() if snapshot else None
    return {"id": event.key, **props, "snapshot": snap}


def _names_her(value: Any, ids: Mapping[str, str], identity: Identity) -> bool:
    return any(s in ids or identity.holds(s) for s in _strings(value))


def _audit_changes(
    store: GraphStore, ids: Mapping[str, str], identity: Identity, page: int = 1000
) -> list[dict[str, Any]]:
    """Every audit entry that names her or holds her values, scrubbed. Audit entries are
    not indexed by what they name: this reads them all, a page at a time."""
    changes = []
    after: str | None = None
    while keys := store.keys_page("AuditEntry", after, page):
        after = keys[-1]
        for key, node in sorted(store.get_nodes("AuditEntry", keys).items()):
            raw = node.props.get("detail")
            try:
                detail = orjson.loads(str(raw)) if raw is not None else None
            except orjson.JSONDecodeError:
                detail = raw
            fields = {"target": node.props.get("target"), "actor": node.props.get("actor")}
            if not _names_her([detail, *fields.values()], ids, identity):
                continue
            clean = scrub(detail, ids, identity)
            changes.append(
                {
                    "id": key,
                    **{k: scrub(v, ids, identity) for k, v in fields.items()},
                    "detail": orjson.dumps(clean).decode() if detail is not None else None,
                }
            )
    return changes


def _recomputed(store: GraphStore, person: Person) -> list[dict[str, Any]]:
    """Someone else's customers that held records of hers: attributes from the rest."""
    found = store.neighbours_many(
        "Customer", sorted(person.shared), "RESOLVED_TO", "in", "SourceRecord", limit=_MANY
    )
    rows = []
    for customer in sorted(person.shared):
        left = [n.node for n in found.get(customer, []) if n.node.key not in person.records]
        rows.append({"id": customer, **survivor_attributes(left)})
    return rows


def plan_erasure(store: GraphStore, person: Person) -> Plan:
    doomed = _doomed(store, person)
    ids = {key: erased_id(key) for keys in doomed.values() for key in keys}
    identity = person.identity
    events = [
        _event_tombstone(e, ids, identity)
        for e in _history(store, person)
        if _names_her(
            {**e.props, "snapshot": orjson.loads(str(e.props.get("snapshot") or "null"))},
            ids,
            identity,
        )
    ]
    return Plan(
        doomed,
        ids,
        _households(store, person, doomed.get("Household", set())),
        events,
        _audit_changes(store, ids, identity),
        _recomputed(store, person),
    )


# ----------------------------------------------------------------------------- erasing


def erase_customer(
    store: GraphStore,
    customer_id: str,
    actor: str,
    reference: str | None = None,
    rejects_dirs: Sequence[Path] = (),
    report_dirs: Sequence[Path] = (),
) -> Erasure:
    """Erase the person the customer with this ID (or alias) is; see the module docstring.
    ``rejects_dirs``: where rejects files are (``*.jsonl``); ``report_dirs``: where
    ``ckb enrich`` writes its unmatched rows (``*.unmatched.csv``). Files first, then the
    graph in one transaction: a failure on the way leaves the customer findable, and
    erasure can be run again. Before the files, how many lines each will lose is stored
    (:func:`progress_id`: file paths and counts, nothing of her) for a run again to count
    what this one removed; the graph transaction deletes it."""
    golden = _golden(store, customer_id)
    person = find_person(store, golden, datetime.now(UTC).date())
    plan = plan_erasure(store, person)
    scrubs = [
        (path, _rejects_drop(path, plan.ids, person.identity))
        for path in _files(rejects_dirs, "*.jsonl")
    ]
    scrubs += [
        (path, _report_drop(person.identity)) for path in _files(report_dirs, "*.unmatched.csv")
    ]
    progress = progress_id(golden, reference)
    # What the files will lose, made durable before they lose it: a run killed after
    # the files and before the graph leaves the count for the run that completes it.
    earlier = _record_progress(
        store, progress, {str(p): count_rejects(p, drop) for p, drop in scrubs}
    )
    found = {str(path): rewrite_rejects(path, drop) for path, drop in scrubs}
    lines = sum(max(earlier.get(f, 0), found.get(f, 0)) for f in earlier.keys() | found.keys())
    scrubbed = {
        label: n
        for label, n in (
            ("AuditEntry", len(plan.audits)),
            ("Customer", len(plan.recomputed)),
            ("Household", len(plan.households)),
            ("MergeEvent", len(plan.events)),
            ("file lines", lines),
        )
        if n
    }
    audit_id = f"AU-ERASE-{uuid.uuid4().hex}"
    others = sorted(person.customers - {golden})

    def audit(removed: dict[str, int]) -> list[dict[str, Any]]:
        detail = {
            "reference": reference,
            "removed": removed,
            "scrubbed": scrubbed,
            "customers": [erased_id(c) for c in others],
        }
        entry = {
            "id": audit_id,
            "at": now_utc(),
            "actor": actor,
            "action": "erase customer",
            "target": golden,
            "detail": orjson.dumps(detail).decode(),
        }
        return [entry, *_tombstones(sorted(person.records), audit_id)]

    def commit() -> dict[str, int]:
        removed = _apply(store, plan, audit)
        if store.get_node("AuditEntry", progress) is not None:
            store.delete_nodes("AuditEntry", [progress])
        return removed

    removed = atomically(store, commit)
    return Erasure(golden, removed, audit_id, (golden, *others), scrubbed)


def progress_id(golden: str, reference: str | None) -> str:
    """The AuditEntry an erasure in progress keeps, until its graph transaction, of how
    many lines each file loses: the same for a run again of the same request."""
    request = erased_id("\x1f".join((golden, reference or "")))
    return f"AU-ERASING-{request.removeprefix('erased:')}"


def _record_progress(store: GraphStore, progress: str, counts: Mapping[str, int]) -> dict[str, int]:
    """Per file, the lines an earlier, unfinished run of this erasure removed or meant to
    (a file is rewritten whole, or not at all), merged with this run's and stored; the
    earlier ones are returned. Only file paths and counts: nothing of her."""
    node = store.get_node("AuditEntry", progress)
    detail = orjson.loads(str(node.props.get("detail") or "{}")) if node else {}
    earlier: dict[str, int] = {str(f): int(n) for f, n in (detail.get("files") or {}).items()}
    merged = {f: max(earlier.get(f, 0), counts.get(f, 0)) for f in earlier.keys() | counts.keys()}
    merged = {f: n for f, n in sorted(merged.items()) if n}
    if merged and merged != earlier:
        entry = {
            "id": progress,
            "at": now_utc(),
            "actor": "ckb erasure",
            "action": "erasure in progress",
            "target": progress.removeprefix("AU-ERASING-"),
            "detail": orjson.dumps({"files": merged}).decode(),
        }
        atomically(store, lambda: store.upsert_nodes("AuditEntry", [entry]))
    return earlier


def _rejects_drop(path: Path, ids: Mapping[str, str], identity: Identity) -> Callable[[Any], bool]:
    def drop(entry: Any) -> bool:
        kind = str(entry.get("kind")) if isinstance(entry, dict) else ""
        return rejects_line_is_hers(entry, system_of(path, kind), ids, identity)

    return drop


def _report_drop(identity: Identity) -> Callable[[Any], bool]:
    def drop(entry: Any) -> bool:
        return isinstance(entry, str) and any(identity.owns_row(r) for r in csv.reader([entry]))

    return drop


def scrub_rejects(path: Path, ids: Mapping[str, str], identity: Identity) -> int:
    """Remove her lines from one rejects file; how many went."""
    return rewrite_rejects(path, _rejects_drop(path, ids, identity))


def scrub_report(path: Path, identity: Identity) -> int:
    """Remove her rows from a CSV report of rows matched to nobody; how many went."""
    return rewrite_rejects(path, _report_drop(identity))


def _files(directories: Sequence[Path], pattern: str) -> list[Path]:
    unique = dict.fromkeys(Path(d).resolve() for d in directories)
    return [path for d in unique if d.is_dir() for path in sorted(d.glob(pattern))]


def _apply(
    store: GraphStore, plan: Plan, audit: Callable[[dict[str, int]], list[dict[str, Any]]]
) -> dict[str, int]:
    """The plan's writes and deletions, then the audit entries saying what went."""
    writes: tuple[tuple[str, list[dict[str, Any]]], ...] = (
        ("Household", plan.households),
        ("MergeEvent", plan.events),
        ("AuditEntry", plan.audits),
        ("Customer", plan.recomputed),
    )
    for label, rows in writes:
        if rows:
            store.upsert_nodes(label, rows)
    removed = Counter[str]()
    # Her store purchases take back what they counted in the daily store sales.
    sales = SalesWrite(store, sorted(plan.doomed.get("Purchase", ())))
    for label in sorted(plan.doomed, key=lambda lbl: (lbl == "Customer", lbl)):
        if plan.doomed[label]:
            removed[label] += store.delete_nodes(label, sorted(plan.doomed[label]))
    sales.done()
    counts = dict(sorted(removed.items()))
    store.upsert_nodes("AuditEntry", audit(counts))
    return counts


def _tombstones(records: Sequence[str], audit_id: str) -> list[dict[str, Any]]:
    at = now_utc()
    return [
        {
            "id": tombstone_id(record),
            "at": at,
            "actor": "ckb erasure",
            "action": "erased source record",
            "target": erased_id(record),
            "detail": orjson.dumps({"erasure": audit_id}).decode(),
        }
        for record in records
    ]


def erased_records(store: GraphStore, record_keys: Sequence[str]) -> set[str]:
    """Which of these source records (``system:id``) an erasure removed: a load can
    recognise them, and refuse them or erase them again."""
    wanted = {tombstone_id(k): k for k in record_keys}
    return {wanted[k] for k in store.get_nodes("AuditEntry", sorted(wanted))}


def _golden(store: GraphStore, customer_id: str) -> str:
    if store.get_node("Customer", customer_id) is not None:
        return customer_id
    alias = store.neighbours("CustomerAlias", customer_id, "ALIAS_OF", "out", "Customer", limit=1)
    if alias:
        return alias[0].node.key
    raise ErasureError(f"no customer {customer_id!r} to erase")


__all__ = [
    "Erasure",
    "ErasureError",
    "Identity",
    "Person",
    "erase_customer",
    "erased_id",
    "erased_records",
    "find_person",
    "scrub",
]
