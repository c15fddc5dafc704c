"""Push changes to every open browser.

Services and the scheduler call ``publish()`` after a commit (from any thread). Every page
that shows live data runs one background watcher per browser tab (``follow``) that waits
for the next change and refreshes its own window of data, so each viewer gets only what it
shows. Across several workers the change is relayed through Redis pub/sub (when Reflex is
configured with a Redis URL).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress

log = logging.getLogger(__name__)
CHANNEL = "ordertrack:changes"

_seq = 0
_loop: asyncio.AbstractEventLoop | None = None
_waiters: set[asyncio.Future] = set()
_redis = None
_lock = threading.Lock()


_published = 0


def current() -> int:
    """The number of changes seen so far in this process."""
    return _seq


def version() -> tuple[int, int]:
    """Changes published by this process and seen by it: a key for caches of shared views."""
    return _published, _seq


_dirty: set[int] | None = set()  # customers whose data changed since ``take_dirty``; None: anything


def _mark(payload: str) -> None:
    global _dirty
    if payload == "*" or _dirty is None:
        _dirty = None
        return
    try:
        _dirty |= {int(part) for part in payload.split(",") if part}
    except ValueError:
        _dirty = None


def take_dirty() -> set[int] | None:
    """The customers changed since the last call (None: possibly anything), and reset."""
    global _dirty
    dirty, _dirty = _dirty, set()
    return dirty


def _wake(payload: str = "*") -> None:
    global _seq
    _mark(payload)
    _seq += 1
    for fut in list(_waiters):
        if not fut.done():
            fut.set_result(_seq)
    _waiters.clear()


def publish(customers: Iterable[int] | None = None) -> None:
    """Tell every watcher (this worker and, through Redis, the others) that data changed.

    Args:
        customers: the customers whose data changed, when the caller knows (live views of
            other tenants are then not recomputed); None: anything may have changed.
    """
    global _published
    _published += 1
    payload = "*" if customers is None else ",".join(str(int(c)) for c in customers) or "*"
    if _redis is not None:
        try:
            _redis.publish(CHANNEL, payload)  # our own relay wakes this worker too
            return
        except Exception:  # a broken relay must never fail the change itself
            log.exception("could not relay a change through Redis")
    loop = _loop
    if loop is not None and not loop.is_closed():
        loop.call_soon_threadsafe(_wake, payload)


async def wait_change(after: int, timeout: float) -> int:
    """Wait until a change newer than ``after`` (or ``timeout`` seconds); the latest number."""
    if _seq > after or _loop is None:
        if _loop is None:
            await asyncio.sleep(timeout)
        return _seq
    fut = asyncio.get_running_loop().create_future()
    _waiters.add(fut)
    try:
        return await asyncio.wait_for(fut, timeout)
    except TimeoutError:
        return _seq
    finally:
        _waiters.discard(fut)


def is_connected(token: str) -> bool:
    """Whether a browser tab with this client token is still connected to this worker."""
    from reflex.utils.prerequisites import get_and_validate_app

    try:
        namespace = get_and_validate_app().app.event_namespace
    except Exception:
        return True
    return namespace is None or token in namespace.token_to_sid


async def follow(
    token: str,
    refresh: Callable[[], Awaitable[bool]],
    *,
    idle_seconds: float = 60.0,
) -> None:
    """Call ``refresh`` after every change until it returns False or the tab disconnects.

    ``refresh`` also runs every ``idle_seconds`` without a change, so words like
    "in phase 2 days" keep up with the clock.
    """
    seen = current()
    while True:
        seen = await wait_change(seen, idle_seconds)
        if not is_connected(token):
            return
        if not await refresh():
            return


async def _relay(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    pubsub = client.pubsub()
    await pubsub.subscribe(CHANNEL)
    try:
        async for message in pubsub.listen():
            if message.get("type") == "message":
                data = message.get("data")
                _wake(data.decode() if isinstance(data, bytes) else str(data or "*"))
    finally:
        with suppress(Exception):
            await pubsub.aclose()
            await client.aclose()


@asynccontextmanager
async def realtime_lifespan():
    """Bind the bus to the server's event loop; relay through Redis when configured."""
    global _loop, _redis
    from reflex.config import get_config

    _loop = asyncio.get_running_loop()
    relay = None
    url = get_config().redis_url
    if url:
        import redis

        _redis = redis.Redis.from_url(url)
        relay = asyncio.create_task(_relay(url))
    from ordertrack import fanout

    pusher = asyncio.create_task(fanout.run())
    try:
        yield
    finally:
        pusher.cancel()
        if relay is not None:
            relay.cancel()
        _loop, _redis = None, None
