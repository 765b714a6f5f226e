"""The sample's EPCIS 2.0 stream: tagged retail goods from factory to customer and beyond.

For the retail purchases of the sample's last weeks (``TAGGED_DAYS`` before its as-of
date), every unit sold is a tagged item with its own life: commissioned at the factory,
packed into cases and the cases onto a pallet, shipped to the distribution centre and
received, shipped on to the store (or kept at the DC for web orders) and received,
unpacked and stocked; in a store, shoppers pick it up and put it back on its shelf
(ckb's shelf steps, epcis/shelf_signals.py) before one buys it at the till (retail_selling
naming the purchase, so the item links to the customer); a web order leaves the DC for
the customer's home (shipping, in_transit) and arrives there, unless it is still on its
way; a few come back (returned, some restocked), a few are collected for recycling and
disassembled, a few destroyed, and a few shelf reads are retracted by an error
declaration. Deterministic for a seed: its own random stream, so the other files do not
change with it. Written as JSON Lines: first an EPCISDocument that carries only master data
(the names and addresses of the factory, the DC, the stores and their shelves, the
recycler, and of the maker, the retailer and the recycling firm: CBV location and party
attributes), then the events, in event-time order. Owning and possessing parties are
declared where goods change hands (the factory's shipment, a sale, a return, a
collection), so an item's chain of custody names who held it; the customer's home has no
master data.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from epcis.shelf_signals import SHELF_PICKUP, SHELF_PUTDOWN

TAGGED_DAYS = 60
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
PREFIX = "0614141"
FACTORY, DC, RECYCLER = "00001", "00010", "00020"
MAKER, RETAILER, RECYCLING = (f"urn:epc:id:pgln:{PREFIX}.{p}" for p in (FACTORY, "00002", RECYCLER))
CASE_SIZE, SHELVES = 12, 8
VTYPE = "urn:epcglobal:epcis:vtype:"
MDA = "urn:epcglobal:cbv:mda#"
# (name, street, city, state, postal code) of the sample's sites and parties, US as its
# customers are; stores are "Store <n> — <city>".
FACTORY_SITE = (
    "Northfield Electronics — Columbus plant",
    "1200 Industrial Pkwy",
    "Columbus",
    "OH",
    "43219",
)
DC_SITE = (
    "Brightmart distribution centre — Memphis",
    "4500 Logistics Dr",
    "Memphis",
    "TN",
    "38118",
)
RECYCLER_SITE = ("GreenLoop Recycling — Newark", "75 Port St", "Newark", "NJ", "07114")
PARTIES = {
    MAKER: ("Northfield Electronics Inc.", "1200 Industrial Pkwy", "Columbus", "OH", "43219"),
    RETAILER: ("Brightmart Retail Inc.", "300 Main St", "Minneapolis", "MN", "55401"),
    RECYCLING: ("GreenLoop Recycling LLC", "75 Port St", "Newark", "NJ", "07114"),
}
STORE_CITIES = [
    ("Denver", "CO", "80202"), ("Austin", "TX", "78701"), ("Seattle", "WA", "98101"),
    ("Portland", "OR", "97204"), ("Chicago", "IL", "60602"), ("Boston", "MA", "02108"),
    ("Atlanta", "GA", "30303"), ("Phoenix", "AZ", "85004"), ("Nashville", "TN", "37203"),
    ("Columbus", "OH", "43215"), ("San Diego", "CA", "92101"), ("Kansas City", "MO", "64105"),
    ("Raleigh", "NC", "27601"), ("Omaha", "NE", "68102"), ("Tampa", "FL", "33602"),
    ("Salt Lake City", "UT", "84101"), ("Pittsburgh", "PA", "15222"), ("Madison", "WI", "53703"),
    ("Albuquerque", "NM", "87102"), ("Richmond", "VA", "23219"),
]  # fmt: skip


def store_gln(i: int) -> str:
    """The sample's store ``i`` (from 1) as an SGLN: the purchases' ``store_id`` too."""
    return sgln(f"{100 + i:05d}")


def sgln(location: str, extension: str = "0") -> str:
    return f"urn:epc:id:sgln:{PREFIX}.{location}.{extension}"


def _element(
    id_: str, name: str, street: str, city: str, state: str, postal: str, children: list[str]
) -> dict[str, Any]:
    values = {
        "name": name, "streetAddressOne": street, "city": city, "state": state,
        "postalCode": postal, "countryCode": "US",
    }  # fmt: skip
    element: dict[str, Any] = {
        "id": id_,
        "attributes": [{"id": MDA + k, "attribute": v} for k, v in values.items()],
    }
    if children:
        element["children"] = children
    return element


def master_data(as_of: date) -> dict[str, Any]:
    """An EPCISDocument with no events: the CBV master data of the sample's places (the
    business locations and the read points inside them) and parties."""
    sites, readers = [], []
    factory = [sgln(FACTORY, "1"), sgln(FACTORY, "5")]
    sites.append(_element(sgln(FACTORY), *FACTORY_SITE, children=factory))
    readers += [
        _element(factory[0], f"{FACTORY_SITE[0]}, packing line 1", *FACTORY_SITE[1:], []),
        _element(factory[1], f"{FACTORY_SITE[0]}, shipping dock", *FACTORY_SITE[1:], []),
    ]
    sites.append(_element(sgln(DC), *DC_SITE, children=[sgln(DC, "5")]))
    readers.append(_element(sgln(DC, "5"), f"{DC_SITE[0]}, outbound dock", *DC_SITE[1:], []))
    for i, (city, state, postal) in enumerate(STORE_CITIES, start=1):
        store, name = store_gln(i), f"Store {i} — {city}"
        address = (f"{100 + 10 * i} Market St", city, state, postal)
        shelves = [shelf_of(store, n) for n in range(1, SHELVES + 1)]
        sites.append(_element(store, name, *address, children=shelves))
        readers += [
            _element(shelf, f"{name}, shelf {n}", *address, [])
            for n, shelf in enumerate(shelves, start=1)
        ]
    sites.append(_element(sgln(RECYCLER), *RECYCLER_SITE, children=[]))
    parties = [_element(party, *PARTIES[party], children=[]) for party in sorted(PARTIES)]
    vocabularies = [
        ("BusinessLocation", sites),
        ("ReadPoint", readers),
        ("Party", parties),
    ]
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": f"{(as_of - timedelta(days=TAGGED_DAYS)).isoformat()}T00:00:00Z",
        "epcisHeader": {
            "epcisMasterData": {
                "vocabularyList": [
                    {"type": VTYPE + kind, "vocabularyElementList": elements}
                    for kind, elements in vocabularies
                ]
            }
        },
        "epcisBody": {"eventList": []},
    }


def shelf_of(store: str, shelf: int) -> str:
    """Shelf ``shelf`` (from 1) of a store: its shelf reader's read point."""
    return store.rsplit(".", 1)[0] + f".{shelf}"


def _parties(kind: str, *parties: str, place: str | None = None) -> list[dict[str, str]]:
    """A source or destination list: the owning and possessing party, and the place."""
    listed = [
        {"type": role, kind: party}
        for party in parties
        for role in ("owning_party", "possessing_party")
    ]
    return listed + ([{"type": "location", kind: place}] if place else [])


@dataclass(frozen=True, slots=True)
class Sale:
    """One sample purchase line of a tagged good."""

    purchase_id: str
    at: str  # YYYY-MM-DDTHH:MM:SSZ
    store: str | None  # None: a web order, shipped home from the DC
    product_id: str
    gtin: str
    quantity: int
    home: str  # the buyer's home, as a location URI
    showcase: bool = False  # a documented customer's: its items are tagged first
    fate: str | None = None  # a documented item's end: "recycled"; else left to chance


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class EpcisStream:
    def __init__(self, seed: int, as_of: date) -> None:
        self.rnd = random.Random(seed * 1_000_003 + 5)
        self.as_of = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
        self.events: list[tuple[str, int, dict[str, Any]]] = []
        self.serials = 0
        self.containers = 0

    # ---------------------------------------------------------------- building blocks

    def _event(self, kind: str, at: datetime, **fields: Any) -> dict[str, Any]:
        event = {
            "@context": CONTEXT,
            "type": kind,
            "eventID": f"urn:uuid:{uuid.UUID(int=self.rnd.getrandbits(128), version=4)}",
            "eventTime": _iso(at),
            "eventTimeZoneOffset": "+00:00",
            **{k: v for k, v in fields.items() if v is not None},
        }
        self.events.append((event["eventTime"], len(self.events), event))
        return event

    def _observe(
        self,
        at: datetime,
        epcs: list[str],
        step: str,
        where: str | None,
        reader: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """An OBSERVE ObjectEvent: read at ``reader`` (default: the place itself), the
        items at ``where`` after it (None: in transit, no business location)."""
        return self._event(
            "ObjectEvent",
            at,
            action="OBSERVE",
            epcList=epcs,
            bizStep=step,
            readPoint={"id": reader or where} if reader or where else None,
            bizLocation={"id": where} if where else None,
            **extra,
        )

    def _aggregate(self, at: datetime, action: str, parent: str, children: list[str]) -> None:
        step = "packing" if action == "ADD" else "unpacking"
        self._event(
            "AggregationEvent", at, action=action, parentID=parent, childEPCs=children, bizStep=step
        )

    def _sscc(self) -> str:
        self.containers += 1
        return f"urn:epc:id:sscc:{PREFIX}.{self.containers:010d}"

    def _item(self, gtin: str) -> str:
        self.serials += 1
        return f"https://id.gs1.org/01/{gtin}/21/{self.serials}"

    # ---------------------------------------------------------------- the life of goods

    def ship(self, product_index: int, sales: list[Sale]) -> None:
        """One product's tagged units to one destination (a store, or the DC for web
        orders), then each unit's life after it arrives."""
        first = min(_when(s.at) for s in sales)
        rnd = self.rnd
        made = first - timedelta(days=rnd.randint(8, 14), hours=rnd.randint(0, 6))
        units = [(s, self._item(s.gtin)) for s in sales for _ in range(s.quantity)]
        items = [epc for _, epc in units]
        cases = [items[i : i + CASE_SIZE] for i in range(0, len(items), CASE_SIZE)]
        pallet = self._sscc()
        case_ids = [self._sscc() for _ in cases]
        factory = sgln(FACTORY)
        for n, (case, content) in enumerate(zip(case_ids, cases, strict=True)):
            at = made + timedelta(minutes=5 * n)
            self._event(
                "ObjectEvent", at, action="ADD", epcList=content, bizStep="commissioning",
                disposition="active", readPoint={"id": sgln(FACTORY, "1")},
                bizLocation={"id": factory},
            )  # fmt: skip
            self._aggregate(at + timedelta(minutes=1), "ADD", case, content)
        packed = made + timedelta(hours=2)
        self._aggregate(packed, "ADD", pallet, case_ids)
        custody = {
            "sourceList": _parties("source", MAKER, place=factory),
            "destinationList": _parties("destination", RETAILER, place=sgln(DC)),
        }
        self._observe(
            packed + timedelta(hours=1), [pallet], "shipping", None, disposition="in_transit",
            reader=sgln(FACTORY, "5"), **custody,
        )  # fmt: skip
        arrived = packed + timedelta(days=2, hours=rnd.randint(0, 8))
        dc = sgln(DC)
        self._observe(arrived, [pallet], "receiving", dc, disposition="in_progress")
        store = sales[0].store
        site = dc
        if store is not None:
            left = arrived + timedelta(days=1, hours=rnd.randint(0, 12))
            self._observe(
                left, [pallet], "shipping", None, disposition="in_transit",
                reader=sgln(DC, "5"), sourceList=_parties("source", place=dc),
                destinationList=_parties("destination", place=store),
            )  # fmt: skip
            arrived = left + timedelta(hours=rnd.randint(4, 20))
            site = store
            self._observe(arrived, [pallet], "receiving", store, disposition="in_progress")
        self._aggregate(arrived + timedelta(hours=1), "DELETE", pallet, case_ids)
        for case, content in zip(case_ids, cases, strict=True):
            self._aggregate(arrived + timedelta(hours=2), "DELETE", case, content)
            self._observe(
                arrived + timedelta(hours=3), content, "stocking", site,
                disposition="sellable_accessible",
            )  # fmt: skip
        by_sale: dict[str, list[str]] = {}
        for sale, epc in units:
            by_sale.setdefault(sale.purchase_id, []).append(epc)
        for sale in sales:
            self._sell(product_index, sale, by_sale[sale.purchase_id])

    def _sell(self, product_index: int, sale: Sale, items: list[str]) -> None:
        rnd = self.rnd
        at = _when(sale.at)
        purchase = f"urn:ckb:purchase:{sale.purchase_id}"
        sold: dict[str, Any] = {
            "bizTransactionList": [{"type": "inv", "bizTransaction": purchase}],
            # The retailer hands the goods over; a shopper is no party of the supply chain.
            "sourceList": _parties("source", RETAILER, place=sale.store or sgln(DC)),
        }
        if sale.store is not None:
            shelf = shelf_of(sale.store, product_index % SHELVES + 1)
            for epc in items:
                # The shopper picks it up, maybe puts it back and picks it up again.
                looks = 3 if sale.showcase else rnd.choice([1, 1, 1, 2, 2, 3])
                moment = at - timedelta(minutes=rnd.randint(8, 40))
                for look in range(looks):
                    moment += timedelta(minutes=rnd.randint(1, 3))
                    up = self._observe(moment, [epc], SHELF_PICKUP, sale.store, reader=shelf)
                    # A misread now and then, retracted later; always the documented
                    # customer's first pick-up, so every stream shows one.
                    if rnd.random() < 0.005 or (sale.showcase and look == 0):
                        self._retract(up, moment)
                    if look < looks - 1:
                        moment += timedelta(minutes=rnd.randint(1, 3))
                        self._observe(moment, [epc], SHELF_PUTDOWN, sale.store, reader=shelf)
            self._observe(
                at, items, "retail_selling", sale.store, disposition="retail_sold", **sold
            )
            after = at
        else:
            after = at + timedelta(hours=rnd.randint(2, 20))
            home: dict[str, Any] = {
                "destinationList": [{"type": "location", "destination": sale.home}]
            }
            self._observe(
                after, items, "shipping", None, disposition="in_transit",
                reader=sgln(DC, "5"), **sold, **home,
            )  # fmt: skip
            after += timedelta(days=rnd.randint(1, 3), hours=rnd.randint(0, 8))
            if after >= self.as_of:
                return  # still on its way
            self._observe(after, items, "arriving", sale.home)
        self._after_life(sale, items, after)

    def _after_life(self, sale: Sale, items: list[str], after: datetime) -> None:
        rnd = self.rnd
        fate = 0.07 if sale.fate == "recycled" else rnd.random()
        back = sale.store or sgln(DC)
        later = after + timedelta(days=rnd.randint(2, 10), hours=rnd.randint(0, 8))
        if later >= self.as_of:
            return
        if fate < 0.06:
            self._observe(
                later, items, "receiving", back, disposition="returned",
                destinationList=_parties("destination", RETAILER, place=back),
            )  # fmt: skip
            if rnd.random() < 0.5:
                restocked = later + timedelta(days=1)
                if restocked < self.as_of:
                    self._observe(
                        restocked, items, "stocking", back, disposition="sellable_accessible"
                    )
        elif fate < 0.10:
            recycler = sgln(RECYCLER)
            self._observe(
                later, items, "collecting", recycler, disposition="disposed",
                destinationList=_parties("destination", RECYCLING, place=recycler),
            )  # fmt: skip
            taken_apart = later + timedelta(days=rnd.randint(1, 5))
            if taken_apart < self.as_of:
                self._observe(taken_apart, items, "disassembling", recycler)
        elif fate < 0.11:
            self._observe(later, items, "destroying", sgln(RECYCLER), disposition="destroyed")

    def _retract(self, event: dict[str, Any], at: datetime) -> None:
        """A reader's false read, declared in error an hour later (same eventID)."""
        fixed = {
            **event,
            "errorDeclaration": {
                "declarationTime": _iso(at + timedelta(hours=1)),
                "reason": "incorrect_data",
            },
        }
        self.events.append((_iso(at + timedelta(hours=1)), len(self.events), fixed))

    def ordered(self) -> Iterator[dict[str, Any]]:
        for _when_text, _n, event in sorted(self.events, key=lambda e: (e[0], e[1])):
            yield event


def epcis_stream(seed: int, as_of: date, sales: list[Sale], products: list[str]) -> list[Any]:
    """The master data document, then the events of the sample's tagged sales, in
    event-time order."""
    stream = EpcisStream(seed, as_of)
    cutoff = (as_of - timedelta(days=TAGGED_DAYS)).isoformat()
    tagged = [s for s in sales if s.at >= cutoff]
    # A documented customer's sale ships on its own and first, so its item's serial, EPC
    # and journey are the same whatever the sample's size.
    shipments: dict[tuple[bool, str, str], list[Sale]] = {}
    for sale in tagged:
        key = (not sale.showcase, sale.product_id, sale.store or "")
        shipments.setdefault(key, []).append(sale)
    for (_, product, _store), group in sorted(shipments.items(), key=lambda g: g[0]):
        stream.ship(products.index(product), group)
    return [master_data(as_of), *stream.ordered()]
