"""Rate limits shared by every worker and machine: sign-in lockout, new order-form drafts.

A limiter counts hits per namespaced key (``order-form:addr:1.2.3.4``, ``login:user:alice``,
``login:addr:1.2.3.4``) in a fixed window anchored at the key's first hit; the arithmetic and
the reason for fixed windows are in ``ordertrack/domain/ratelimit.py``. Two stores implement it:

- :class:`RedisLimiter` when Reflex is configured with a Redis URL (``REFLEX_REDIS_URL``): one
  Lua script per hit (Redis runs scripts atomically), one hash per key that expires with its
  window (``PEXPIRE``).
- :class:`DatabaseLimiter` otherwise: one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE ...
  RETURNING`` per hit on the ``rate_limit_counter`` table, atomic on PostgreSQL (the conflicting
  row is locked, the condition re-read) and on SQLite (``BEGIN IMMEDIATE``); rows whose window
  has ended are deleted every few minutes.

Each hit commits on its own, at once, so it counts for every worker before the caller goes on
(e.g. before a password is checked). Time is the caller's ``now`` (the injected clock), never
the store's clock; Redis expiry is relative (the window's remaining length), so a shifted clock
still expires keys after the right duration.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Engine, case, delete, literal, or_, select, update

from ordertrack.db.ratelimit_models import RateLimitCounter
from ordertrack.db.types import UtcDateTime
from ordertrack.domain.ratelimit import Decision, address_key, check_limits

MAX_KEY_LENGTH = 200
REDIS_PREFIX = "ordertrack:ratelimit:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class RateLimiter(Protocol):
    """What the entry points need from a limiter, whatever its store."""

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Decision:
        """Count one hit if the key's window has room; say whether it was admitted."""
        ...

    def refund(self, key: str, *, now: datetime) -> None:
        """Give back one admitted hit of the key's current window."""
        ...

    def reset(self, key: str) -> None:
        """Forget the key (e.g. after a successful sign-in)."""
        ...


def address_bucket(namespace: str, client_ip: str) -> str:
    """The key counting ``namespace`` per client address (IPv6 per /64).

    Args:
        namespace: what is counted, e.g. ``"login"`` or ``"order-form"``.
        client_ip: the address Reflex resolved, honouring ``trusted_proxy_hops``.
    """
    return f"{namespace}:addr:{address_key(client_ip)}"


def account_bucket(namespace: str, username: str) -> str:
    """The key counting ``namespace`` per account name (known or not: both count the same).

    Args:
        namespace: what is counted, e.g. ``"login"``.
        username: the normalised name as typed.
    """
    return f"{namespace}:user:{username}"


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"a rate-limit key is 1 to {MAX_KEY_LENGTH} characters of text")


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (the injected clock)")
    return now.astimezone(UTC)


class DatabaseLimiter:
    """Counters in the ``rate_limit_counter`` table of the given engine's database."""

    def __init__(self, engine: Engine, *, prune_every: timedelta = timedelta(minutes=5)) -> None:
        if engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif engine.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - the app supports these two
            raise ValueError(f"no rate-limit upsert for {engine.dialect.name}")
        self._engine, self._insert, self._prune_every = engine, insert, prune_every
        self._pruned_at: datetime | None = None
        self._prune_lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Decision:
        """Count one hit for ``key`` unless its window is full (one atomic upsert).

        Args:
            key: a namespaced key, e.g. ``login:user:alice``.
            limit: admitted hits per window.
            window: the window's length, from the key's first hit.
            now: the injected current time.

        Returns:
            The decision; a refused hit is not counted.
        """
        _check_key(key)
        check_limits(limit, window)
        now = _aware(now)
        t = RateLimitCounter.__table__
        expired = t.c.reset_at <= literal(now, UtcDateTime())
        new_reset = literal(now + window, UtcDateTime())
        stmt = (
            self._insert(t)
            .values(bucket=key, hits=1, reset_at=now + window)
            .on_conflict_do_update(
                index_elements=[t.c.bucket],
                set_={"hits": case((expired, 1), else_=t.c.hits + 1),
                      "reset_at": case((expired, new_reset), else_=t.c.reset_at)},
                where=or_(expired, t.c.hits < limit),
            )
            .returning(t.c.hits, t.c.reset_at)
        )
        with self._engine.begin() as conn:
            row = conn.execute(stmt).first()
            allowed = row is not None
            if row is None:  # the window is full: the upsert's condition kept the row as it was
                row = conn.execute(select(t.c.hits, t.c.reset_at).where(t.c.bucket == key)).one()
        self._maybe_prune(now)
        return Decision(allowed=allowed, hits=row.hits, reset_at=row.reset_at)

    def refund(self, key: str, *, now: datetime) -> None:
        """Give back one admitted hit of ``key``'s current window (an ended window stays as it is).

        Args:
            key: the key that was hit.
            now: the injected current time.
        """
        _check_key(key)
        t = RateLimitCounter.__table__
        with self._engine.begin() as conn:
            conn.execute(update(t).where(t.c.bucket == key, t.c.reset_at > _aware(now), t.c.hits > 0)
                         .values(hits=t.c.hits - 1))

    def reset(self, key: str) -> None:
        """Forget ``key``.

        Args:
            key: the key to forget.
        """
        _check_key(key)
        t = RateLimitCounter.__table__
        with self._engine.begin() as conn:
            conn.execute(delete(t).where(t.c.bucket == key))

    def prune(self, *, now: datetime) -> int:
        """Delete every counter whose window has ended (through the index on ``reset_at``).

        Args:
            now: the injected current time.

        Returns:
            How many rows were deleted.
        """
        t = RateLimitCounter.__table__
        with self._engine.begin() as conn:
            return conn.execute(delete(t).where(t.c.reset_at <= _aware(now))).rowcount

    def _maybe_prune(self, now: datetime) -> None:
        with self._prune_lock:
            if self._pruned_at is not None and now - self._pruned_at < self._prune_every:
                return
            self._pruned_at = now
        self.prune(now=now)


_HIT_LUA = """
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'hits', 'reset')
local hits, reset = tonumber(state[1]), tonumber(state[2])
if hits == nil or reset == nil or reset <= now then
  hits, reset = 0, now + tonumber(ARGV[2])
end
if hits >= tonumber(ARGV[3]) then
  return {0, hits, reset}
end
hits = hits + 1
redis.call('HSET', KEYS[1], 'hits', hits, 'reset', reset)
redis.call('PEXPIRE', KEYS[1], reset - now)
return {1, hits, reset}
"""

_REFUND_LUA = """
local state = redis.call('HMGET', KEYS[1], 'hits', 'reset')
local hits, reset = tonumber(state[1]), tonumber(state[2])
if hits ~= nil and reset ~= nil and reset > tonumber(ARGV[1]) and hits > 0 then
  redis.call('HINCRBY', KEYS[1], 'hits', -1)
end
return 0
"""


def _ms(moment: datetime) -> int:
    return (_aware(moment) - _EPOCH) // _MS


class RedisLimiter:
    """Counters in Redis: one hash per key (``hits``, ``reset`` in epoch ms), expiring with its window."""

    def __init__(self, client: Any, *, prefix: str = REDIS_PREFIX) -> None:
        self._client, self._prefix = client, prefix
        self._hit = client.register_script(_HIT_LUA)
        self._refund = client.register_script(_REFUND_LUA)

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Decision:
        """Count one hit for ``key`` unless its window is full (one atomic Lua script).

        Args:
            key: a namespaced key, e.g. ``login:user:alice``.
            limit: admitted hits per window.
            window: the window's length, from the key's first hit.
            now: the injected current time.

        Returns:
            The decision; a refused hit is not counted.
        """
        _check_key(key)
        check_limits(limit, window)
        allowed, hits, reset = self._hit(keys=[self._prefix + key],
                                         args=[_ms(now), max(1, window // _MS), limit])
        return Decision(allowed=bool(allowed), hits=int(hits), reset_at=_EPOCH + int(reset) * _MS)

    def refund(self, key: str, *, now: datetime) -> None:
        """Give back one admitted hit of ``key``'s current window.

        Args:
            key: the key that was hit.
            now: the injected current time.
        """
        _check_key(key)
        self._refund(keys=[self._prefix + key], args=[_ms(now)])

    def reset(self, key: str) -> None:
        """Forget ``key``.

        Args:
            key: the key to forget.
        """
        _check_key(key)
        self._client.delete(self._prefix + key)


def redis_client(url: str) -> Any:
    """A Redis client for ``url`` that gives up after 2 s instead of hanging a worker.

    Args:
        url: e.g. ``redis://127.0.0.1:6379/0``.
    """
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


@lru_cache(maxsize=4)
def limiter_for(redis_url: str | None, database_url: str) -> RateLimiter:
    """The limiter for a deployment: Redis when a URL is given, else the database.

    Args:
        redis_url: Reflex's ``redis_url`` (None or empty: no Redis).
        database_url: the app's database, used when there is no Redis.
    """
    if redis_url:
        from ordertrack.settings import get_settings

        return RedisLimiter(redis_client(redis_url), prefix=get_settings().redis_prefix + "ratelimit:")
    from ordertrack.db.engine import engine_for

    return DatabaseLimiter(engine_for(database_url))


def shared_limiter() -> RateLimiter:
    """This process's limiter, shared with every other worker through Redis or the database."""
    from reflex.config import get_config

    from ordertrack.settings import get_settings

    return limiter_for(get_config().redis_url or None, get_settings().database_url)
