"""The sample's people: the documented showcase households first, then random households
of one to six (Chinese or Western, with pinyin e-mail names), a few organisations, a
long-tailed value for each and the ones who churn; and the agents of hr.agents.csv.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from faker import Faker
from pypinyin import lazy_pinyin

from sample.context import Person, Sample
from sample.showcase import HOUSEHOLDS as SHOWCASE_HOUSEHOLDS
from sample.showcase import PEOPLE as SHOWCASE

DOMAINS = ["example.com", "mail.test", "post.example"]


def make_people(s: Sample) -> None:
    # The documented people come first, whatever the size: IDs the docs can name.
    households = _showcase_households(s)
    for members in households:
        s.people.extend(members)
    while len(s.people) < s.n:
        members = _household(s, f"HH{len(households) + 1:06d}")
        households.append(members)
        s.people.extend(members)
    # A few organisations: employers and the big business accounts of the long tail.
    ordinary = [p for p in s.people if not p.showcase]
    _make_organisations(s, ordinary)
    _value_and_churn(s, ordinary)


def _showcase_households(s: Sample) -> list[list[Person]]:
    households: list[list[Person]] = [[] for _ in SHOWCASE_HOUSEHOLDS]
    for i, spec in enumerate(SHOWCASE):
        home = SHOWCASE_HOUSEHOLDS[spec.member.household - 1]
        born = s.as_of - timedelta(days=spec.who.age_years * 365 + 100)
        households[spec.member.household - 1].append(
            Person(
                pid=f"P{i + 1:07d}",
                kind="person",
                given=spec.who.given,
                family=spec.who.family,
                zh=spec.who.zh,
                birth_date=born,
                gender=spec.who.gender,
                email=spec.contact.email,
                phone=spec.contact.phone,
                street=home.street,
                postal_code=home.postal_code,
                city=home.city,
                country=home.country,
                household=f"HH{spec.member.household:06d}",
                role=spec.member.role,
                ids=dict(spec.ids),
                owner_agent=spec.owner_agent,
                showcase=spec,
            )
        )
    return households


@dataclass(frozen=True, slots=True)
class _Home:
    """What the members of a random household share."""

    family: str
    zh: bool
    street: str
    postal_code: str
    city: str
    country: str
    household: str


def _household(s: Sample, hh_id: str) -> list[Person]:
    """One random household at one address, its members numbered after those made."""
    rnd = s.rnd
    made = len(s.people)
    size = min(s.n - made, rnd.choices([1, 2, 3, 4, 5, 6], [30, 32, 16, 14, 6, 2])[0])
    zh = rnd.random() < 0.45
    fake = s.zh if zh else s.en
    family = fake.last_name()
    street = fake.street_address().replace("\n", " ")
    postal, city = fake.postcode(), fake.city()
    home = _Home(family, zh, street, postal, city, country="CN" if zh else "US", household=hh_id)
    return [_member(s, fake, home, m, f"P{made + m + 1:07d}") for m in range(size)]


def _member(s: Sample, fake: Faker, home: _Home, m: int, pid: str) -> Person:
    """The ``m``-th member of the household ``home`` describes: head, partner, children."""
    rnd = s.rnd
    zh = home.zh
    role = "head" if m == 0 else ("partner" if m == 1 else "child")
    age = rnd.randint(30, 75) if role != "child" else rnd.randint(1, 25)
    birth = s.as_of - timedelta(days=age * 365 + rnd.randint(0, 364))
    gender = rnd.choice(["female", "male"])
    given = fake.first_name_female() if gender == "female" else fake.first_name_male()
    family = home.family if role != "partner" or rnd.random() < 0.6 else fake.last_name()
    latin = (
        "".join(lazy_pinyin(family)) + "." + "".join(lazy_pinyin(given))
        if zh
        else f"{given}.{family}"
    )
    return Person(
        pid=pid,
        kind="person",
        given=given,
        family=family,
        zh=zh,
        birth_date=birth if rnd.random() > 0.05 else None,
        gender=gender,
        email=f"{latin.lower()}{rnd.randint(1, 999)}@{rnd.choice(DOMAINS)}" if age >= 16 else None,
        phone=s.phone(zh),
        street=home.street,
        postal_code=home.postal_code,
        city=home.city,
        country=home.country,
        household=home.household,
        role=role,
    )


def _make_organisations(s: Sample, ordinary: list[Person]) -> None:
    for person in s.rnd.sample(ordinary, min(len(ordinary), max(1, s.n // 40))):
        person.kind = "organization"
        person.family = s.en.company()
        person.given = ""
        person.birth_date = None
        person.household = ""


def _value_and_churn(s: Sample, ordinary: list[Person]) -> None:
    rnd = s.rnd
    for person in ordinary:
        person.value_scale = math.exp(rnd.gauss(0, 0.8))
        if rnd.random() < 0.002 or (person.kind == "organization" and rnd.random() < 0.3):
            person.value_scale *= rnd.choice([100, 300, 1000])
        if rnd.random() < 0.12:
            person.churned_on = s.days_ago(330, 5)


def write_agents(s: Sample) -> None:
    w = s.writer("hr.agents.csv", ["agent_id", "name", "team", "skill_tier"])
    s.call_agents = [f"AG{i:03d}" for i in range(1, 31)]
    s.owners = [f"AO{i:03d}" for i in range(1, 11)]
    for aid in s.call_agents:
        w.write(
            {
                "agent_id": aid,
                "name": s.en.name(),
                "team": "call_center",
                "skill_tier": s.rnd.choice(["senior", "standard", "standard", "junior"]),
            }
        )
    for aid in s.owners:
        w.write({"agent_id": aid, "name": s.en.name(), "team": "sales", "skill_tier": "senior"})
