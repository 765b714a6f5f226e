"""A graph store that times every public method call of the store it wraps.

Delegation by ``__getattr__``: each public method of the wrapped store (the ``GraphStore``
port and any extra, such as the Neo4j store's ``read_query``) comes back wrapped in a timer
the first time it is asked for, and is kept on the proxy, so later calls cost one attribute
lookup and one histogram observation. Attributes that are not methods (``description``) are
read through on every access. Behaviour is the wrapped store's, exceptions included.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import Histogram


class InstrumentedStore:
    """Wraps any ``GraphStore``; observes ``seconds{method=...}`` for each call."""

    def __init__(self, store: object, seconds: Histogram) -> None:
        self.wrapped = store
        self._seconds = seconds

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.wrapped, name)
        if name.startswith("_") or not callable(attribute):
            return attribute
        timed = self._timed(name, attribute)
        setattr(self, name, timed)
        return timed

    def _timed(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        observe = self._seconds.labels(name).observe

        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                observe(time.perf_counter() - start)

        return timed

    def __repr__(self) -> str:
        return f"InstrumentedStore({self.wrapped!r})"
