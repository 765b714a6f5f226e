"""What every named query shares: the row shape, parameter errors, bound checks, and the
helpers of the batch forms (``customers_*``, ``households_*``, ``instances_*``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from operator import itemgetter
from typing import Any, Generic, TypeGuard, TypeVar

from graph.errors import CkbError
from graph.store import CypherReader

R = TypeVar("R")
Record = dict[str, Any]
Check = Callable[[dict[str, Any]], None]


class UnknownQueryError(CkbError):
    pass


class QueryParameterError(CkbError):
    """Parameters that do not match the query's declaration, or out of range."""


def bounded(param: str, most: int, least: int = 1) -> Check:
    """A check that a numeric parameter lies in least..most (page sizes, caps)."""

    def check(params: dict[str, Any]) -> None:
        if not least <= params[param] <= most:
            raise QueryParameterError(
                f"{param} must be between {least} and {most}, got {params[param]}"
            )

    return check


# What links customers into a network (relationship_path, ego_network, network_influence):
# relationships, or sharing a household.
CUSTOMER_NETWORK = ("MEMBER_OF", "RELATED_TO")


def number(value: Any) -> float | None:
    return None if value is None else float(value)


ReadQuery = Callable[[str, str, dict[str, Any]], list[Record]]


def reads_cypher(store: object) -> TypeGuard[CypherReader]:
    """``isinstance(store, CypherReader)``, as Python 3.11 answers it for a runtime
    protocol (the attribute is there and not None, through ``__getattr__`` too), without
    the protocol check's cost: it is asked on every read of every request."""
    return getattr(store, "read_query", None) is not None


def cypher_reader(store: object) -> ReadQuery | None:
    """How this store answers Cypher (``CypherReader.read_query``), or None (embedded)."""
    return store.read_query if reads_cypher(store) else None


# ----------------------------------------------------------------------------- batches
# One call answers a question for a page of subjects (the API's DataLoaders use them):
# each row carries the subject it is for (``forCustomer`` ...) and the result maps each
# subject to the answer its single-subject query would give.

MAX_BATCH = 500


def batch_check(param: str, what: str, *more: Check) -> Check:
    """A batch's ID list (strings, at most MAX_BATCH of them), then the ``more`` checks
    its single-subject query makes of the other parameters."""

    def check(params: dict[str, Any]) -> None:
        ids = params[param]
        if not all(isinstance(i, str) for i in ids):
            raise QueryParameterError(f"{param} must be a list of {what} strings")
        if len(ids) > MAX_BATCH:
            raise QueryParameterError(f"{param} may hold at most {MAX_BATCH} IDs, got {len(ids)}")
        for also in more:
            also(params)

    return check


check_customer_batch = batch_check("customerIds", "customer ID")


@dataclass(frozen=True, slots=True)
class Grouped(Generic[R]):
    """A batch's result: its rows grouped by their ``tag``, each group converted as the
    single-subject query converts its rows (``convert``)."""

    convert: Callable[[list[Any]], R]
    tag: str = "forCustomer"

    def __call__(self, rows: list[Any]) -> dict[str, R]:
        groups: dict[str, list[Any]] = {}
        for row in rows:
            groups.setdefault(row[self.tag], []).append(row)
        return {subject: self.convert(found) for subject, found in groups.items()}


def untagged(rows: Sequence[Mapping[str, Any]], tag: str = "forCustomer") -> list[Any]:
    """A batch's rows as its single-subject query returns them: without the ``tag``."""
    return [{k: v for k, v in r.items() if k != tag} for r in rows]


def camel(name: str) -> str:
    """A result field as the Cypher RETURN spells it: ``monthly_value`` → ``monthlyValue``."""
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


_Reader = tuple[Callable[[Mapping[str, Any]], tuple[Any, ...]], tuple[str, ...]]
_READERS: dict[type[Any], _Reader] = {}


def _reader(result: type[Any]) -> _Reader:
    """The row reader of ``result``, made once per type: one C-level item fetch a row."""
    if result not in _READERS:
        names = tuple(f.name for f in fields(result))
        getter = itemgetter(*(camel(n) for n in names))
        _READERS[result] = (getter if len(names) > 1 else lambda row: (getter(row),)), names
    return _READERS[result]


def results(
    result: type[R], rows: Iterable[Mapping[str, Any]], **convert: Callable[[Any], Any]
) -> list[R]:
    """Each row as a ``result``: the row's keys are its fields in camelCase, so the shape is
    written once, in the dataclass; ``convert`` names the fields whose stored value needs
    a conversion (``number``, ``int``, ``bool``)."""
    values, names = _reader(result)
    if not convert:
        return [result(*values(row)) for row in rows]
    plan = [(i, convert[name]) for i, name in enumerate(names) if name in convert]
    if len(plan) != len(convert):
        raise TypeError(f"{result.__name__} has no field {sorted(set(convert) - set(names))}")
    made: list[R] = []
    for row in rows:
        raw = list(values(row))
        for i, conversion in plan:
            raw[i] = conversion(raw[i])
        made.append(result(*raw))
    return made
