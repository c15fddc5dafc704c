"""Sessions: the cookie that carries a session secret, and the principal a secret stands for,
confirmed against the database and cached for a few seconds per worker."""

from __future__ import annotations

import hashlib
import time
from http.cookies import CookieError, SimpleCookie

from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.domain.access import Principal
from ordertrack.services import accounts

COOKIE = "ot_session"


def secret_from_cookie_header(header: str | None) -> str:
    """The session secret in a raw ``Cookie`` header ("" when there is none)."""
    if not header or len(header) > 8192:
        return ""
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return ""
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else ""

CACHE_SECONDS = 5.0
_principals: dict[str, tuple[float, Principal]] = {}  # sha256(secret) -> (checked at, principal)


def hash_of(secret: str) -> str:
    """The SHA-256 of a secret (what caches and grants keep instead of the secret)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def cached(secret: str, *, max_age: float = CACHE_SECONDS) -> Principal | None:
    """The principal of ``secret`` if this worker confirmed it within ``max_age`` seconds."""
    if not secret:
        return None
    hit = _principals.get(hash_of(secret))
    if hit is None or time.monotonic() - hit[0] > max_age:
        return None
    return hit[1]


def forget(secret: str) -> None:
    """Drop a session from this worker's cache (sign-out)."""
    if secret:
        _principals.pop(hash_of(secret), None)


def resolve(secret: str) -> Principal | None:
    """The principal of a session secret (blocking: run it off the event loop).

    A confirmed session is trusted for ``CACHE_SECONDS`` on this worker, so a burst of
    events costs one query; a sign-out on this worker forgets it at once, one on another
    worker (or an expiry or deactivation) takes effect within those seconds.
    """
    if (hit := cached(secret)) is not None:
        return hit
    with session_scope() as session:
        principal = accounts.resolve(session, secret=secret, now=get_clock().now())
    if principal is not None:
        if len(_principals) > 10_000:
            _principals.clear()
        _principals[hash_of(secret)] = (time.monotonic(), principal)
    else:
        forget(secret)
    return principal
