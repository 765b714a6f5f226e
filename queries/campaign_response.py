"""campaign_response and campaigns_response: who a campaign contacted, by channel and value
tier, and how many of them responded and converted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore, Neighbour
from queries.base import Grouped, batch_check, results, untagged
from queries.engine import named_query


class CampaignRow(TypedDict):
    channel: Any  # the touchpoints' stored channel
    tier: str
    contacted: int
    responses: int
    conversions: int


class TaggedCampaignRow(CampaignRow):
    forCampaign: str


@dataclass(frozen=True, slots=True)
class CampaignCell:
    channel: str | None
    tier: str
    contacted: int
    responses: int
    conversions: int

    @property
    def response_rate(self) -> float:
        return round(self.responses / self.contacted, 4) if self.contacted else 0.0

    @property
    def conversion_rate(self) -> float:
        return round(self.conversions / self.contacted, 4) if self.contacted else 0.0


def to_campaign(rows: list[CampaignRow]) -> list[CampaignCell]:
    return results(CampaignCell, rows, contacted=int, responses=int, conversions=int)


@named_query(
    "campaigns_response",
    Grouped(to_campaign, "forCampaign"),
    batch_check("campaignIds", "campaign ID"),
)
def campaigns_many(store: GraphStore, campaignIds: list[str]) -> list[TaggedCampaignRow]:
    """``campaign_response`` for many campaigns, each row tagged ``forCampaign``: three
    store calls whatever their number."""
    contacts = store.neighbours_many(
        "Campaign", campaignIds, "PART_OF", "in", "Touchpoint", limit=10**7
    )
    responses = store.neighbours_many(
        "Campaign", campaignIds, "RESPONDED_TO", "in", "Touchpoint", limit=10**7
    )
    who = store.neighbours_many(
        "Touchpoint",
        [t.node.key for found in (contacts, responses) for ts in found.values() for t in ts],
        "HAD_TOUCHPOINT",
        "in",
        "Customer",
        limit=1,
    )
    return [
        {"forCampaign": campaign, **cell}
        for campaign in dict.fromkeys(campaignIds)
        for cell in _campaign_cells(contacts.get(campaign, []), responses.get(campaign, []), who)
    ]


def _responded(responses: list[Neighbour], who: dict[str, list[Neighbour]]) -> dict[str, bool]:
    """The customers who responded, each with whether they converted at least once."""
    responded: dict[str, bool] = {}
    for r in responses:
        if r.node.key in who:
            customer = who[r.node.key][0].node.key
            responded[customer] = (
                responded.get(customer, False) or r.edge.props.get("converted") is True
            )
    return responded


def _campaign_cells(
    contacts: list[Neighbour], responses: list[Neighbour], who: dict[str, list[Neighbour]]
) -> list[CampaignRow]:
    responded = _responded(responses, who)
    cells: dict[tuple[Any, str], list[int]] = {}
    seen: set[tuple[Any, str]] = set()
    for t in contacts:
        if t.node.key not in who:
            continue
        person = who[t.node.key][0].node
        channel = t.node.props.get("channel")
        if (channel, person.key) in seen:
            continue
        seen.add((channel, person.key))
        tier = str(person.props.get("value_tier") or "none")
        cell = cells.setdefault((channel, tier), [0, 0, 0])
        cell[0] += 1
        if person.key in responded:
            cell[1] += 1
            cell[2] += responded[person.key]
    return [
        {"channel": ch, "tier": tier, "contacted": c[0], "responses": c[1], "conversions": c[2]}
        for (ch, tier), c in sorted(
            cells.items(), key=lambda i: (i[0][0] is None, str(i[0][0]), i[0][1])
        )
    ]


@named_query("campaign_response", to_campaign)
def campaign(store: GraphStore, campaignId: str) -> list[CampaignRow]:
    return untagged(campaigns_many(store, [campaignId]), "forCampaign")
