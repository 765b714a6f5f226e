"""Who the person to erase is: what identifies her, and finding every record of hers.

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

Her values are scrubbed from what stays (:func:`scrub`): her IDs hashed
(:func:`erased_id`), strings holding her values replaced by ``[erased]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from graph.store import GraphStore, Node
from identity.arrival import records_sharing
from identity.blocking import identifier_key, term
from identity.normalize import normalize_email, normalize_id, normalize_phone, normalize_postal
from identity.profile import Profile, profile

# Where a person's values sit on a customer or source record (her given or family name
# alone is no value of hers: others have it too; her full name is).
PERSONAL = (
    "name",
    "birth_date",
    "birth_date_raw",
    "email",
    "phone",
    "address",
    "address_line2",
    "national_id",
)
MANY = 1_000_000
_ROUNDS = 10  # identifiers found by records found by identifiers ... at most this deep
ERASED = "[erased]"


def erased_id(value: str) -> str:
    """The non-identifying stand-in for an ID of an erased person."""
    digest = hashlib.blake2b(value.encode(), digest_size=8, person=b"ckb-erasure")
    return f"erased:{digest.hexdigest()}"


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
        written = [props.get(name) for name in PERSONAL]
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


def strings_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings_in(v)


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
            "Customer", sorted(fresh), "RESOLVED_TO", "in", "SourceRecord", limit=MANY
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
        "Customer", customers, "RESOLVED_TO", "in", "SourceRecord", limit=MANY
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
