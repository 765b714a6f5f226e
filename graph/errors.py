"""Exceptions of the graph layer. Callers translate them at the edge (CLI, HTTP, GraphQL)."""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, for errors said in one line."""
    return " ".join(str(exc).split())


class CkbError(Exception):
    """Root of every error ckb raises on purpose."""


class SchemaError(CkbError):
    """A label, relationship type or property that the model does not define."""


class SchemaDefinitionError(SchemaError):
    """The model in graph/schema.py contradicts itself."""


class UnknownLabelError(SchemaError):
    def __init__(self, label: str) -> None:
        super().__init__(f"unknown node label {label!r}")
        self.label = label


class UnknownRelationshipTypeError(SchemaError):
    def __init__(self, rel_type: str, detail: str = "") -> None:
        msg = f"{rel_type}: {detail}" if detail else f"unknown relationship type {rel_type!r}"
        super().__init__(msg)
        self.rel_type = rel_type


class InvalidWriteError(CkbError):
    """A row handed to the store cannot be stored (missing key, unstorable value ...)."""


class StoreError(CkbError):
    """The store cannot serve the request."""


class StoreConfigError(StoreError):
    """CKB_GRAPH (or a related setting) is malformed."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached or refused the credentials."""


class StoreConflictError(StoreError):
    """A transaction lost a conflict with a concurrent one (a Neo4j deadlock) and was
    rolled back: running it again is safe."""


class StoreLockedError(StoreError):
    """Another process held the embedded store's write lock past the busy timeout."""


class StoreFullError(StoreError):
    """The disk holding the embedded store is full: the transaction under way was rolled
    back, nothing of it kept; what was committed before stays."""


class StoreReadOnlyError(StoreError):
    """The embedded store cannot be written here (a read-only file, folder or file
    system); reading it still works."""


class StoreFormatError(StoreError):
    """The embedded store's file was written by an older design; it names the command that
    converts it."""


class StoreCorruptError(StoreError):
    """The embedded store's file is not a readable ckb store."""


class ProjectionTooLargeError(CkbError):
    """A projection (graph.projection.expand) would pull more nodes than its cap: the
    question asks about too much of the graph at once (ask it with fewer hops)."""
