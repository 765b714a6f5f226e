"""Answers about parsed documents, remembered while the parser cache hands them out again.

A repeated query comes back from the parser cache as the very same document and operation
nodes, so a walk of the whole document (is it introspection? what does it cost?) need be
made once. Answers are keyed by the identity of the objects they are about, and each
object is held beside its answer: an identity is never reused while it is remembered.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class DocumentMemo(Generic[V]):
    """An answer per tuple of objects, for the last ``size`` tuples."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[int, ...], tuple[tuple[object, ...], V]] = OrderedDict()

    def get(self, *about: object) -> V | None:
        known = self._kept.get(tuple(map(id, about)))
        if known is None or any(a is not b for a, b in zip(known[0], about, strict=True)):
            return None
        return known[1]

    def put(self, value: V, *about: object) -> None:
        self._kept[tuple(map(id, about))] = (about, value)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
