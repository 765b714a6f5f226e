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


@dataclass(frozen=True, slots=True)
class ShowcasePerson:
    ids: dict[str, str]  # system -> source record ID; billing always
    given: str
    family: str
    zh: bool
    gender: str
    age_years: int
    household: int  # 1-based index into HOUSEHOLDS
    role: str  # head | partner | child
    email: str | None
    phone: str
    products: tuple[str, ...]  # active holdings, one account each
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
        ids={
            "billing": "B1000000007",
            "webshop": "W1000000007",
            "callcenter": "1000000007",
            "stores": "S1000000007",
        },
        given="伟",
        family="王",
        zh=True,
        gender="male",
        age_years=46,
        household=1,
        role="head",
        email="wang.wei@example.com",
        phone="+8613800138000",
        products=("MORT-FIX5", "SAV-EASY", "INV-FUND", "BB-1000", "TV-PREM"),
        open_complaints=(3, 40),
        closed_products=(("LD-INTL", 40),),
        store_purchases=(("RT-PHONE", 20, None), ("RT-KETTLE", 45, "recycled")),
        referred=(3,),
        owner_agent="AO001",
    ),
    ShowcasePerson(
        ids={"billing": "B1000000008", "webshop": "W1000000008"},
        given="娜",
        family="李",
        zh=True,
        gender="female",
        age_years=44,
        household=1,
        role="partner",
        email="li.na@example.com",
        phone="+8613900139000",
        products=("MOB-UNL", "CC-GOLD"),
    ),
    ShowcasePerson(
        ids={"billing": "B1000000009"},
        given="小明",
        family="王",
        zh=True,
        gender="male",
        age_years=12,
        household=1,
        role="child",
        email=None,
        phone="+8613700137000",
        products=("SAV-EASY",),
    ),
    ShowcasePerson(
        ids={"billing": "B1000000019", "webshop": "W1000000019"},
        given="John",
        family="Smith",
        zh=False,
        gender="male",
        age_years=38,
        household=2,
        role="head",
        email="john.smith@example.com",
        phone="+16175550142",
        products=("MOB-UNL", "BB-300", "EL-GREEN"),
        referred=(4,),
    ),
    ShowcasePerson(
        ids={"billing": "B1000000033"},
        given="Mary",
        family="Jones",
        zh=False,
        gender="female",
        age_years=51,
        household=3,
        role="head",
        email="mary.jones@example.com",
        phone="+12065550199",
        products=("SAV-FIX", "GAS-STD", "EL-GREEN"),
    ),
)
