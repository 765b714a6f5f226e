"""The one model of the knowledge graph.

Every other artefact derives from the definitions here: Neo4j constraints and indexes,
the embedded store's keys and secondary indexes, the schema the Cypher linter checks
against, and ``docs/schema.md`` for analysts. Change the model here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from graph.errors import SchemaDefinitionError, UnknownLabelError, UnknownRelationshipTypeError

SCHEMA_VERSION = 1

# Every node a loader writes carries these, so any fact can be traced to the record it came from.
PROVENANCE: tuple[tuple[str, str, str], ...] = (
    ("source_system", "string", "system the record came from"),
    ("source_record_id", "string", "the record's ID in that system"),
    ("loaded_at", "datetime string", "when a load last created or changed it (UTC, ISO 8601)"),
)


@dataclass(frozen=True, slots=True)
class Prop:
    name: str
    type: str
    doc: str = ""


@dataclass(frozen=True, slots=True)
class NodeType:
    label: str
    key: str
    doc: str
    props: tuple[Prop, ...]
    # Range indexes: exact and range lookups by these properties must not scan the label.
    indexed: tuple[str, ...] = ()
    # Composite indexes: an equality on the first property and a range on the next read
    # only the rows in range ("complaints in the last 30 days"). Embedded store only for
    # now; Neo4j answers such a filter from the single-property indexes.
    composite: tuple[tuple[str, ...], ...] = ()
    # Full-text indexed (Neo4j FULLTEXT index; the embedded store keeps its own).
    fulltext: tuple[str, ...] = ()
    # Term-indexed: a string of space-separated search keys, found by any shared key (a
    # Neo4j FULLTEXT index with the whitespace analyzer; the embedded store keeps an
    # inverted index). For fuzzy search: the keys are computed by ckb, not by Lucene.
    terms: tuple[str, ...] = ()
    # Restricted: readable only by roles allowed to see sensitive data.
    sensitive: bool = False
    provenance: bool = True

    @property
    def property_names(self) -> tuple[str, ...]:
        names = [p.name for p in self.props]
        if self.provenance:
            names.extend(name for name, _, _ in PROVENANCE)
        return tuple(names)

    @property
    def constraint_name(self) -> str:
        return f"{_snake(self.label)}_{self.key}_unique"


@dataclass(frozen=True, slots=True)
class RelType:
    type: str
    doc: str
    # Allowed (from label, to label) pairs; most types have one.
    endpoints: tuple[tuple[str, str], ...]
    props: tuple[Prop, ...] = ()
    # Properties that, with the endpoints and type, identify one relationship. Empty means
    # at most one relationship of this type between two given nodes.
    key: tuple[str, ...] = ()

    @property
    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props)

    def key_values(self, props: Mapping[str, Any]) -> tuple[Any, ...]:
        """The key property values of one relationship: what tells two apart."""
        return tuple(props.get(k) for k in self.key)


@dataclass(frozen=True, slots=True)
class GraphSchema:
    version: int
    nodes: tuple[NodeType, ...]
    relationships: tuple[RelType, ...]
    _by_label: dict[str, NodeType] = field(default_factory=dict, compare=False, repr=False)
    _by_type: dict[str, RelType] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_label.update({n.label: n for n in self.nodes})
        self._by_type.update({r.type: r for r in self.relationships})

    def node(self, label: str) -> NodeType:
        try:
            return self._by_label[label]
        except KeyError:
            raise UnknownLabelError(label) from None

    def relationship(self, rel_type: str) -> RelType:
        try:
            return self._by_type[rel_type]
        except KeyError:
            raise UnknownRelationshipTypeError(rel_type) from None

    def check_endpoints(self, rel_type: str, from_label: str, to_label: str) -> RelType:
        rel = self.relationship(rel_type)
        if (from_label, to_label) not in rel.endpoints:
            allowed = ", ".join(f"({a})->({b})" for a, b in rel.endpoints)
            raise UnknownRelationshipTypeError(
                rel_type, f"not allowed from {from_label} to {to_label}; allowed: {allowed}"
            )
        return rel

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(n.label for n in self.nodes)

    @property
    def relationship_types(self) -> tuple[str, ...]:
        return tuple(r.type for r in self.relationships)

    def property_keys(self) -> tuple[str, ...]:
        keys: set[str] = set()
        for n in self.nodes:
            keys.update(n.property_names)
            keys.add(n.key)
        for r in self.relationships:
            keys.update(r.property_names)
        return tuple(sorted(keys))

    def endpoint_pairs(self) -> Iterator[tuple[RelType, str, str]]:
        for rel in self.relationships:
            for a, b in rel.endpoints:
                yield rel, a, b

    def validate(self) -> None:
        """Internal consistency; a broken model fails at import, not at first write."""
        seen: set[str] = set()
        for n in self.nodes:
            if n.label in seen:
                raise SchemaDefinitionError(f"label {n.label} defined twice")
            seen.add(n.label)
            names = n.property_names
            if n.key not in names:
                raise SchemaDefinitionError(f"{n.label}: key {n.key} is not one of its props")
            for p in (*n.indexed, *n.fulltext, *n.terms, *(x for c in n.composite for x in c)):
                if p not in names:
                    raise SchemaDefinitionError(f"{n.label}: indexed {p} is not one of its props")
            if len(set(names)) != len(names):
                raise SchemaDefinitionError(f"{n.label}: duplicate property names")
        types: set[str] = set()
        for r in self.relationships:
            if r.type in types:
                raise SchemaDefinitionError(f"relationship type {r.type} defined twice")
            types.add(r.type)
            for a, b in r.endpoints:
                if a not in seen or b not in seen:
                    raise SchemaDefinitionError(f"{r.type}: unknown endpoint ({a})->({b})")
            for k in r.key:
                if k not in r.property_names:
                    raise SchemaDefinitionError(f"{r.type}: key {k} is not one of its props")


def _snake(label: str) -> str:
    out = []
    for i, ch in enumerate(label):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _p(name: str, type_: str = "string", doc: str = "") -> Prop:
    return Prop(name, type_, doc)


# What EPCIS master data (CBV location and party attributes, urn:epcglobal:cbv:mda#...)
# sets on a Location or Party; epcis/masterdata.py maps the attributes.
_MASTER_DATA = (
    _p("name", doc="mda#name"),
    _p("address", doc="mda#streetAddressOne, Two and Three, joined with ', '"),
    _p("city", doc="mda#city"),
    _p("state", doc="mda#state"),
    _p("postal_code", doc="mda#postalCode"),
    _p("country", doc="mda#countryCode (ISO 3166-1 alpha-2)"),
    _p("latitude", "float", "mda#latitude"),
    _p("longitude", "float", "mda#longitude"),
    _p(
        "master_data",
        "json string",
        "every attribute of its latest master data, by attribute ID as written (those ckb "
        "does not map too)",
    ),
)

# What ShelfActivity (an hour) and ShelfDay (a day) both count, and their counters.
_SHELF_WHAT = (
    _p("gtin", doc="GTIN-14 of the product picked up or put down"),
    _p("shelf", doc="the shelf: canonical readPoint of the events"),
    _p("store", doc="the store: canonical bizLocation of the events"),
)
_SHELF_COUNTS = (_p("pickups", "int"), _p("putdowns", "int"))

_NODES = (
    NodeType(
        "Customer",
        "id",
        "The golden customer: one per real person or organisation, matched across systems.",
        (
            _p("id", doc="stable ckb customer ID; survives merges"),
            _p("kind", doc="person | organization"),
            _p("name", doc="display name chosen by survivorship rules"),
            _p("given_name"),
            _p("family_name"),
            _p("name_normalized", doc="normalised name used for search and matching"),
            _p("name_keys", doc="space-separated fuzzy search keys (identity/names.py)"),
            _p("birth_date", "date string"),
            _p("gender"),
            _p("email"),
            _p("phone", doc="E.164"),
            _p("address"),
            _p("address_line2", doc="second address line, from the record giving the address"),
            _p("postal_code"),
            _p("city"),
            _p("region", doc="state, province or county"),
            _p("country", doc="ISO 3166-1 alpha-2"),
            _p("national_id", doc="sensitive: restricted roles only"),
            _p("customer_since", "date string"),
            _p("status", doc="active | churned | erased"),
            _p("value_tier", doc="gold | silver | bronze ..."),
            _p("lifetime_value", "float"),
            _p("churn_score", "float", "0..1, noisy-OR of churn signals; absent when lapsed"),
            _p("churn_signals", "list", "names of the churn signals that fired"),
            _p(
                "risk_key",
                doc="value tier, churn score and lifetime value as one sortable "
                "string: the index at_risk reads in order (scoring/churn.py risk_key)",
            ),
            _p("rfm", doc="recency, frequency, monetary quintile scores, e.g. '545'"),
            _p("recency_days", "int", "days since the last purchase"),
            _p("frequency", "int", "purchases in the 365 days up to scored_on"),
            _p("monetary", "float", "purchase amount in the 365 days up to scored_on"),
            _p("scored_on", "date string", "as-of date of the last `ckb segment` run"),
            _p("created_at", "datetime string"),
            _p("updated_at", "datetime string"),
        ),
        indexed=(
            "email",
            "phone",
            "name_normalized",
            "status",
            "value_tier",
            "postal_code",
            "churn_score",
            "risk_key",
        ),
        fulltext=("name", "name_normalized"),
        terms=("name_keys",),
    ),
    NodeType(
        "CustomerAlias",
        "id",
        "A retired customer ID kept after a merge so old references still resolve.",
        (_p("id"), _p("retired_at", "datetime string"), _p("reason")),
        provenance=False,
    ),
    NodeType(
        "SourceRecord",
        "id",
        "A customer as one source system holds it; immutable evidence for identity resolution.",
        (
            _p("id", doc="'<source_system>:<source_record_id>'"),
            _p("name"),
            _p("given_name"),
            _p("family_name"),
            _p("birth_date", "date string"),
            _p(
                "birth_date_raw",
                doc="the birth date as written when it is no sure date (impossible, in the "
                "future, before 1900, or day and month both possible); flagged by quality",
            ),
            _p("gender"),
            _p("email"),
            _p("phone"),
            _p("address"),
            _p("address_line2"),
            _p("postal_code"),
            _p("city"),
            _p("region", doc="state, province or county"),
            _p("country"),
            _p("national_id", doc="sensitive"),
            _p(
                "match_keys",
                doc="hashed blocking keys for resolution on arrival (identity/arrival.py)",
            ),
        ),
        indexed=("source_system", "source_record_id", "email", "phone", "national_id"),
        terms=("match_keys",),
    ),
    NodeType(
        "Household",
        "id",
        "People living together; value is summed over members, each counted once.",
        (_p("id"), _p("name"), _p("address"), _p("postal_code"), _p("size", "int")),
        indexed=("postal_code",),
    ),
    NodeType(
        "ProductLine",
        "id",
        "A line of business: mortgage, savings, mobile, broadband, electricity ...",
        (
            _p("id"),
            _p("name"),
            _p("industry", doc="bank | telco | energy | retail"),
            _p("holders", "int", "customers with an active holding in the line (ckb segment)"),
            _p("penetration", "float", "holders / customers holding any line"),
        ),
    ),
    NodeType(
        "Product",
        "id",
        "A sellable product; the GTIN links it to EPCIS product instances. Its eligibility "
        "terms (absent: no restriction) decide who may be offered it (scoring/eligibility.py).",
        (
            _p("id"),
            _p("name"),
            _p("gtin", doc="GTIN-14 where the product is a tagged good"),
            _p("category"),
            _p("price", "float"),
            _p("currency"),
            _p("holders", "int", "customers with an active holding of it (ckb segment)"),
            _p("min_age", "int", "youngest age a person may hold it (not for organisations)"),
            _p("customer_types", "list", "who may hold it: person, organization"),
            _p("regions", "list", "countries it is sold in (ISO 3166-1 alpha-2)"),
            _p(
                "excludes",
                "list",
                "product IDs that cannot be held with it (either side naming the other counts)",
            ),
        ),
        indexed=("gtin",),
    ),
    NodeType(
        "Holding",
        "id",
        "An account or contract: a customer holds a product since a date, with a value.",
        (
            _p("id", doc="account / contract number"),
            _p("status", doc="active | closed | suspended"),
            _p("opened_on", "date string"),
            _p("closed_on", "date string"),
            _p("balance", "float"),
            _p("monthly_value", "float"),
            _p("currency"),
        ),
        indexed=("status",),
    ),
    NodeType(
        "Purchase",
        "id",
        "A purchase or transaction with any department; what it bought, and for how much, "
        "is on its INCLUDES lines (the purchase's amount is their sum).",
        (
            _p("id"),
            _p("purchased_at", "datetime string"),
            _p("currency"),
            _p("department"),
            _p("channel"),
            _p(
                "store_sale",
                doc="store|purchased_at, for a purchase made at a store: a store's sales "
                "in a time window are one range",
            ),
        ),
        indexed=("purchased_at", "store_sale"),
    ),
    NodeType(
        "Touchpoint",
        "id",
        "One interaction on one channel: complaint, inquiry, visit, email, sales call ...",
        (
            _p("id"),
            _p("occurred_at", "datetime string"),
            _p("channel"),
            _p("kind", doc="complaint | inquiry | visit | email | sales_call | ..."),
            _p("direction", doc="inbound | outbound"),
            _p("reason"),
            _p("outcome"),
            _p("category"),
            _p("resolution_status", doc="open | resolved (complaints and inquiries)"),
            _p("resolved_at", "datetime string"),
            _p("response", doc="campaign response: opened | clicked | converted ..."),
        ),
        indexed=("occurred_at", "kind", "resolution_status"),
        composite=(("kind", "occurred_at"),),
    ),
    NodeType(
        "Channel",
        "id",
        "A contact channel: call_center, web, store, email, catalogue, sales_call, sales_visit.",
        (_p("id"), _p("name")),
    ),
    NodeType(
        "Agent",
        "id",
        "An employee: call-center agent or account owner (sales).",
        (_p("id"), _p("name"), _p("team"), _p("skill_tier")),
    ),
    NodeType(
        "Campaign",
        "id",
        "A marketing campaign; contacts and responses are touchpoints linked to it.",
        (
            _p("id"),
            _p("name"),
            _p("channel"),
            _p("starts_on", "date string"),
            _p("ends_on", "date string"),
        ),
    ),
    NodeType(
        "Consent",
        "id",
        "A customer's consent for one purpose on one channel.",
        (
            _p("id"),
            _p("purpose", doc="third_party_data | marketing | profiling ..."),
            _p("channel"),
            _p("granted", "bool"),
            _p("given_at", "datetime string"),
            _p("withdrawn_at", "datetime string"),
        ),
        indexed=("purpose",),
    ),
    NodeType(
        "CreditProfile",
        "id",
        "Credit and financial information. Sensitive.",
        (
            _p("id"),
            _p("score", "int"),
            _p("rating"),
            _p("credit_limit", "float"),
            _p("outstanding_debt", "float"),
            _p("assessed_on", "date string"),
        ),
        sensitive=True,
    ),
    NodeType(
        "ThirdPartyProfile",
        "id",
        "Purchased demographics; attached only where consent allows. Sensitive.",
        (
            _p("id"),
            _p("provider"),
            _p("household_size", "int"),
            _p("income_band"),
            _p("home_value_band"),
            _p("match_score", "float"),
        ),
        sensitive=True,
    ),
    NodeType(
        "ProductInstance",
        "epc",
        "One physical item, identified by its EPC (canonical pure-identity URN).",
        (
            _p("epc", doc="canonical EPC URN, e.g. urn:epc:id:sgtin:0614141.107346.2017"),
            _p("gtin"),
            _p("serial"),
            _p("lot"),
            _p("kind", doc="item | case | pallet | vehicle"),
        ),
        indexed=("gtin",),
    ),
    NodeType(
        "Location",
        "id",
        "A place: site, zone, shelf, distribution centre, store, home; EPCIS read points too. "
        "Named and addressed by EPCIS master data (ReadPoint / BusinessLocation vocabularies).",
        (
            _p("id", doc="canonical key: GLN Digital Link for an SGLN, else as written"),
            _p("kind", doc="site | zone | shelf | dc | store | factory | home | read_point"),
            *_MASTER_DATA,
        ),
        indexed=("kind",),
    ),
    NodeType(
        "Party",
        "id",
        "An organisation in a chain of custody (EPCIS owning / possessing party), named and "
        "addressed by EPCIS master data (Party vocabulary).",
        (_p("id", doc="canonical key (epcis/epc.py); a PGLN URN as written"), *_MASTER_DATA),
    ),
    NodeType(
        "EpcisEvent",
        "event_id",
        "A GS1 EPCIS 2.0 event.",
        (
            _p("event_id"),
            _p("event_type", doc="ObjectEvent | AggregationEvent | TransactionEvent | ..."),
            _p("event_time", "datetime string"),
            _p("event_time_zone_offset"),
            _p("record_time", "datetime string"),
            _p("action", doc="ADD | OBSERVE | DELETE"),
            _p("biz_step"),
            _p("disposition"),
            _p("persistent_disposition_set", "list"),
            _p("persistent_disposition_unset", "list"),
            _p("quantity_list", "json string"),
            _p("sensor_element_list", "json string"),
            _p("extensions", "json string"),
            _p("retracted", "bool", "true once an error declaration retracts it"),
            _p("error_declaration", "json string"),
            _p("parent_epc", doc="canonical parentID (aggregation, transaction events)"),
            _p(
                "shelf_counts",
                "json string",
                "a shelf pick-up / put-down event's counts per ShelfActivity, fixed when first "
                "captured (so a repeat never counts twice and a retraction takes them back)",
            ),
        ),
        indexed=("event_time", "biz_step"),
    ),
    NodeType(
        "BizTransaction",
        "id",
        "A business transaction an EPCIS event references (purchase order, invoice ...).",
        (_p("id"), _p("type"), _p("value")),
    ),
    NodeType(
        "ShelfActivity",
        "id",
        "Pick-ups and put-downs of one product at one shelf in one UTC hour, rolled up from "
        "shelf readers' EPCIS events (docs/formats.md).",
        (
            _p("id", doc="GTIN@shelf@bucket_start"),
            *_SHELF_WHAT,
            _p("bucket_start", "datetime string", "the UTC hour, e.g. 2026-05-01T10:00:00Z"),
            _p("store_bucket", doc="store|bucket_start: a store's time window is one range"),
            *_SHELF_COUNTS,
        ),
        indexed=("bucket_start", "store_bucket"),
    ),
    NodeType(
        "ShelfDay",
        "id",
        "Pick-ups and put-downs of one product at one shelf in one UTC day: the sum of that "
        "day's ShelfActivity hours, kept beside them so a month is ~30 rows, not ~700.",
        (
            _p("id", doc="GTIN@shelf@day"),
            *_SHELF_WHAT,
            _p("day", "date string", "the UTC day, e.g. 2026-05-01"),
            _p("store_day", doc="store|day: a store's days in a window are one range"),
            *_SHELF_COUNTS,
        ),
        indexed=("store_day",),
    ),
    NodeType(
        "StoreSalesDay",
        "id",
        "Units of one product in the purchases made at one store in one UTC day: the sum "
        "of those purchases' INCLUDES lines, kept by the purchase loader (and erasure) so a "
        "store-month of sales is ~30 rows per product, not a read per purchase.",
        (
            _p("id", doc="store|day|product ID"),
            _p("store", doc="the store: the purchases' canonical store ID"),
            _p("day", "date string", "the UTC day, e.g. 2026-05-01"),
            _p("store_day", doc="store|day: a store's days in a window are one range"),
            _p("product", doc="the product ID the lines include"),
            _p("units", "int", "the lines' quantities, summed"),
            _p("lines", "int", "how many purchase lines"),
        ),
        indexed=("store_day",),
    ),
    NodeType(
        "MergeEvent",
        "id",
        "An identity-resolution merge or split, kept as history.",
        (
            _p("id"),
            _p("kind", doc="merge | split"),
            _p("at", "datetime string"),
            _p("actor"),
            _p("reason"),
            _p("survivor", doc="the customer ID that lives on"),
            _p("undone", "bool", "true once an unmerge has undone this merge"),
            _p("absorbed", "list", "customer IDs retired into the survivor (merge)"),
            _p("source_records", "list", "source records that moved"),
            _p(
                "model_version",
                "int",
                "the match model version that weighed the merge (MatchModel v<N>); absent "
                "for a person's decision on a review item from before versions",
            ),
            _p(
                "snapshot",
                "json string",
                "what the absorbed customers were (properties and "
                "relationships) and what the merge changed on the survivor, so an "
                "unmerge can restore them exactly",
            ),
        ),
        provenance=False,
    ),
    NodeType(
        "ReviewItem",
        "id",
        "A possible match waiting for a person's decision.",
        (
            _p("id"),
            _p("score", "float"),
            _p("evidence", "json string"),
            _p("model_version", "int", "the match model version that weighed the pair"),
            _p("status", doc="open | accepted | rejected"),
            _p("created_at", "datetime string"),
            _p("decided_at", "datetime string"),
            _p("decided_by"),
        ),
        indexed=("status",),
        provenance=False,
    ),
    NodeType(
        "MatchModel",
        "id",
        "An identity-matching model `ckb resolve` estimated: `default` is the current one, "
        "records pushed later are resolved with it; `v1`, `v2` ... every version, kept.",
        (
            _p("id", doc="default (the current model) or v<version>"),
            _p("version", "int", "1 for the first model, one more for each that differs"),
            _p("digest", doc="a hash of everything a weight depends on"),
            _p("u", "json string", "u-probabilities per field and level"),
            _p("u_home", "json string", "u among different people at one address"),
            _p("m", "json string", "m-probabilities per field and level, fitted to the data"),
            _p(
                "households", "bool", "whether the data hold households (people sharing an address)"
            ),
            _p("one_record", "json string", "systems found to hold each person once"),
            _p(
                "word_share",
                "json string",
                "share of records whose name holds each word, for the common words",
            ),
            _p(
                "shared_word_share",
                "float",
                "share of the word two random records' names share, on average",
            ),
            _p("records", "int", "source records it was estimated on"),
            _p(
                "address_shares",
                "json string",
                "share of the records at each address many people share, by a hash of it",
            ),
            _p("estimated_at", "datetime string"),
        ),
        provenance=False,
    ),
    NodeType(
        "AuditEntry",
        "id",
        "Who did what when: mutations, merges, erasures (no personal data).",
        (
            _p("id"),
            _p("at", "datetime string"),
            _p("actor"),
            _p("action"),
            _p("target"),
            _p("detail", "json string"),
        ),
        indexed=("at",),
        provenance=False,
    ),
)

_R = RelType
_RELATIONSHIPS = (
    _R(
        "RESOLVED_TO",
        "A source record resolved to its golden customer, with the evidence.",
        (("SourceRecord", "Customer"),),
        (
            _p("score", "float"),
            _p("rule"),
            _p("evidence", "json string"),
            _p("resolved_at", "datetime string"),
        ),
    ),
    _R(
        "ALIAS_OF",
        "A retired customer ID points at the survivor.",
        (("CustomerAlias", "Customer"),),
    ),
    _R(
        "MEMBER_OF",
        "Household membership.",
        (("Customer", "Household"),),
        (_p("role", doc="head | partner | child | other"), _p("age_band"), _p("since", "date")),
    ),
    _R(
        "HOLDS",
        "A customer holds an account (joint accounts have several holders).",
        (("Customer", "Holding"),),
        (_p("role", doc="primary | joint"), _p("since", "date string")),
    ),
    _R(
        "OF_PRODUCT",
        "The product a holding or a shelf activity is about.",
        (("Holding", "Product"), ("ShelfActivity", "Product")),
    ),
    _R("IN_LINE", "A product belongs to a product line.", (("Product", "ProductLine"),)),
    _R(
        "CO_HELD",
        "Co-ownership between product lines, computed by `ckb segment`: of the customers "
        "holding the first line, how many also hold the second.",
        (("ProductLine", "ProductLine"),),
        (
            _p("customers", "int", "customers holding both"),
            _p("confidence", "float", "customers / holders of the first line"),
            _p("lift", "float", "confidence / penetration of the second line"),
        ),
    ),
    _R("MADE", "A customer made a purchase.", (("Customer", "Purchase"),)),
    _R(
        "INCLUDES",
        "A purchase line.",
        (("Purchase", "Product"),),
        (_p("quantity", "int"), _p("amount", "float")),
    ),
    _R("HAD_TOUCHPOINT", "A customer's interaction.", (("Customer", "Touchpoint"),)),
    _R("VIA", "The channel of a touchpoint.", (("Touchpoint", "Channel"),)),
    _R(
        "ABOUT",
        "What a touchpoint was about.",
        (("Touchpoint", "Product"), ("Touchpoint", "Holding"), ("Touchpoint", "ProductLine")),
    ),
    _R("HANDLED_BY", "The agent who handled a touchpoint.", (("Touchpoint", "Agent"),)),
    _R("OWNED_BY", "A customer's account owner (sales).", (("Customer", "Agent"),)),
    _R(
        "PART_OF",
        "A campaign contact touchpoint belongs to its campaign.",
        (("Touchpoint", "Campaign"),),
    ),
    _R(
        "RESPONDED_TO",
        "A response touchpoint answers a campaign.",
        (("Touchpoint", "Campaign"),),
        (_p("converted", "bool"),),
    ),
    _R(
        "PROMOTES",
        "What a campaign offers.",
        (("Campaign", "Product"), ("Campaign", "ProductLine")),
    ),
    _R("HAS_CONSENT", "A customer's consent record.", (("Customer", "Consent"),)),
    _R("HAS_CREDIT_PROFILE", "Sensitive.", (("Customer", "CreditProfile"),)),
    _R(
        "HAS_THIRD_PARTY_PROFILE", "Sensitive; consent-gated.", (("Customer", "ThirdPartyProfile"),)
    ),
    _R(
        "RELATED_TO",
        "A relationship between customers: family, referral, employer, co-signer ...",
        (("Customer", "Customer"),),
        (
            _p("kind", doc="family | referral | employer | co_signer | ..."),
            _p("since", "date string"),
        ),
        key=("kind",),
    ),
    _R(
        "INSTANCE_OF",
        "A tagged item is an instance of a product (GTIN).",
        (("ProductInstance", "Product"),),
    ),
    _R(
        "OBSERVED",
        "An EPCIS event names an item (role: epc, parent, child, input, output).",
        (("EpcisEvent", "ProductInstance"),),
        (_p("role"),),
        key=("role",),
    ),
    _R(
        "AT",
        "Business location of an event (where the item is after it), a purchase or shelf activity.",
        (("EpcisEvent", "Location"), ("Purchase", "Location"), ("ShelfActivity", "Location")),
    ),
    _R("READ_AT", "Read point of an EPCIS event.", (("EpcisEvent", "Location"),)),
    _R(
        "LOCATED_IN",
        "Location hierarchy: shelf in zone in site (shelf readers; EPCIS master data children).",
        (("Location", "Location"),),
    ),
    _R(
        "REFERENCES",
        "An event references a business transaction.",
        (("EpcisEvent", "BizTransaction"),),
    ),
    _R(
        "FOR_PURCHASE",
        "A business transaction is one of our purchases.",
        (("BizTransaction", "Purchase"),),
    ),
    _R(
        "SOURCE",
        "EPCIS source (owning/possessing party or location).",
        (("EpcisEvent", "Party"), ("EpcisEvent", "Location")),
        (_p("type"),),
        key=("type",),
    ),
    _R(
        "DESTINATION",
        "EPCIS destination (owning/possessing party or location).",
        (("EpcisEvent", "Party"), ("EpcisEvent", "Location")),
        (_p("type"),),
        key=("type",),
    ),
    _R(
        "CORRECTS",
        "An event corrects (declares in error) an earlier one.",
        (("EpcisEvent", "EpcisEvent"),),
    ),
    _R(
        "CONTAINS",
        "Aggregation: a case, pallet or vehicle contains an item, one relationship per "
        "interval [since, until) of event time.",
        (("ProductInstance", "ProductInstance"),),
        (
            _p("since", "datetime string", "the ADD's event time (absent: a DELETE without ADD)"),
            _p("until", "datetime string", "the DELETE's event time (absent: still contained)"),
            _p("event_id", doc="the ADD that opened the interval (or its lone DELETE): its key"),
            _p("until_event_id", doc="the DELETE that closed it"),
        ),
        key=("event_id",),
    ),
    _R(
        "SOLD_TO",
        "A tagged item was sold to a customer.",
        (("ProductInstance", "Customer"),),
        (_p("sold_at", "datetime string"), _p("event_id")),
    ),
    _R(
        "MERGED",
        "Customers taking part in a merge or split (role: survivor | absorbed | split_off).",
        (("MergeEvent", "Customer"),),
        (_p("role"),),
        key=("role",),
    ),
    _R(
        "CANDIDATE",
        "A review item proposes linking these records/customers.",
        (("ReviewItem", "SourceRecord"), ("ReviewItem", "Customer")),
    ),
)


@cache
def schema() -> GraphSchema:
    model = GraphSchema(SCHEMA_VERSION, _NODES, _RELATIONSHIPS)
    model.validate()
    return model


# ---------------------------------------------------------------- customer field lists
# Which of a Customer's properties each reader shows or filters by, derived from the
# declaration above: a property added there is shown unless one of these sets names it.
# Every name here must be a Customer property (checked at import).
CUSTOMER_NOT_SHOWN: Mapping[str, frozenset[str]] = {
    # Readable only by restricted roles: never in a profile or a filter.
    "sensitive": frozenset({"national_id"}),
    # Keys ckb computes for search, matching and the at_risk order: not facts about anyone.
    "internal": frozenset({"name_normalized", "name_keys", "risk_key"}),
    # The inputs of the RFM code the profile shows as ``rfm``.
    "score inputs": frozenset({"recency_days", "frequency", "monetary"}),
    # When and from where the golden record was written: record keeping, not the customer.
    "record keeping": frozenset({"created_at", "updated_at", *(n for n, _, _ in PROVENANCE)}),
    # Not shown yet: adding one shows it in customer_360 (and its Cypher projection),
    # GraphQL's Customer and the list filters.
    "not yet shown": frozenset({"given_name", "family_name", "gender", "address_line2", "region"}),
}


def _customer_props() -> tuple[Prop, ...]:
    customer = next(n for n in _NODES if n.label == "Customer")
    hidden = frozenset[str]().union(*CUSTOMER_NOT_SHOWN.values())
    if unknown := hidden - set(customer.property_names):
        raise SchemaDefinitionError(f"CUSTOMER_NOT_SHOWN names no Customer property: {unknown}")
    return tuple(p for p in customer.props if p.name not in hidden)


# What a customer's profile shows, in declaration order: customer_360's ``customer``,
# GraphQL's Customer (its ``id`` as the ID).
CUSTOMER_PROFILE: tuple[str, ...] = tuple(p.name for p in _customer_props())

# What a customer list filters and sorts by: the profile's single values. A list-typed
# property (churn_signals) has no order and no equality a filter could use.
CUSTOMER_FILTERABLE: tuple[str, ...] = tuple(p.name for p in _customer_props() if p.type != "list")
