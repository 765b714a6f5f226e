"""GraphQL documents several test modules send: a page of customers, one customer and a
household with its members, each with every list-valued or computed field (the batching
tests, no N+1, count their store calls; the cost tests price them); and the touchpoint
mutation."""

from __future__ import annotations

import base64

AS_OF = "2026-11-01"
"""The day churn risk and next best products are asked for."""

OLDER = base64.urlsafe_b64encode(b"2026-06-01T00:00:00Z\x00T-").decode()  # a cursor
# Every list-valued or computed field of a customer (network: every customer's network
# cut from one projection, scored one by one).
CUSTOMER_FIELDS = f"""
  id name
  sources {{ system recordId rule score }}
  purchases(first: 3) {{ id purchasedAt amount items {{ productId quantity amount }} }}
  touchpoints(first: 5) {{ id kind channel agentId cursor }}
  older: touchpoints(first: 2, after: "{OLDER}") {{ id }}
  churnRisk(asOf: "{AS_OF}") {{ score lapsed signals {{ name weight evidence }} }}
  nextBestProducts(first: 2, asOf: "{AS_OF}") {{
    line productId score evidence eligibility consentAllows
  }}
  household {{ householdId customerId role }}
  holdings {{ accountId line status monthlyValue }}
  value {{ totalMonthlyValue linesHeld byLine {{ line monthlyValue }} }}
  consents {{ purpose channel granted }}
  creditProfile {{ score }}
  demographics {{ provider }}
  relationships(first: 5) {{ customerId kind direction since }}
  referrals: relationships(kind: "referral") {{ customerId }}
  trackedItems(first: 3) {{ epc productId soldAt location locationName lastStep inTransit }}
  network(hops: 2, first: 3) {{
    customers households relationships communities
    members {{ customerId distance links betweenness community referred referralReach }}
  }}
"""
CUSTOMER_PAGE = f"""query ($first: Int!) {{
  customers(first: $first) {{ edges {{ node {{ {CUSTOMER_FIELDS} }} }} }}
}}"""
"""A page of ``$first`` customers with every field."""
ONE_CUSTOMER = f"""query ($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"""
"""Customer ``$id`` with every field."""

MEMBER_FIELDS = f"""
  id sources {{ system }} purchases(first: 2) {{ amount items {{ productId }} }}
  touchpoints(first: 3) {{ kind }} churnRisk(asOf: "{AS_OF}") {{ score }}
  nextBestProducts(first: 2, asOf: "{AS_OF}") {{ line consentAllows }}
  holdings {{ line }} value {{ totalMonthlyValue }} household {{ customerId }}
  relationships {{ customerId }} trackedItems(first: 2) {{ epc location }} consents {{ purpose }}
"""
HOUSEHOLD = f"""query ($id: ID!) {{ household(id: $id) {{
  id value {{ totalMonthlyValue linesHeld }} whiteSpace(first: 2) {{ line }}
  members {{ {MEMBER_FIELDS} }}
}} }}"""
"""Household ``$id``: its value, white space, and its members with many fields each."""

RECORD_TOUCHPOINT = """
mutation ($input: TouchpointInput!, $idem: String) {
  recordTouchpoint(input: $input, idempotencyKey: $idem) {
    accepted reasons recordId replayed customerId
  }
}"""
"""Record touchpoint ``$input`` once per idempotency key ``$idem``."""
