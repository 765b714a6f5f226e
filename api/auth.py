"""Who is calling: API keys and JWT bearer tokens mapped to roles.

Four roles (docs/api.md has the full table):

* ``agent`` — call-center and store staff: read customers, record touchpoints, update
  consent, subscribe to changes;
* ``analyst`` — everything an agent reads plus the sensitive profiles (credit, third-party
  data where consent allows), the review queue and data quality; decides reviews, unmerges;
* ``loader`` — integration loaders: push ingest, EPCIS capture, upserts; reads nothing;
* ``admin`` — everything, including national IDs and erasure.

Credentials come from the environment, never from the request: ``CKB_API_KEYS`` holds
``subject:role[+role]:key`` entries (comma-separated), ``CKB_INGEST_TOKENS`` keys that act
as ``loader`` (kept from the first ingest release), ``CKB_JWT_SECRET`` (HS256) with optional
``CKB_JWT_ISSUER`` / ``CKB_JWT_AUDIENCE`` for bearer JWTs whose ``roles`` (or ``role``)
claim names the roles. Keys are kept only as SHA-256 digests and compared in constant time.
A request with an ``Authorization`` header in any other scheme, or a malformed Bearer, is
refused (401), never served as anonymous.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import jwt

from graph.errors import CkbError


class Role(StrEnum):
    AGENT = "agent"
    ANALYST = "analyst"
    LOADER = "loader"
    ADMIN = "admin"


class AuthError(CkbError):
    """Credentials were sent but are not valid (HTTP 401)."""


class AccessDeniedError(CkbError):
    """The caller is known (or anonymous) but lacks the role (HTTP 403)."""


class AuthConfigError(CkbError):
    """The credentials configured in the environment cannot be read."""


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    via: str  # api-key | jwt | anonymous

    def has_any(self, roles: Iterable[Role]) -> bool:
        return Role.ADMIN in self.roles or not self.roles.isdisjoint(roles)

    def require(self, roles: Iterable[Role], what: str) -> None:
        wanted = sorted({*roles, Role.ADMIN})
        if self.has_any(wanted):
            return
        if self.via == "anonymous":
            raise AccessDeniedError(
                f"{what} needs authentication: send Authorization: Bearer <API key or JWT>"
            )
        have = ", ".join(sorted(self.roles)) or "no role"
        raise AccessDeniedError(f"{what} needs role {' or '.join(wanted)}; you have {have}")


ANONYMOUS = Principal("anonymous", frozenset(), "anonymous")
_TOKEN = re.compile(r"[\x21-\x7e]+")  # one token: printable ASCII, no spaces


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _roles(names: Iterable[str], where: str) -> frozenset[Role]:
    try:
        return frozenset(Role(name.strip().lower()) for name in names if name.strip())
    except ValueError:
        raise AuthConfigError(
            f"{where}: unknown role in {list(names)}; roles: {', '.join(Role)}"
        ) from None


@dataclass(frozen=True)
class AuthSettings:
    keys: Mapping[bytes, tuple[str, frozenset[Role]]] = field(default_factory=dict)
    jwt_secret: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.keys) or self.jwt_secret is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthSettings:
        env = os.environ if env is None else env
        keys: dict[bytes, tuple[str, frozenset[Role]]] = {}
        for n, entry in enumerate(env.get("CKB_API_KEYS", "").split(","), start=1):
            if not entry.strip():
                continue
            parts = entry.strip().split(":", 2)
            if len(parts) != 3 or not all(parts):
                raise AuthConfigError(f"CKB_API_KEYS entry {n} should read subject:role[+role]:key")
            subject, roles, key = parts
            keys[_digest(key)] = (subject, _roles(roles.split("+"), f"CKB_API_KEYS entry {n}"))
        for n, token in enumerate(env.get("CKB_INGEST_TOKENS", "").split(","), start=1):
            if token.strip():
                loader = (f"ingest-token-{n}", frozenset({Role.LOADER}))
                keys.setdefault(_digest(token.strip()), loader)
        secret = env.get("CKB_JWT_SECRET") or None
        if secret is not None and len(secret.encode()) < 32:
            raise AuthConfigError("CKB_JWT_SECRET must be at least 32 bytes (RFC 7518 §3.2)")
        return cls(
            keys,
            secret,
            env.get("CKB_JWT_ISSUER") or None,
            env.get("CKB_JWT_AUDIENCE") or None,
        )


def credential(headers: Mapping[str, str]) -> str | None:
    """The key or token a request carries: ``Authorization: Bearer <token>`` or
    ``X-API-Key``; None when it carries neither. An Authorization header in another scheme
    (Basic, Digest ...) or a Bearer without exactly one token is an AuthError (HTTP 401),
    never taken for an anonymous caller."""
    authorization = headers.get("authorization", "").strip()
    if authorization:
        scheme, *rest = authorization.split(maxsplit=1)
        if scheme.lower() != "bearer":
            raise AuthError(
                "only the Bearer scheme is accepted: send Authorization: Bearer <API key or JWT>"
            )
        if not rest or not _TOKEN.fullmatch(rest[0]):
            raise AuthError(
                "malformed Bearer credential: send Authorization: Bearer <API key or JWT> "
                "(one token of printable ASCII, no spaces)"
            )
        return rest[0]
    key = headers.get("x-api-key", "").strip()
    return key or None


def authenticate(token: str | None, settings: AuthSettings) -> Principal:
    """The principal a credential stands for; anonymous without one."""
    if token is None:
        return ANONYMOUS
    digest = _digest(token)
    for known, (subject, roles) in settings.keys.items():
        if hmac.compare_digest(known, digest):
            return Principal(subject, roles, "api-key")
    if settings.jwt_secret is not None and token.count(".") == 2:
        return _from_jwt(token, settings)
    raise AuthError("the API key or token is not valid")


def _from_jwt(token: str, settings: AuthSettings) -> Principal:
    assert settings.jwt_secret is not None
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("the token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"the token is not valid: {exc}") from None
    raw = claims.get("roles", claims.get("role", []))
    names = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    known = {r.value for r in Role}
    roles = frozenset(Role(str(n)) for n in names if str(n) in known)
    if not roles:
        raise AuthError(f"the token names no ckb role; roles: {', '.join(Role)}")
    return Principal(str(claims["sub"]), roles, "jwt")
