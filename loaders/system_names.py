"""Source-system names: what a system sending records may be called.

A system name becomes part of keys (``<system>:<source record ID>``), of provenance and
of file names (push ingest's ``ingest.<system>.<kind>.rejects.jsonl``), so every entrance
(``ckb load --source``, ``POST /ingest/{kind}?source=``, the GraphQL mutations) holds it
to one small character set: 1 to 64 of lower-case ASCII letters, digits, ``_``, ``.``
and ``-``, starting with a letter or a digit. No slash, no colon, no ``..`` on its own,
no space: a name can neither leave a directory nor split a key.
"""

from __future__ import annotations

import re

from graph.errors import CkbError

SYSTEM_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
RULE = "1 to 64 of a-z 0-9 _ . - starting with a letter or digit, e.g. billing or crm-eu"


class SystemNameError(CkbError):
    """A source-system name outside the documented character set."""


def check_system_name(name: str) -> str:
    """``name`` when it is a valid source-system name; SystemNameError otherwise."""
    if SYSTEM_NAME.fullmatch(name):
        return name
    shown = name if len(name) <= 80 else f"{name[:77]}..."
    raise SystemNameError(f"source system {shown!r} is not a valid name: use {RULE}")
