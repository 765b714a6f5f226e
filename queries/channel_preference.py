"""channel_preference: the channels a customer uses and answers, over a period: contacts
in and out per channel, campaign contacts and responses, the most used and the best
answered channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.base import QueryParameterError
from queries.engine import named_query


class ChannelRow(TypedDict):
    channel: Any  # the touchpoints' stored channel
    inbound: int
    outbound: int
    campaignContacts: int
    responses: int


@dataclass(frozen=True, slots=True)
class ChannelStats:
    channel: str | None
    inbound: int
    outbound: int
    campaign_contacts: int
    responses: int

    @property
    def response_rate(self) -> float | None:
        return round(self.responses / self.campaign_contacts, 4) if self.campaign_contacts else None


@dataclass(frozen=True, slots=True)
class ChannelPreference:
    channels: tuple[ChannelStats, ...]
    by_use: str | None  # most customer-initiated contacts
    by_response: str | None  # best campaign response rate (at least one response)


def to_channels(rows: list[ChannelRow]) -> ChannelPreference:
    channels = tuple(
        ChannelStats(
            r["channel"],
            int(r["inbound"]),
            int(r["outbound"]),
            int(r["campaignContacts"]),
            int(r["responses"]),
        )
        for r in rows
    )
    used = [c for c in channels if c.inbound]
    by_use = min(used, key=lambda c: (-c.inbound, str(c.channel))).channel if used else None
    answered = [c for c in channels if c.responses]
    by_response = (
        min(
            answered,
            key=lambda c: (-(c.response_rate or 0.0), -c.responses, str(c.channel)),
        ).channel
        if answered
        else None
    )
    return ChannelPreference(channels, by_use, by_response)


def check_channels(params: dict[str, Any]) -> None:
    if not params["from"] < params["to"]:
        raise QueryParameterError("from must be before to")


@named_query("channel_preference", to_channels, check_channels)
def channels(store: GraphStore, customerId: str, **period: str) -> list[ChannelRow]:
    start, end = period["from"], period["to"]
    touched = [
        n.node
        for n in store.neighbours(
            "Customer", customerId, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
        )
        if start <= str(n.node.props.get("occurred_at", "")) < end
        and n.node.props.get("occurred_at") is not None
    ]
    campaigns = store.neighbours_many("Touchpoint", [t.key for t in touched], "PART_OF", limit=1)
    answered: set[str] = set()
    if campaigns:
        everything = store.neighbours(
            "Customer", customerId, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
        )
        responses = store.neighbours_many(
            "Touchpoint", [n.node.key for n in everything], "RESPONDED_TO", limit=10_000
        )
        answered = {n.node.key for found in responses.values() for n in found}
    cells: dict[Any, list[int]] = {}
    for t in touched:
        cell = cells.setdefault(t.props.get("channel"), [0, 0, 0, 0])
        direction = t.props.get("direction")
        cell[0] += direction == "inbound"
        cell[1] += direction == "outbound"
        if t.key in campaigns:
            cell[2] += 1
            cell[3] += campaigns[t.key][0].node.key in answered
    return [
        {
            "channel": channel,
            "inbound": c[0],
            "outbound": c[1],
            "campaignContacts": c[2],
            "responses": c[3],
        }
        for channel, c in sorted(cells.items(), key=lambda i: (i[0] is None, str(i[0])))
    ]
