"""The agent's screen as an agent meets it: ``ckb serve`` on a small sample store, the page
at ``/`` in Debian's headless chromium at 1280x800 (driven over the DevTools protocol, as
tests/api/http/test_graphiql_browser.py does). Keyboard only: sign in, find the caller by phone and
by pinyin, see value, household, complaints and offer, record the call — and see a change
made by another client appear without a reload. Labels follow the browser's language; a
key without read access gets a message, not a broken page. Screenshots of the main states
go to build/screenshots/ (docs/screenshots/ holds the committed ones)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sample.showcase import LI_NA, WANG_WEI, WANG_XIAOMING
from tests.support.browser import DevTools, chromium_or_skip, headless
from tests.support.commands import demo_store
from tests.support.paths import REPO
from tests.support.serve import ckb_serve, free_port

AGENT_KEY = "agent-screen-agent-key"
LOADER_KEY = "agent-screen-loader-key"
KEYS = f"desk1:agent:{AGENT_KEY},feeder:loader:{LOADER_KEY}"
SHOTS = REPO / "build" / "screenshots"
SENSITIVE = ("nationalId", "creditProfile", "demographics")
WANG_WEI_PHONE = "138 0013 8000"  # stored as +8613800138000


@dataclass
class Served:
    url: str
    log: Path


def _ask(server: Served, query: str, variables: dict[str, Any] | None = None) -> Any:
    answer = httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"authorization": f"Bearer {AGENT_KEY}"},
        timeout=10,
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A 150-customer sample (with the showcase family) loaded, resolved, segmented, served."""
    chromium_or_skip()  # no browser: skip before building anything
    tmp = tmp_path_factory.mktemp("agent")
    graph = f"embedded:{demo_store(tmp, customers=150, seed=7)}"
    log = tmp / "serve.log"
    env = {"CKB_API_KEYS": KEYS, "CKB_REJECTS_DIR": str(tmp / "rejects")}
    with ckb_serve(graph, free_port(), log, env) as url:
        yield Served(url, log)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    """Headless chromium at 1280x800 on about:blank, driven over the DevTools protocol."""
    with headless(chromium_or_skip(), tmp_path, (1280, 800), ["--lang=en-US"]) as tools:
        tools.watch()
        tools.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280, height=800, deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        yield tools


# ----------------------------------------------------------------------------- driving


def _text(selector: str) -> str:
    return f"(document.querySelector({json.dumps(selector)})?.innerText ?? '')"


def _type(tools: DevTools, text: str) -> None:
    tools.call("Input.insertText", text=text)


def _key(tools: DevTools, key: str, shift: bool = False) -> None:
    codes = {"Enter": 13, "Tab": 9, "Escape": 27, "ArrowDown": 40}
    base = {"key": key, "code": key, "windowsVirtualKeyCode": codes[key]}
    if shift:
        base["modifiers"] = 8
    down = {**base, "text": "\r"} if key == "Enter" else base
    tools.call("Input.dispatchKeyEvent", type="keyDown", **down)
    tools.call("Input.dispatchKeyEvent", type="keyUp", **base)


def _focused(tools: DevTools) -> str:
    return str(tools.evaluate("document.activeElement?.id || document.activeElement?.tagName"))


def _shot(tools: DevTools, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = tools.call("Page.captureScreenshot", format="png")
    (SHOTS / name).write_bytes(base64.b64decode(shot["data"]))


def _open_page(tools: DevTools, server: Served) -> None:
    tools.call("Page.navigate", url=f"{server.url}/")
    tools.wait_for("!!document.querySelector('#credential, #search')", "the page to start")


def _sign_in(tools: DevTools, key: str) -> None:
    assert _focused(tools) == "credential"
    _type(tools, key)
    _key(tools, "Enter")


def _search(tools: DevTools, text: str) -> None:
    tools.wait_for("document.activeElement?.id === 'search'", "the search box to have focus")
    tools.evaluate("document.querySelector('#search').select()")
    _type(tools, text)
    _key(tools, "Enter")


def _caller(tools: DevTools, customer: str) -> None:
    try:
        tools.wait_for(
            f"document.querySelector('.caller')?.dataset.customer === {json.dumps(customer)}"
            " && !!document.querySelector('[data-field=total-value]')",
            f"the caller view of {customer}",
        )
    except AssertionError:
        shown = tools.evaluate("document.body.innerText")
        thrown = tools.named("Runtime.exceptionThrown")
        raise AssertionError(f"no caller view of {customer}: {shown!r} {thrown}") from None


CALLER_FACTS = """{
  customer(id: "ID") {
    name valueTier customerSince
    value { totalMonthlyValue }
    household { householdId customerId name role }
    touchpoints(first: 100) { id kind reason resolutionStatus }
    nextBestProducts(first: 3) { productName name line consentAllows }
  }
}"""


def _money(value: float) -> str:
    return f"{value:,.2f}"


# ----------------------------------------------------------------------------- the tests


def test_search_open_record_and_see_a_change_live(server: Served, browser: DevTools) -> None:  # noqa: PLR0915 - one agent journey, read top to bottom
    tools = browser
    _open_page(tools, server)
    assert "Find the caller" not in tools.evaluate("document.body.innerText")  # signed out
    _sign_in(tools, AGENT_KEY)
    tools.wait_for("document.activeElement?.id === 'search'", "the desk after signing in")
    assert tools.evaluate("sessionStorage.getItem('ckb-agent-credential')") == AGENT_KEY
    assert AGENT_KEY not in tools.evaluate("JSON.stringify(localStorage)")

    # Screen pop by phone, typed the way people say it: one hit opens directly.
    _search(tools, WANG_WEI_PHONE)
    _caller(tools, WANG_WEI)
    facts = _ask(server, CALLER_FACTS.replace("ID", WANG_WEI, 1))["customer"]
    assert tools.evaluate(_text("#caller-name")) == facts["name"] == "王伟"
    assert tools.evaluate(_text("[data-field=tier]")).lower() == facts["valueTier"]
    shown_value = tools.evaluate(_text("[data-field=total-value]"))
    assert shown_value == _money(facts["value"]["totalMonthlyValue"])
    assert facts["value"]["totalMonthlyValue"] > 0
    household = tools.wait_for(
        f"{_text('[data-field=household-value]')} !== '—' && {_text('[data-field=household]')}",
        "the household's value",
    )
    for member in facts["household"]:
        assert member["name"] in household
        assert member["role"] in household
    assert {m["customerId"] for m in facts["household"]} >= {WANG_WEI, LI_NA, WANG_XIAOMING}
    open_complaints = [
        t
        for t in facts["touchpoints"]
        if t["kind"] == "complaint" and t["resolutionStatus"] == "open"
    ]
    assert len(open_complaints) >= 2  # the showcase's: three and forty days ago
    band = tools.evaluate(_text("[data-field=complaints]"))
    assert f"Open complaints ({len(open_complaints)})" in band
    offer = tools.evaluate(_text("[data-field=offer]"))
    best = facts["nextBestProducts"][0]
    assert (best["productName"] or best["name"]) in offer
    allowed = "phone" in (best["consentAllows"] or [])
    assert ("Consent on this channel (phone): allowed" in offer) is allowed
    assert tools.evaluate(_text("[data-field=churn]")).count("%") == 1
    assert "billing" in tools.evaluate(_text("[data-field=sources]"))
    # The neighborhood is drawn (cytoscape's canvases) and its people can be reached.
    assert tools.evaluate("document.querySelectorAll('[data-field=graph] canvas').length") >= 1
    people = tools.evaluate(_text("[data-field=neighbors]"))
    assert "李娜" in people
    assert "王小明" in people
    # The whole caller view fits the 1280-wide screen: nothing scrolls sideways.
    assert tools.evaluate("document.documentElement.scrollWidth") <= 1280
    _shot(tools, "agent-caller.png")

    # Record the call with the keyboard only: the caller view put the cursor in Reason.
    assert _focused(tools) == "reason"
    mark = "roaming_charges"  # a reason the sample never gives
    _type(tools, mark)
    _key(tools, "Tab")
    assert _focused(tools) == "outcome"
    _type(tools, "answered")
    _key(tools, "Enter")
    tools.wait_for(f"{_text('[data-field=record] .form-status')} === 'Call recorded.'", "saved")
    tools.wait_for(f"{_text('[data-field=timeline]')}.includes({json.dumps(mark)})", "timeline")
    stored = _ask(
        server,
        f'{{ customer(id: "{WANG_WEI}") {{ touchpoints(first: 5) {{ kind channel reason '
        "outcome resolutionStatus } } }",
    )["customer"]["touchpoints"]
    assert {
        "kind": "inquiry", "channel": "call_center", "reason": mark, "outcome": "answered",
        "resolutionStatus": "resolved",
    } in stored  # fmt: skip
    assert _focused(tools) == "search"  # ready for the next call

    # Another channel logs a complaint: the open screen shows it without a reload.
    tools.evaluate("window.__sameDocument = true")
    tools.wait_for(f"{_text('[data-field=live]')}.includes('live')", "the live subscription")
    other = "late_delivery"  # nor this one
    touched = _ask(
        server,
        "mutation ($i: TouchpointInput!) { recordTouchpoint(input: $i) { accepted } }",
        {"i": {"customerId": WANG_WEI, "channel": "web", "kind": "complaint",
               "reason": other, "resolutionStatus": "open"}},
    )  # fmt: skip
    assert touched["recordTouchpoint"]["accepted"] is True
    tools.wait_for(f"{_text('[data-field=complaints]')}.includes({json.dumps(other)})", "push")
    assert tools.evaluate("window.__sameDocument") is True
    assert f"Open complaints ({len(open_complaints) + 1})" in tools.evaluate(
        _text("[data-field=complaints]")
    )
    assert "Updated just now: touchpoint" in tools.evaluate(_text(".status"))

    # Resolve it from the screen: the band loses it, the store has it resolved.
    tools.evaluate(
        f"[...document.querySelectorAll('[data-field=complaints] li')]"
        f".find((li) => li.innerText.includes({json.dumps(other)})).querySelector('input').focus()"
    )
    _type(tools, "refunded")
    _key(tools, "Enter")
    tools.wait_for(
        f"!{_text('[data-field=complaints]')}.includes({json.dumps(other)})", "the resolution"
    )
    after = _ask(server, CALLER_FACTS.replace("ID", WANG_WEI, 1))["customer"]["touchpoints"]
    resolved = next(t for t in after if t["reason"] == other)
    assert resolved["resolutionStatus"] == "resolved"

    # Screen pop by pinyin: 王小明 is the one Wang Xiaoming.
    _key(tools, "Escape")
    _search(tools, "wang xiaoming")
    _caller(tools, WANG_XIAOMING)
    assert tools.evaluate(_text("#caller-name")) == "王小明"

    # Several hits: a pick list with what tells them apart; arrows and Enter choose.
    _key(tools, "Escape")
    _search(tools, "wang")
    picks = tools.wait_for("document.querySelectorAll('.picklist button').length", "the pick list")
    assert picks > 1
    assert _focused(tools) == "BUTTON"
    first = tools.evaluate("document.activeElement.innerText")
    hits = _ask(
        server, '{ searchCustomers(text: "wang", first: 8) { customerId name phone matchedOn } }'
    )["searchCustomers"]
    assert picks == len(hits)
    assert hits[0]["name"] in first
    assert hits[0]["phone"] in first  # what tells them apart
    assert ", ".join(hits[0]["matchedOn"]) in first
    assert "Matched on" in tools.evaluate(_text(".pickhead"))
    _shot(tools, "agent-picklist.png")
    _key(tools, "ArrowDown")
    chosen = tools.evaluate("document.activeElement.dataset.customer")
    _key(tools, "Enter")
    _caller(tools, chosen)

    # Offline and strict: only this server, no CSP violation, no error, nothing sensitive.
    assert tools.evaluate("window.__csp") == []
    requested = tools.named("Network.requestWillBeSent")
    urls = [e["request"]["url"] for e in requested]
    assert [u for u in urls if not u.startswith((server.url, "data:"))] == []
    bodies = " ".join(e["request"].get("postData", "") for e in requested)
    assert "recordTouchpoint" in bodies
    assert not any(field in bodies for field in SENSITIVE)
    sockets = {e["url"] for e in tools.named("Network.webSocketCreated")}
    assert sockets == {server.url.replace("http:", "ws:") + "/graphql"}
    assert tools.named("Runtime.exceptionThrown") == []
    errors = [e for e in tools.named("Log.entryAdded") if e["entry"]["level"] == "error"]
    errors += [e for e in tools.named("Runtime.consoleAPICalled") if e["type"] == "error"]
    assert errors == [], errors


def test_chinese_labels_and_refusals_keep_the_page_working(
    server: Served, browser: DevTools
) -> None:
    tools = browser
    tools.call("Emulation.setLocaleOverride", locale="zh-CN")
    tools.call("Network.setUserAgentOverride", userAgent="Mozilla/5.0", acceptLanguage="zh-CN,zh")
    _open_page(tools, server)
    assert tools.evaluate("navigator.language").startswith("zh")
    assert "登录" in tools.evaluate("document.body.innerText")

    _sign_in(tools, "not-a-key")
    tools.wait_for("document.body.innerText.includes('密钥或令牌未被接受')", "the refusal")
    assert tools.evaluate("sessionStorage.getItem('ckb-agent-credential')") is None

    # A key without read access (a loader's): a message, not a broken page.
    _sign_in(tools, LOADER_KEY)
    _search(tools, WANG_WEI)
    tools.wait_for(f"{_text('.status')}.includes('您的角色无权查看')", "the refusal message")
    assert tools.evaluate("!!document.querySelector('.caller')") is False

    tools.evaluate("sessionStorage.clear()")
    _open_page(tools, server)
    _sign_in(tools, AGENT_KEY)
    _search(tools, WANG_WEI)  # a golden customer ID opens directly
    _caller(tools, WANG_WEI)
    page = tools.evaluate("document.body.innerText")
    for label in ("所有产品线月价值合计", "家庭月价值", "未解决投诉", "最佳推荐", "记录本次通话"):
        assert label in page, label
    _shot(tools, "agent-caller-zh.png")
    assert tools.evaluate("window.__csp") == []
    assert tools.named("Runtime.exceptionThrown") == []
