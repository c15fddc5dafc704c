"""The change bus: "data changed" signals within a worker, and between workers over Redis.

Handlers, the REST API and the scheduler call ``publish()`` after a commit (from any thread,
never blocking); live views (``fanout``) and per-tab watchers (``watch``) wait for the next
change with ``wait_change``. Across several workers the ``Relay`` carries changes through
Redis pub/sub (when Reflex is configured with a Redis URL) and survives its outages.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress

log = logging.getLogger(__name__)
CHANNEL = "changes"  # under ORDERTRACK_REDIS_PREFIX: deployments sharing a Redis stay apart

_seq = 0
_loop: asyncio.AbstractEventLoop | None = None
_waiters: set[asyncio.Future] = set()
_relay: Relay | None = None


_published = 0


def current() -> int:
    """The number of changes seen so far in this process."""
    return _seq


def version() -> tuple[int, int]:
    """Changes published by this process and seen by it: a key for caches of shared views."""
    return _published, _seq


_dirty: set[int] | None = set()  # customers whose data changed since ``take_dirty``; None: anything
# (change number, its customers, its orders); None: possibly anything
_recent: deque[tuple[int, frozenset[int] | None, frozenset[int] | None]] = deque(maxlen=256)


def _ids(part: str) -> frozenset[int] | None:
    try:
        return frozenset(int(number) for number in part.split(",") if number)
    except ValueError:
        return None


def _customers(payload: str) -> frozenset[int] | None:
    """The customers a change's payload ("3,4" or "3,4;17": customers; orders) names (None:
    possibly anything)."""
    return None if payload == "*" else _ids(payload.partition(";")[0])


def _orders(payload: str) -> frozenset[int] | None:
    """The orders a change's payload names (None: not named, possibly any of its customers')."""
    customers, named, orders = payload.partition(";")
    return _ids(orders) if named and customers != "*" else None


def _mark(payload: str) -> None:
    global _dirty
    customers = _customers(payload)
    _recent.append((_seq + 1, customers, None if customers is None else _orders(payload)))
    if customers is None or _dirty is None:
        _dirty = None
        return
    _dirty |= customers


def _named_since(seen: int, field: int) -> frozenset[int] | None:
    """The union of ``_recent``'s ``field`` (1: customers, 2: orders) over the changes after
    ``seen``; None when one of them did not name them or ``seen`` is too long ago to tell."""
    if seen >= _seq:
        return frozenset()
    if not _recent or _recent[0][0] > seen + 1:
        return None
    out: set[int] = set()
    for change in _recent:
        if change[0] > seen:
            if change[field] is None:
                return None
            out |= change[field]
    return frozenset(out)


def changed_since(seen: int) -> frozenset[int] | None:
    """The customers whose data changed after change number ``seen`` (None: possibly anything,
    or too long ago to tell)."""
    return _named_since(seen, 1)


def orders_changed_since(seen: int) -> frozenset[int] | None:
    """The orders changed after change number ``seen`` when every change since named its orders
    (None: some did not, or too long ago to tell)."""
    return _named_since(seen, 2)


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


def publish(customers: Iterable[int] | None = None, orders: Iterable[int] | None = None) -> None:
    """Tell every watcher (this worker at once and, through Redis, the others) that data changed.

    Callable from any thread; never blocks and never fails the change that calls it.

    Args:
        customers: the customers whose data changed, when the caller knows (live views of
            other tenants are then not recomputed); None: anything may have changed.
        orders: with ``customers``, when the change is only to these orders of theirs (an
            order's page then skips other orders' changes); None: anything of theirs.
    """
    global _published
    _published += 1
    payload = "*" if customers is None else ",".join(str(int(c)) for c in customers) or "*"
    if payload != "*" and orders is not None:
        payload += ";" + ",".join(str(int(o)) for o in orders)
    loop = _loop
    if loop is not None and not loop.is_closed():
        loop.call_soon_threadsafe(_publish_here, payload)


def _publish_here(payload: str) -> None:
    _wake(payload)  # this worker's watchers never depend on the relay
    if _relay is not None:
        _relay.send(payload)


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


async def follow(token: str, refresh: Callable[[int | None], Awaitable[bool]], *, idle_seconds: float = 60.0) -> None:
    """Call ``refresh(since)`` after every change (``since``: the change number seen before it,
    for ``changed_since``/``orders_changed_since``) until it returns False or the tab disconnects.

    ``refresh(None)`` also runs every ``idle_seconds`` without a change, so words like
    "in phase 2 days" keep up with the clock. Whether a change concerns the tab is for
    ``refresh`` to decide, under the tab's state lock (``watch``): only there does it read the
    ids the tab shows now.
    """
    seen = current()
    while True:
        before, seen = seen, await wait_change(seen, idle_seconds)
        if not is_connected(token):
            return
        if not await refresh(None if seen == before else before):
            return


class Relay:
    """Carries changes between workers over Redis pub/sub and survives Redis outages.

    Each message is ``"<origin>|<payload>"``; a worker ignores its own (it woke its watchers
    when it published). A lost connection is re-made with back-off (0.5 s doubling to 3 s),
    logged once when it is lost and once when it is back; on reconnecting, the relay tells the
    others "anything may have changed", since what was published during the outage is gone.
    """

    BACKOFF_MAX = 3.0
    PING_SECONDS = 5.0

    def __init__(self, url: str, *, origin: str, wake: Callable[[str], None], prefix: str = "ordertrack:") -> None:
        self.url, self.origin, self.wake = url, origin, wake
        self.channel = prefix + CHANNEL
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self.connected = asyncio.Event()
        self.outages = 0

    def send(self, payload: str) -> None:
        """Relay a change to the other workers (dropped while Redis is away)."""
        if self.connected.is_set():
            with suppress(asyncio.QueueFull):
                self.queue.put_nowait(payload)

    async def run(self) -> None:
        """Relay until cancelled."""
        import redis.asyncio as aioredis

        backoff, lost_at = 0.5, None
        loop = asyncio.get_running_loop()
        while True:
            client = aioredis.from_url(self.url, socket_connect_timeout=2)
            try:
                pubsub = client.pubsub()
                await pubsub.subscribe(self.channel)
                while not self.queue.empty():
                    self.queue.get_nowait()
                self.connected.set()
                if lost_at is not None:
                    log.warning("change relay: Redis is back after %.0f s; live pushes across workers resume",
                                loop.time() - lost_at)
                    await client.publish(self.channel, f"{self.origin}|*")
                    lost_at = None
                backoff = 0.5
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._listen(pubsub))
                    group.create_task(self._forward(client))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure means: reconnect
                self.connected.clear()
                if lost_at is None:
                    lost_at = loop.time()
                    self.outages += 1
                    cause = error.exceptions[0] if isinstance(error, ExceptionGroup) else error
                    log.warning("change relay: lost Redis (%s: %s); this worker still pushes its own changes, "
                                "retrying with back-off", type(cause).__name__, cause)
            finally:
                self.connected.clear()
                with suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.BACKOFF_MAX)

    async def _listen(self, pubsub) -> None:
        loop = asyncio.get_running_loop()
        last_seen = next_ping = loop.time()
        while True:
            message = await pubsub.get_message(timeout=1.0)
            now = loop.time()
            if message is not None:
                last_seen = now
                if message.get("type") == "message":
                    data = message.get("data")
                    text = data.decode() if isinstance(data, bytes) else str(data or "")
                    origin, _, payload = text.partition("|")
                    if origin != self.origin:
                        self.wake(payload or "*")
            if now >= next_ping:
                await pubsub.ping()
                next_ping = now + self.PING_SECONDS
            if now - last_seen > 3 * self.PING_SECONDS:
                raise ConnectionError("no answer from Redis")

    async def _forward(self, client) -> None:
        while True:
            payload = await self.queue.get()
            await client.publish(self.channel, f"{self.origin}|{payload}")


def bind(loop: asyncio.AbstractEventLoop, redis_url: str | None) -> asyncio.Task | None:
    """Attach the bus to the server's event loop; with a Redis URL, start the relay (its task)."""
    global _loop, _relay
    _loop = loop
    if not redis_url:
        return None
    from ordertrack.settings import get_settings

    _relay = Relay(redis_url, origin=uuid.uuid4().hex, wake=_wake, prefix=get_settings().redis_prefix)
    return loop.create_task(_relay.run())


def unbind() -> None:
    """Detach the bus (the server is stopping)."""
    global _loop, _relay
    _loop, _relay = None, None
