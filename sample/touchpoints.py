"""Two years of touchpoints and the marketing campaigns: web and store visits, call center
inquiries, complaints (a burst before a customer churns, open ones for the showcase), a
retention call, the account owners' sales contacts, and campaign contacts with a
measurable response (likelier where the offer's line goes with what a customer holds);
with the bad records planted in the call center's file.

Each kind of touchpoint is one function; they run in a fixed order per person because they
share the sample's random stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sample.catalogue import AFFINITY
from sample.context import WINDOW_DAYS, Person, Sample, Writer

TOUCHPOINT_COLUMNS = [
    "touchpoint_id",
    "customer_id",
    "customer_system",
    "occurred_at",
    "channel",
    "kind",
    "direction",
    "reason",
    "outcome",
    "category",
    "resolution_status",
    "resolved_at",
    "product_id",
    "account_id",
    "agent_id",
    "campaign_id",
    "response",
    "converted",
]
CAMPAIGN_COLUMNS = [
    "campaign_id",
    "name",
    "channel",
    "starts_on",
    "ends_on",
    "product_id",
    "line_id",
]
# (line offered, channel), one campaign every 110 days from the window's third month
CAMPAIGNS = [
    ("broadband", "email"),
    ("savings", "post"),
    ("mobile", "sms"),
    ("electricity", "email"),
    ("tv", "email"),
    ("investments", "post"),
]
COMPLAINT_CATEGORIES = [
    "billing",
    "network",
    "service_quality",
    "fees",
    "delivery",
    "product_fault",
]


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    line: str
    channel: str
    start: date


@dataclass(frozen=True, slots=True)
class _Files:
    """The touchpoint file of each source system."""

    callcenter: Writer
    webshop: Writer
    stores: Writer
    sales: Writer
    marketing: Writer


@dataclass(frozen=True, slots=True)
class _Span:
    """The days a person's touchpoints fall in: the window, up to churn."""

    start: date
    end: date


def write_campaigns_and_touchpoints(s: Sample) -> None:
    files = _Files(
        *(
            s.writer(name, TOUCHPOINT_COLUMNS)
            for name in (
                "callcenter.touchpoints.csv.gz",
                "webshop.touchpoints.jsonl",
                "stores.touchpoints.jsonl.gz",
                "sales.touchpoints.csv",
                "marketing.touchpoints.csv",
            )
        )
    )
    campaigns = _write_campaigns(s)
    for p in s.people:
        span = _Span(s.as_of - timedelta(days=WINDOW_DAYS), p.churned_on or s.as_of)
        _web_visits(s, files.webshop, p, span)
        _store_visits(s, files.stores, p, span)
        _inquiries(s, files.callcenter, p, span)
        _complaints(s, files.callcenter, p, span)
        _showcase_complaints(s, files.callcenter, p)
        _retention_call(s, files.callcenter, p)
        _sales_contacts(s, files.sales, p, span)
        _campaign_contacts(s, files.marketing, p, campaigns)
    _plant_bad_touchpoints(s, files.callcenter)


def _write_campaigns(s: Sample) -> list[Campaign]:
    w = s.writer("marketing.campaigns.csv", CAMPAIGN_COLUMNS)
    campaigns = []
    for i, (line, channel) in enumerate(CAMPAIGNS):
        start = s.as_of - timedelta(days=WINDOW_DAYS - 60 - i * 110)
        campaign = Campaign(f"CAMP{i + 1:02d}", line, channel, start)
        w.write(
            {
                "campaign_id": campaign.id,
                "name": f"{line.title()} offer {start.year}",
                "channel": channel,
                "starts_on": start.isoformat(),
                "ends_on": (start + timedelta(days=30)).isoformat(),
                "line_id": line,
            }
        )
        campaigns.append(campaign)
    return campaigns


def _touch(s: Sample, w: Writer, p: Person, system: str, **row: Any) -> None:
    cid, csys = p.ref(system)
    w.write(
        {
            "touchpoint_id": s.next_id("T"),
            "customer_id": cid,
            "customer_system": csys if csys != system else None,
            **row,
        }
    )


def _call(s: Sample, w: Writer, p: Person, kind: str, **row: Any) -> None:
    """An inbound call to the call center (its file is CSV: the columns fix the order)."""
    _touch(s, w, p, "callcenter", channel="call_center", kind=kind, direction="inbound", **row)


def _visit(s: Sample, w: Writer, p: Person, system: str, day: date, reasons: list[str]) -> None:
    channel = "web" if system == "webshop" else "store"
    _touch(
        s,
        w,
        p,
        system,
        occurred_at=s.time(day),
        channel=channel,
        kind="visit",
        direction="inbound",
        reason=s.rnd.choice(reasons),
    )


def _web_visits(s: Sample, w: Writer, p: Person, span: _Span) -> None:
    activity = 1.0 + min(p.value_scale, 4)
    for _ in range(int(s.rnd.expovariate(1 / (6 * activity)))):
        day = s.day(span.start, span.end)
        if p.churned_on and (p.churned_on - day).days < 180 and s.rnd.random() < 0.6:
            continue  # falling activity before churn
        _visit(s, w, p, "webshop", day, ["browse", "account", "support_page", "offers"])


def _store_visits(s: Sample, w: Writer, p: Person, span: _Span) -> None:
    for _ in range(int(s.rnd.expovariate(1 / 2))):
        _visit(s, w, p, "stores", s.day(span.start, span.end), ["browse", "pickup", "advice"])


def _inquiries(s: Sample, w: Writer, p: Person, span: _Span) -> None:
    rnd = s.rnd
    for _ in range(int(rnd.expovariate(1 / 1.5))):
        at = s.time(s.day(span.start, span.end))
        _call(
            s,
            w,
            p,
            "inquiry",
            occurred_at=at,
            reason=rnd.choice(["billing_question", "plan_change", "address_change", "technical"]),
            outcome="answered",
            category="general",
            resolution_status="resolved",
            resolved_at=at,
            agent_id=rnd.choice(s.call_agents),
        )


def _complaints(s: Sample, w: Writer, p: Person, span: _Span) -> None:
    """A burst of three to six, mostly left open, in the three months before a customer
    churns (and for a few who stay); otherwise one now and then, mostly fixed."""
    rnd = s.rnd
    burst = bool(p.churned_on) or rnd.random() < 0.03
    n_complaints = rnd.randint(3, 6) if burst else int(rnd.random() < 0.25)
    for _ in range(n_complaints):
        if burst:
            anchor = p.churned_on or s.day(span.start + timedelta(days=120), s.as_of)
            day = s.day(anchor - timedelta(days=90), anchor - timedelta(days=1))
        else:
            day = s.day(span.start, span.end)
        resolved = rnd.random() < (0.5 if burst else 0.9)
        holding = rnd.choice(p.holdings) if p.holdings else None
        _call(
            s,
            w,
            p,
            "complaint",
            occurred_at=s.time(day),
            reason=rnd.choice(COMPLAINT_CATEGORIES),
            outcome="escalated" if not resolved else "fixed",
            category=rnd.choice(COMPLAINT_CATEGORIES),
            resolution_status="resolved" if resolved else "open",
            resolved_at=s.time(day + timedelta(days=rnd.randint(1, 5)))
            if resolved and day + timedelta(days=5) < s.as_of
            else None,
            account_id=holding[0] if holding else None,
            agent_id=rnd.choice(s.call_agents),
        )


def _showcase_complaints(s: Sample, w: Writer, p: Person) -> None:
    for days_ago in p.showcase.open_complaints if p.showcase else ():
        day = s.as_of - timedelta(days=days_ago)
        _call(
            s,
            w,
            p,
            "complaint",
            occurred_at=f"{day.isoformat()}T09:40:00Z",
            reason="fees",
            outcome="escalated",
            category="fees",
            resolution_status="open",
            account_id=p.holdings[0][0] if p.holdings else None,
            agent_id=s.call_agents[0],
        )


def _retention_call(s: Sample, w: Writer, p: Person) -> None:
    """Some who churn called first about a competitor's offer."""
    if not p.churned_on or s.rnd.random() >= 0.4:
        return
    at = s.time(s.day(p.churned_on - timedelta(days=40), p.churned_on - timedelta(days=1)))
    _call(
        s,
        w,
        p,
        "inquiry",
        occurred_at=at,
        reason="competitor_offer",
        category="switching",
        outcome="retention_offer",
        resolution_status="resolved",
        resolved_at=at,
        agent_id=s.rnd.choice(s.call_agents),
    )


def _sales_contacts(s: Sample, w: Writer, p: Person, span: _Span) -> None:
    if not p.owner_agent:
        return
    for _ in range(s.rnd.randint(2, 10)):
        day = s.day(span.start, span.end)
        kind = s.rnd.choice(["sales_call", "sales_visit"])
        _touch(
            s,
            w,
            p,
            "sales",
            occurred_at=s.time(day),
            channel=kind,
            kind=kind,
            direction="outbound",
            reason="account_review",
            outcome=s.rnd.choice(["follow_up", "upsell", "no_interest"]),
            agent_id=p.owner_agent,
        )


def _campaign_contacts(s: Sample, w: Writer, p: Person, campaigns: list[Campaign]) -> None:
    """A quarter of the customers still there are contacted per campaign; some respond."""
    held = {h[2] for h in p.holdings}
    for campaign in campaigns:
        if s.rnd.random() > 0.25 or (p.churned_on and p.churned_on < campaign.start):
            continue
        day = s.day(campaign.start, campaign.start + timedelta(days=10))
        _touch(
            s,
            w,
            p,
            "marketing",
            occurred_at=s.time(day),
            channel=campaign.channel,
            kind="campaign_contact",
            direction="outbound",
            campaign_id=campaign.id,
        )
        affinity = any(campaign.line in AFFINITY.get(h, []) for h in held)
        _campaign_response(s, w, p, campaign, day, affinity)


def _campaign_response(
    s: Sample, w: Writer, p: Person, campaign: Campaign, contacted: date, affinity: bool
) -> None:
    r = s.rnd.random()
    if r < (0.08 if affinity else 0.03):
        response, converted = "converted", True
    elif r < 0.22:
        response, converted = s.rnd.choice(["opened", "clicked"]), False
    else:
        return
    _touch(
        s,
        w,
        p,
        "marketing",
        occurred_at=s.time(min(contacted + timedelta(days=s.rnd.randint(0, 14)), s.as_of)),
        channel=campaign.channel,
        kind="campaign_response",
        direction="inbound",
        campaign_id=campaign.id,
        response=response,
        converted=converted,
    )


def _plant_bad_touchpoints(s: Sample, w: Writer) -> None:
    cid, csys = s.people[0].ref("callcenter")
    customer = {"customer_id": cid, "customer_system": csys if csys != "callcenter" else None}
    s.plant(
        w,
        {
            "touchpoint_id": "T-BAD-1",
            **customer,
            "occurred_at": "2025-03-01T10:00:00Z",
            "channel": "pigeon",
            "kind": "inquiry",
            "resolution_status": "resolved",
        },
        "unknown channel",
    )
    s.plant(
        w,
        {
            "touchpoint_id": "T-BAD-2",
            **customer,
            "occurred_at": "yesterday",
            "channel": "call_center",
            "kind": "complaint",
            "resolution_status": "open",
        },
        "unparsable time",
    )
    s.plant(
        w,
        {
            "touchpoint_id": "T-BAD-3",
            **customer,
            "occurred_at": "2025-03-01T10:00:00Z",
            "channel": "call_center",
            "kind": "complaint",
        },
        "complaint without resolution status",
    )
