"""In-process publish/subscribe for GraphQL subscriptions.

Writers (mutations, push ingest) publish from worker threads; each subscriber owns a
bounded asyncio queue on the server's event loop. A subscriber that stops reading loses
its oldest events rather than slowing every writer down. The hub lives in one server
process: with several uvicorn workers each serves the changes its own process made
(docs/api.md says so).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

QUEUE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class CustomerChange:
    customer_id: str
    change: str  # touchpoint | consent | record | review | unmerge | erased
    at: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ChurnAlert:
    customer_id: str
    name: str | None
    value_tier: str | None
    score: float
    signals: tuple[str, ...]
    at: str


Event = CustomerChange | ChurnAlert


class EventHub:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queues: set[asyncio.Queue[Event]] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, event: Event) -> None:
        """Safe from any thread; a no-op before the server loop is bound."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._fan_out, event)

    def _fan_out(self, event: Event) -> None:
        for queue in self._queues:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    async def events(self) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)
