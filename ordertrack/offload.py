"""Blocking work off the event loop: database transactions and password hashing run in one
bounded thread pool per worker, each call with a deadline.

Why a thread pool and not SQLAlchemy's async engine: every service is synchronous and shared
by three callers (State handlers, the scheduler's sweeps, the REST API, which FastAPI already
runs in threads); SQLite's async driver is a thread per connection anyway; and a hop into the
pool costs ~0.1 ms (``bench/offload.py``), far below a transaction's 2-9 ms. The pool is
bounded (``ORDERTRACK_DB_THREADS``), so a hanging database can occupy at most that many
threads; everything on the event loop (``/ping``, UI-only handlers, live pushes that need no
query) keeps answering.

A call that misses its deadline is *abandoned*: the caller gets ``DatabaseUnavailable`` at once,
and ``db.engine.session_scope`` rolls the abandoned transaction back instead of committing it
when the thread finally gets to run on, so "nothing was changed" stays true.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ordertrack.db.engine import deadline as _deadline
from ordertrack.db.errors import DatabaseUnavailable
from ordertrack.settings import get_settings

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The worker's pool (created on first use, never at import: workers fork after import)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=get_settings().db_threads, thread_name_prefix="ot-db")
    return _pool


def deadline_passed() -> bool:
    """Whether the call running in this thread was abandoned by its caller (past its deadline)."""
    at = _deadline.get()
    return at is not None and time.monotonic() > at


def remaining(default: float) -> float:
    """Seconds left before this thread's deadline (``default`` when it has none)."""
    at = _deadline.get()
    return default if at is None else max(0.0, at - time.monotonic())


async def run(fn: Callable[..., T], /, *args: Any, timeout: float | None = None, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` in the pool with this task's context vars; wait at most
    ``timeout`` seconds (default ``ORDERTRACK_DB_TIMEOUT_SECONDS``).

    Raises:
        DatabaseUnavailable: the call did not finish in time (it is abandoned: a transaction it
            has open is rolled back, not committed).
    """
    limit = get_settings().db_timeout_seconds if timeout is None else timeout
    ctx = contextvars.copy_context()
    ctx.run(_deadline.set, time.monotonic() + limit)
    future = asyncio.get_running_loop().run_in_executor(pool(), functools.partial(ctx.run, fn, *args, **kwargs))
    try:
        return await asyncio.wait_for(future, limit)
    except TimeoutError:
        raise DatabaseUnavailable() from None
