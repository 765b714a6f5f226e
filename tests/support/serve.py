"""Servers for tests and benches: an app served by uvicorn in a thread (``LiveServer``), and
``ckb serve`` started as a user starts it, for those that need a real server process (the
browser tests, bench/screen_pop.py, tests/test_e2e.py): wait until it answers, stop it with
SIGINT as Ctrl-C does."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from tests.support.commands import CKB


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread, serving ``app`` while
    the ``with`` block runs."""

    def __init__(self, app: Starlette) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


class ServerError(RuntimeError):
    """The server did not start (what it printed is in the message)."""


def wait_ready(
    url: str,
    proc: subprocess.Popen[Any],
    printed: Callable[[], str],
    timeout: float = 30,
    pause: float = 0.1,
) -> httpx.Response:
    """``url``'s ``/readyz`` answer, once the server ``proc`` starts answers at all;
    ServerError with what it ``printed`` if it stops first, or takes over ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(f"{url}/readyz", timeout=1)
        except httpx.TransportError:
            if proc.poll() is not None:
                raise ServerError(f"the server stopped:\n{printed()}") from None
            if time.monotonic() > deadline:
                raise ServerError(f"the server did not start in {timeout:g} s") from None
            time.sleep(pause)


@contextlib.contextmanager
def ckb_serve(
    graph: str, port: int, log: Path, env: Mapping[str, str], timeout: float = 30
) -> Iterator[str]:
    """``ckb serve`` on ``graph`` (``env`` added to this environment), printing to ``log``,
    ready; its address. Stopped with SIGINT on leaving."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(CKB), "--graph", graph, "serve", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, log.read_text, timeout).raise_for_status()
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=timeout)
