"""EPC identifiers: EPC URNs and GS1 Digital Link URIs reduced to one canonical key.

Pure functions. The canonical key is the GS1 Digital Link form on ``https://id.gs1.org``
(``https://id.gs1.org/01/10614141073464/21/2017``): a URN names its company-prefix length
and converts exactly, and a Digital Link URI on any host keeps its path. Identifiers of
schemes ckb does not know (private URIs, ``urn:epc:id:gid``) are kept as written.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

DL_HOST = "https://id.gs1.org"
_URN = re.compile(r"^urn:epc:(id|idpat|class):([a-z0-9]+):(.+)$", re.IGNORECASE)
_DL_KEY = re.compile(r"/(0[01]|00|414|8003|8004|253|255|401|402|417|8010|8017|8018)/")


def check_digit(body: str) -> str:
    """GS1 mod-10 check digit for a numeric string without it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def _gtin14(prefix: str, item_ref: str) -> str:
    body = item_ref[0] + prefix + item_ref[1:]
    return body + check_digit(body)


@lru_cache(maxsize=1 << 20)  # readers, locations and busy items recur event after event
def canonical_epc(value: str) -> str:  # noqa: PLR0911 - one return per scheme reads best
    """The one key for an identifier, whichever way it was written."""
    text = value.strip()
    urn = _URN.match(text)
    if urn:
        kind, scheme, rest = urn.group(1).lower(), urn.group(2).lower(), urn.group(3)
        parts = rest.split(".")
        if scheme == "sgtin" and kind == "id" and len(parts) == 3:
            return f"{DL_HOST}/01/{_gtin14(parts[0], parts[1])}/21/{parts[2]}"
        if scheme == "sscc" and len(parts) == 2:
            body = parts[1][0] + parts[0] + parts[1][1:]
            return f"{DL_HOST}/00/{body + check_digit(body)}"
        if scheme == "sgln" and len(parts) == 3:
            body = parts[0] + parts[1]
            gln = body + check_digit(body)
            ext = "" if parts[2] in ("0", "") else f"/254/{parts[2]}"
            return f"{DL_HOST}/414/{gln}{ext}"
        if scheme in ("lgtin",) and kind == "class" and len(parts) == 3:
            return f"{DL_HOST}/01/{_gtin14(parts[0], parts[1])}/10/{parts[2]}"
        if scheme == "sgtin" and kind == "idpat" and len(parts) == 3 and parts[2] == "*":
            return f"{DL_HOST}/01/{_gtin14(parts[0], parts[1])}"
        return f"urn:epc:{kind}:{scheme}:{rest}"
    if text.startswith(("http://", "https://")):
        found = _DL_KEY.search(urlsplit(text).path)
        if found:
            path = urlsplit(text).path[found.start() :]
            return f"{DL_HOST}{path.rstrip('/')}"
    return text


@lru_cache(maxsize=1 << 16)  # a shelf's items recur read after read
def gtin_of(key: str) -> str | None:
    """The GTIN-14 of a canonical trade-item key, if it names one."""
    m = re.match(re.escape(DL_HOST) + r"/01/(\d{14})(/|$)", key)
    return m.group(1) if m else None


def serial_of(key: str) -> str | None:
    m = re.search(r"/21/([^/]+)$", key)
    return m.group(1) if m else None
