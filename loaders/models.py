# mypy: disable-error-code="valid-type"
# (enum fields are written `_opt(Literal[...])`, a helper call mypy cannot read as a type)
"""What a valid record of each kind looks like (pydantic), whatever file or request it came in.

Rules a model checks: types, required fields, enumerations, date sanity (no events in
the future; a customer's birth date that is no sure date is kept as written and flagged,
never a reject), ranges, check digits. Values
arrive as text from CSV; empty cells mean "not given". Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from epcis.epc import canonical_epc
from graph import clock
from identity.normalize import normalize_birth_date

# Clock skew we tolerate between a source system and us before "in the future" is an error.
FUTURE_SKEW = timedelta(minutes=10)


def _blank_to_none(value: Any) -> Any:
    # Runs on every optional field of every record: isspace() tests what strip() would
    # leave empty without making the stripped copy.
    if isinstance(value, str) and (not value or value.isspace()):
        return None
    return value


def _not_future_date(value: date | None) -> date | None:
    if value is not None and value > clock.today():
        raise ValueError("date is in the future")
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value > clock.now() + FUTURE_SKEW:
        raise ValueError("time is in the future")
    return value


def _gtin(value: str | None) -> str | None:
    """GTIN-8/12/13/14 with a valid check digit, returned as GTIN-14."""
    if value is None:
        return None
    digits = value.strip()
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise ValueError("GTIN must be 8, 12, 13 or 14 digits")
    digits = digits.zfill(14)
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(body))
    if (10 - total % 10) % 10 != check:
        raise ValueError("GTIN check digit is wrong")
    return digits


def _code(length: int, message: str) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if len(value) != length or not value.isascii() or not value.isalpha():
            raise ValueError(message)
        return value

    return check


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


def _store(value: str | None) -> str | None:
    """A store written as an EPC (an SGLN URN, a GLN Digital Link) must be one: it becomes
    the Location its shelf readers' EPCIS events name (epcis/epc.py)."""
    if value is not None:
        try:
            canonical_epc(value)
        except (ValueError, IndexError):  # urn:epc:id:sgln:06141x41.00101.0, https://[x
            raise ValueError("not a valid EPC (an SGLN's parts are digits)") from None
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# No control characters: a NUL in an ID cut it short in the store's lookups (a record
# stored, its customer link unfindable), and no system names a record with one.
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=ID_PATTERN),
]
Opt = BeforeValidator(_blank_to_none)
OptText = Annotated[Text | None, Opt]
OptId = Annotated[Id | None, Opt]
StoreId = Annotated[OptId, AfterValidator(_store)]
OptDate = Annotated[date | None, Opt, AfterValidator(_not_future_date)]
AnyDate = Annotated[date | None, Opt]
When = Annotated[datetime, AfterValidator(_utc)]
OptWhen = Annotated[datetime | None, Opt, AfterValidator(_utc)]
Money = Annotated[float, Field(allow_inf_nan=False)]
OptMoney = Annotated[Money | None, Opt]
NonNegMoney = Annotated[Annotated[float, Field(ge=0, allow_inf_nan=False)] | None, Opt]
Email = Annotated[str | None, Opt, AfterValidator(_email)]
Gtin = Annotated[str | None, Opt, AfterValidator(_gtin)]
Country = Annotated[
    str | None, Opt, AfterValidator(_code(2, "country must be an ISO 3166 alpha-2 code"))
]
Currency = Annotated[str | None, Opt, AfterValidator(_code(3, "currency must be an ISO 4217 code"))]
OptBool = Annotated[bool | None, Opt]


def _opt(enum: Any) -> Any:
    return Annotated[enum | None, Opt]


Channel = Literal[
    "call_center",
    "web",
    "mobile_app",
    "store",
    "email",
    "catalogue",
    "sales_call",
    "sales_visit",
    "sms",
    "post",
]
TouchpointKind = Literal[
    "complaint",
    "inquiry",
    "service_request",
    "visit",
    "email",
    "sales_call",
    "sales_visit",
    "campaign_contact",
    "campaign_response",
]
Industry = Literal["bank", "telco", "energy", "retail", "insurance"]
AgeBand = Literal["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
RelationshipKind = Literal[
    "family",
    "spouse",
    "parent",
    "child",
    "sibling",
    "referral",
    "employer",
    "co_signer",
    "guarantor",
]
ConsentPurpose = Literal["marketing", "third_party_data", "profiling", "service_messages"]
ConsentChannel = Literal["email", "phone", "sms", "post", "web", "any"]
IncomeBand = Literal["<25k", "25-50k", "50-75k", "75-100k", "100-150k", "150k+"]
HomeValueBand = Literal["<100k", "100-250k", "250-500k", "500k-1m", "1m+", "renting"]


class Record(BaseModel):
    """Base of every record kind. Unknown fields are ignored (and reported by the loader)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class CustomerRef(Record):
    """How a record names a customer: the source system's ID, or a golden ckb ID."""

    customer_id: OptId = None
    customer_system: OptId = None  # defaults to the file's source system
    ckb_customer_id: OptId = None

    @model_validator(mode="after")
    def _one_reference(self) -> CustomerRef:
        if not self.customer_id and not self.ckb_customer_id:
            raise ValueError("needs customer_id (the source system's ID) or ckb_customer_id")
        return self


class CustomerRecord(Record):
    source_record_id: Id
    kind: _opt(Literal["person", "organization"]) = None
    name: OptText = None
    given_name: OptText = None
    family_name: OptText = None
    birth_date: AnyDate = None
    # The birth date as written when it is no sure date (see _read_birth_date).
    birth_date_raw: OptText = None
    gender: _opt(Literal["female", "male", "other", "unknown"]) = None
    email: Email = None
    phone: OptText = None
    address: OptText = None
    address_line2: OptText = None
    postal_code: OptText = None
    city: OptText = None
    region: OptText = None  # state, province, county ...
    state: OptText = None  # another name for region (a column many files have)
    country: Country = None
    national_id: OptText = None
    customer_since: OptDate = None
    owner_agent_id: OptId = None

    @model_validator(mode="before")
    @classmethod
    def _read_birth_date(cls, data: Any) -> Any:
        """A birth date in any spelling identity/normalize.py reads (2024-12-25, 20241225,
        25/12/2024, 25.12.2024, 2024/12/25; day first). One that is no sure date (not a
        date, before 1900, in the future, or both day-first and month-first dates) is kept
        as written in birth_date_raw, read as the day-first date when ambiguous and as no
        date otherwise; the quality report counts it. A ``state`` fills ``region``."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "birth_date" in data:
            raw = data["birth_date"]
            if isinstance(raw, int) and not isinstance(raw, bool):
                raw = str(raw)  # a JSON number: 19801225
            if isinstance(raw, str):
                read = normalize_birth_date(raw, clock.today())
                data["birth_date"] = read.value
                data["birth_date_raw"] = raw.strip() if read.flag else None
            elif raw is None:
                data["birth_date_raw"] = None
        if _blank_to_none(data.get("region")) is None and "state" in data:
            data["region"] = data["state"]
        return data

    @model_validator(mode="after")
    def _identifiable(self) -> CustomerRecord:
        if not (
            self.name
            or self.given_name
            or self.family_name
            or self.email
            or self.phone
            or self.national_id
            or (self.birth_date and self.address)
        ):
            raise ValueError(
                "needs a name (name, or given_name / family_name), or an email, phone or "
                "national_id, or a birth_date with an address"
            )
        return self


class AgentRecord(Record):
    agent_id: Id
    name: Text
    team: OptText = None
    skill_tier: _opt(Literal["senior", "standard", "junior"]) = None


class HouseholdRecord(Record):
    household_id: Id
    name: OptText = None
    address: OptText = None
    postal_code: OptText = None


class HouseholdMemberRecord(CustomerRef):
    household_id: Id
    role: Literal["head", "partner", "child", "parent", "other"]
    age_band: _opt(AgeBand) = None
    since: OptDate = None


class ProductLineRecord(Record):
    line_id: Id
    name: Text
    industry: Industry


def _words(value: Any) -> Any:
    """A list given as text (a CSV cell): space- or comma-separated; blank: not given."""
    if isinstance(value, str):
        value = [w for w in re.split(r"[\s,]+", value) if w]
    return value or None


def _distinct(values: list[str] | None) -> list[str] | None:
    return None if values is None else list(dict.fromkeys(values))


Words = BeforeValidator(_words)
Distinct = AfterValidator(_distinct)
MinAge = Annotated[Annotated[int, Field(ge=0, le=120)] | None, Opt]
CustomerTypes = Annotated[list[Literal["person", "organization"]] | None, Words, Distinct]
Regions = Annotated[
    list[Annotated[str, AfterValidator(_code(2, "regions must be ISO 3166 alpha-2 codes"))]] | None,
    Words,
    Distinct,
]
ProductIds = Annotated[list[Id] | None, Words, Distinct]


class ProductRecord(Record):
    product_id: Id
    name: Text
    line_id: Id
    gtin: Gtin = None
    category: OptText = None
    price: NonNegMoney = None
    currency: Currency = None
    # Eligibility terms (scoring/eligibility.py); absent: no restriction.
    min_age: MinAge = None
    customer_types: CustomerTypes = None
    regions: Regions = None
    excludes: ProductIds = None

    @model_validator(mode="after")
    def _not_self_excluding(self) -> ProductRecord:
        if self.excludes and self.product_id in self.excludes:
            raise ValueError("a product cannot exclude itself")
        return self


class HoldingRecord(CustomerRef):
    account_id: Id
    product_id: Id
    role: _opt(Literal["primary", "joint"]) = None
    status: Literal["active", "closed", "suspended"]
    opened_on: Annotated[date, AfterValidator(_not_future_date)]
    closed_on: OptDate = None
    balance: OptMoney = None
    monthly_value: NonNegMoney = None
    currency: Currency = None

    @model_validator(mode="after")
    def _dates(self) -> HoldingRecord:
        if self.closed_on and self.closed_on < self.opened_on:
            raise ValueError("closed_on is before opened_on")
        if self.status == "closed" and not self.closed_on:
            raise ValueError("a closed holding needs closed_on")
        return self


class PurchaseRecord(CustomerRef):
    """One purchase line; lines of one purchase share purchase_id and its header fields."""

    purchase_id: Id
    purchased_at: When
    product_id: Id
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    amount: Money
    currency: Currency = None
    department: OptText = None
    channel: _opt(Channel) = None
    store_id: StoreId = None


class TouchpointRecord(CustomerRef):
    touchpoint_id: Id
    occurred_at: When
    channel: Channel
    kind: TouchpointKind
    direction: _opt(Literal["inbound", "outbound"]) = None
    reason: OptText = None
    outcome: OptText = None
    category: OptText = None
    resolution_status: _opt(Literal["open", "resolved"]) = None
    resolved_at: OptWhen = None
    product_id: OptId = None
    account_id: OptId = None
    agent_id: OptId = None
    campaign_id: OptId = None
    response: _opt(Literal["opened", "clicked", "converted", "declined", "no_response"]) = None
    converted: OptBool = None

    @model_validator(mode="after")
    def _consistent(self) -> TouchpointRecord:
        if self.kind in ("complaint", "inquiry") and self.resolution_status is None:
            raise ValueError(f"{self.kind} needs resolution_status (open or resolved)")
        if self.resolved_at and self.resolved_at < self.occurred_at:
            raise ValueError("resolved_at is before occurred_at")
        if self.kind in ("campaign_contact", "campaign_response") and not self.campaign_id:
            raise ValueError(f"a {self.kind} needs campaign_id")
        return self


class CampaignRecord(Record):
    campaign_id: Id
    name: Text
    channel: _opt(Channel) = None
    starts_on: AnyDate = None
    ends_on: AnyDate = None
    product_id: OptId = None
    line_id: OptId = None

    @model_validator(mode="after")
    def _dates(self) -> CampaignRecord:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class ConsentRecord(CustomerRef):
    purpose: ConsentPurpose
    channel: ConsentChannel = "any"
    granted: bool
    given_at: OptWhen = None
    withdrawn_at: OptWhen = None


class CreditProfileRecord(CustomerRef):
    score: Annotated[int, Field(ge=300, le=850)]
    rating: _opt(Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]) = None
    credit_limit: NonNegMoney = None
    outstanding_debt: NonNegMoney = None
    assessed_on: OptDate = None


class ThirdPartyRecord(CustomerRef):
    """Purchased demographics already matched to a customer (unmatched files: ``ckb enrich``)."""

    provider: Id
    household_size: Annotated[Annotated[int, Field(ge=1, le=30)] | None, Opt] = None
    income_band: _opt(IncomeBand) = None
    home_value_band: _opt(HomeValueBand) = None
    match_score: Annotated[Annotated[float, Field(ge=0, le=1)] | None, Opt] = None


class DemographicRecord(Record):
    """A row of a purchased, not yet matched demographics file (``ckb enrich``)."""

    provider: Id
    name: Text
    address: OptText = None
    postal_code: OptText = None
    birth_date: OptDate = None
    household_size: Annotated[Annotated[int, Field(ge=1, le=30)] | None, Opt] = None
    income_band: _opt(IncomeBand) = None
    home_value_band: _opt(HomeValueBand) = None


class RelationshipRecord(Record):
    from_customer_id: Id
    to_customer_id: Id
    from_system: OptId = None
    to_system: OptId = None
    kind: RelationshipKind
    since: OptDate = None

    @model_validator(mode="after")
    def _distinct(self) -> RelationshipRecord:
        if self.from_customer_id == self.to_customer_id and self.from_system == self.to_system:
            raise ValueError("a customer cannot be related to itself")
        return self
