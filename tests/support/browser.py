"""Headless chromium driven over the Chrome DevTools protocol: what the browser tests
(tests/api/http/test_graphiql_browser.py, tests/api/http/test_agent_screen.py) and the screen-pop bench
(bench/screen_pop.py) share; tests/support/serve.py starts the ``ckb serve`` they open.

Debian's chromium, not a downloaded one: ``make chromium`` installs it. The browser starts
on ``about:blank`` with its own profile and a DevTools port it picks itself (port 0, read
back from the profile's ``DevToolsActivePort``); one page's websocket carries commands and
the events that arrive meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Quiet: no first-run screens, extensions, sync or background downloads to wait for.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class BrowserError(RuntimeError):
    """Chromium did not start (what it printed is in the message)."""


def find_chromium() -> str | None:
    """The chromium binary on PATH, if there is one."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_or_skip() -> str:
    """The chromium binary; the test is skipped where there is none."""
    found = find_chromium()
    if found is None:
        pytest.skip(
            "no chromium on PATH: the browser test needs Debian's chromium "
            "(make test installs it as root: apt-get install chromium)"
        )
    return found


class DevTools:
    """The Chrome DevTools protocol over one page's websocket: commands, and the events
    that arrive meanwhile."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._next = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        self.ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == self._next:
                assert "error" not in message, (method, message["error"])
                result: dict[str, Any] = message["result"]
                return result
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in answer, (expression, answer["exceptionDetails"])
        return answer["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.1)

    def watch(self) -> None:
        """Record what the page does (requests, console, exceptions: ``named``) and every
        Content-Security-Policy violation (``window.__csp``, kept across navigations)."""
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        self.call(
            "Page.addScriptToEvaluateOnNewDocument",
            source="window.__csp = []; document.addEventListener('securitypolicyviolation',"
            " (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));",
        )

    def named(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self.events if e.get("method") == method]


@contextlib.contextmanager
def headless(
    binary: str, work: Path, size: tuple[int, int], flags: Sequence[str] = (), timeout: float = 30
) -> Iterator[DevTools]:
    """Chromium at ``size`` on about:blank, its profile and log (``chromium.log``) in
    ``work``, its page driven over the DevTools protocol; stopped, helpers and all, on
    leaving."""
    profile = work / "profile"
    log = work / "chromium.log"
    width, height = size
    with log.open("w") as out:
        proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--window-size={width},{height}",
             "--remote-debugging-port=0", *flags, f"--user-data-dir={profile}", "about:blank"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # chromium and its helpers: one group to stop
        )  # fmt: skip
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (active.exists() and active.read_text().count("\n") >= 1):
            if proc.poll() is not None:
                raise BrowserError(f"chromium stopped:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise BrowserError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = active.read_text().splitlines()[0]
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
            yield DevTools(ws)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
