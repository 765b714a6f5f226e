"""The sample's showcase: five customers every sample holds, whatever its size and seed.

The README and docs/ show commands with real customer IDs and a real tagged item; a random
sample cannot promise any of them exists. These people are written with fixed source
record IDs (so their golden customer IDs, hashes of those, never change), fixed holdings
and the history the examples ask about, relative to the sample's as-of date:

- 王伟 (Wang Wei), head of a household of three, a gold customer (a mortgage, savings,
  investments, broadband and TV; no mobile) known to four systems and at risk of leaving:
  open complaints from three and forty days before the as-of date, international calling closed
  forty days before; account owner AO001, a smartphone bought in store 1
  twenty days before (picked up three times, one read retracted) and a kettle bought 45
  days before and since recycled — the first items the sample's EPCIS stream tags, shipped
  on their own, so their EPCs and journeys are fixed;
- 李娜 (Li Na), his partner, and 王小明 (Wang Xiaoming), their 12-year-old son, who holds
  only a savings account (next best product must offer a child nothing for adults);
- John Smith, whom Wang Wei referred, and Mary Jones, whom John referred: a referral chain
  for relationship paths and network influence.

The documented IDs are the constants below; ``tests/test_doc_examples.py`` runs the docs
against a sample to keep them true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

# Golden IDs: a merged customer keeps the ID of its first-loaded, then smallest, record;
# each person's billing record is both (its hash sorts before its other records').
WANG_WEI = "C04AC758399F19413"  # billing:B1000000007
LI_NA = "C0B0A6860322EE871"  # billing:B1000000008
WANG_XIAOMING = "C09F36A7F3E90AA02"  # billing:B1000000009
JOHN_SMITH = "C1238EC8A80031FEB"  # billing:B1000000019
MARY_JONES = "C0C99FCD3B2CE6D76"  # billing:B1000000033
# What Wang Wei bought: the first items the sample's EPCIS stream tags.
WANG_WEI_KETTLE = "https://id.gs1.org/01/06141410000052/21/1"
WANG_WEI_PHONE = "https://id.gs1.org/01/06141410000007/21/2"


class Who(NamedTuple):
    """A documented person's name, gender and age (at the sample's as-of date)."""

    given: str
    family: str
    zh: bool  # a Chinese name, written family name first
    gender: str
    age_years: int


class Contact(NamedTuple):
    """How every source system reaches them: the same address and number everywhere."""

    email: str | None
    phone: str


class Member(NamedTuple):
    """Who they are in their household."""

    household: int  # 1-based index into HOUSEHOLDS
    role: str  # head | partner | child


@dataclass(frozen=True, slots=True)
class ShowcasePerson:
    who: Who
    ids: dict[str, str]  # system -> source record ID; billing always
    products: tuple[str, ...]  # active holdings, one account each
    contact: Contact
    member: Member
    open_complaints: tuple[int, ...] = ()  # open complaints, days before as-of
    closed_products: tuple[tuple[str, int], ...] = ()  # (product, closed days before as-of)
    # (retail product, days before as-of, what became of it: None or "recycled")
    store_purchases: tuple[tuple[str, int, str | None], ...] = ()
    referred: tuple[int, ...] = ()  # indexes into PEOPLE this person referred
    owner_agent: str | None = None  # the account owner (an agent of hr.agents.csv)


@dataclass(frozen=True, slots=True)
class ShowcaseHousehold:
    street: str
    postal_code: str
    city: str
    country: str


HOUSEHOLDS = (
    ShowcaseHousehold("88 Jianguo Road", "100022", "Beijing", "CN"),
    ShowcaseHousehold("12 Elm Street", "02139", "Cambridge", "US"),
    ShowcaseHousehold("7 Harbor View", "98101", "Seattle", "US"),
)

PEOPLE = (
    ShowcasePerson(
        who=Who(given="伟", family="王", zh=True, gender="male", age_years=46),
        ids={
            "billing": "B1000000007",
            "webshop": "W1000000007",
            "callcenter": "1000000007",
            "stores": "S1000000007",
        },
        products=("MORT-FIX5", "SAV-EASY", "INV-FUND", "BB-1000", "TV-PREM"),
        contact=Contact(email="wang.wei@example.com", phone="+8613800138000"),
        member=Member(household=1, role="head"),
        open_complaints=(3, 40),
        closed_products=(("LD-INTL", 40),),
        store_purchases=(("RT-PHONE", 20, None), ("RT-KETTLE", 45, "recycled")),
        referred=(3,),
        owner_agent="AO001",
    ),
    ShowcasePerson(
        who=Who(given="娜", family="李", zh=True, gender="female", age_years=44),
        ids={"billing": "B1000000008", "webshop": "W1000000008"},
        products=("MOB-UNL", "CC-GOLD"),
        contact=Contact(email="li.na@example.com", phone="+8613900139000"),
        member=Member(household=1, role="partner"),
    ),
    ShowcasePerson(
        who=Who(given="小明", family="王", zh=True, gender="male", age_years=12),
        ids={"billing": "B1000000009"},
        products=("SAV-EASY",),
        contact=Contact(email=None, phone="+8613700137000"),
        member=Member(household=1, role="child"),
    ),
    ShowcasePerson(
        who=Who(given="John", family="Smith", zh=False, gender="male", age_years=38),
        ids={"billing": "B1000000019", "webshop": "W1000000019"},
        products=("MOB-UNL", "BB-300", "EL-GREEN"),
        contact=Contact(email="john.smith@example.com", phone="+16175550142"),
        member=Member(household=2, role="head"),
        referred=(4,),
    ),
    ShowcasePerson(
        who=Who(given="Mary", family="Jones", zh=False, gender="female", age_years=51),
        ids={"billing": "B1000000033"},
        products=("SAV-FIX", "GAS-STD", "EL-GREEN"),
        contact=Contact(email="mary.jones@example.com", phone="+12065550199"),
        member=Member(household=3, role="head"),
    ),
)
