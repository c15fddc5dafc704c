"""Rate-limit arithmetic: a fixed window per key, anchored at the key's first hit.

The rule, which every store implements the same way (``ordertrack/services/ratelimit.py``:
one SQL ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the database, one Lua script on
Redis), is :func:`hit` below; :func:`refund` gives one admitted hit back.

Why a fixed window and not a sliding one: a fixed window is ONE counter and one deadline per
key, so a store can decide and count in a single atomic statement whatever the number of
workers, keeps one small row (or Redis hash) per key however much traffic comes, and tells the
refused caller exactly when they may retry (the window's end, which is what a lockout message
shows). A sliding log needs a row per hit and a lock per key; a sliding counter is an estimate.
The price is the boundary: a caller who saves up can get up to ``2 * limit`` hits through in
a short span across the end of one window and the start of the next; over any longer period
the rate stays at ``limit`` per ``window``. Windows start at the key's first hit (not at the
top of the hour), so that span is not at the same moment for everyone.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Counter:
    """What a store keeps per key: hits admitted in the current window and its end."""

    hits: int
    reset_at: datetime


@dataclass(frozen=True)
class Decision:
    """The answer to one hit.

    ``allowed``: the hit was admitted (and counted). ``hits``: admitted hits in the window
    after this one. ``reset_at``: when the window ends; a refused caller may retry then.
    """

    allowed: bool
    hits: int
    reset_at: datetime


def check_limits(limit: int, window: timedelta) -> None:
    """Refuse nonsense limits early.

    Args:
        limit: admitted hits per window; at least 1.
        window: the window's length; at least one millisecond.

    Raises:
        ValueError: when either is out of range.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a whole number of at least 1, not {limit!r}")
    if window < timedelta(milliseconds=1):
        raise ValueError(f"window must be at least 1 ms, not {window!r}")


def hit(counter: Counter | None, *, limit: int, window: timedelta, now: datetime) -> tuple[Counter, Decision]:
    """Count one hit against ``counter`` if the window has room.

    Args:
        counter: the key's stored counter, or None when the store has none.
        limit: admitted hits per window.
        window: the window's length, counted from the first hit after the previous window ended.
        now: the injected current time.

    Returns:
        The counter to store and the decision. A refused hit leaves the counter as it was.
    """
    check_limits(limit, window)
    if counter is None or counter.reset_at <= now:
        counter = Counter(hits=0, reset_at=now + window)
    if counter.hits >= limit:
        return counter, Decision(allowed=False, hits=counter.hits, reset_at=counter.reset_at)
    counter = Counter(hits=counter.hits + 1, reset_at=counter.reset_at)
    return counter, Decision(allowed=True, hits=counter.hits, reset_at=counter.reset_at)


def refund(counter: Counter | None, *, now: datetime) -> Counter | None:
    """Give back one admitted hit (e.g. a sign-in that turned out to be right).

    Args:
        counter: the key's stored counter, or None.
        now: the injected current time.

    Returns:
        The counter to store (None: nothing stored). A window that has ended is left alone.
    """
    if counter is None or counter.reset_at <= now or counter.hits <= 0:
        return counter
    return Counter(hits=counter.hits - 1, reset_at=counter.reset_at)


def address_key(client_ip: str) -> str:
    """The part of a client address that a limit counts: IPv4 as is, IPv6 by its /64.

    One IPv6 subscriber usually holds a whole /64, so counting single IPv6 addresses would
    give them billions of budgets. IPv4-mapped IPv6 addresses count as their IPv4 address.

    Args:
        client_ip: the address Reflex resolved (``router.session.client_ip``).

    Returns:
        A short, canonical text; "unknown" for an empty or unparsable address.
    """
    try:
        address = ipaddress.ip_address((client_ip or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def minutes_until(when: datetime, now: datetime) -> int:
    """Whole minutes from ``now`` until ``when``, rounded up (at least 1).

    Args:
        when: a later moment (e.g. a lockout's end).
        now: the injected current time.
    """
    return max(1, math.ceil((when - now).total_seconds() / 60))
