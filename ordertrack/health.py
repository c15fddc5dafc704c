"""Readiness check: ``GET /health`` says whether this instance reaches its database and Redis.

``/ping`` (Reflex) stays the liveness probe: it answers as long as the worker's event loop
runs. ``/health`` is for load balancers and monitoring: 200 with
``{"database": "ok", "redis": "ok" | "not configured"}`` when every dependency answers, 503 with
the same keys, the failing one saying why, when one does not.

The answer comes within ``CHECK_SECONDS`` (plus a little) whatever the database or Redis do:
the database is asked from a one-thread pool, off the event loop, and awaited with a timeout.
While a check hangs (a database that accepts connections but never answers), later requests
wait on that same check instead of starting new ones, so a hung database never piles up
threads. Redis is asked with its async client under the same timeout. A change of state
(ok -> failing, failing -> ok) is logged once per process, not once per probe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading

from sqlalchemy import text

from ordertrack.db import engine as db_engine

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.5
OK = "ok"
NOT_CONFIGURED = "not configured"
NOT_ANSWERING = "not answering (no reply within 2.5 s)"
UNREACHABLE = "unreachable ({error})"

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-db")
_lock = threading.Lock()
_database_check: concurrent.futures.Future | None = None
_last: dict[str, str] = {}


def redis_url() -> str | None:
    """Reflex's Redis (``REFLEX_REDIS_URL``), or None when it keeps state in memory or on disk."""
    from reflex.config import get_config

    return get_config().redis_url


def _ask_database() -> None:
    with db_engine.get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def _running_database_check() -> concurrent.futures.Future:
    """The database check in flight, or a new one when none is."""
    global _database_check
    with _lock:
        if _database_check is None or _database_check.done():
            _database_check = _pool.submit(_ask_database)
        return _database_check


def _brief(exc: BaseException) -> str:
    """The first line of an error, for the log (never the whole traceback)."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:200]}"


async def check_database() -> tuple[str, str]:
    """The database's state and, when it fails, the detail for the log."""
    check = _running_database_check()
    try:
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(check)), CHECK_SECONDS)
    except TimeoutError:
        return NOT_ANSWERING, NOT_ANSWERING
    except Exception as exc:  # any failure to reach it: the kind goes to the body, details to the log
        return UNREACHABLE.format(error=type(exc).__name__), _brief(exc)
    return OK, ""


async def check_redis(url: str | None) -> tuple[str, str]:
    """Redis's state ("not configured" without a URL) and, when it fails, the detail for the log."""
    if not url:
        return NOT_CONFIGURED, ""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url, socket_connect_timeout=CHECK_SECONDS, socket_timeout=CHECK_SECONDS)
    try:
        await asyncio.wait_for(client.ping(), CHECK_SECONDS)
    except TimeoutError:
        return NOT_ANSWERING, NOT_ANSWERING
    except Exception as exc:
        return UNREACHABLE.format(error=type(exc).__name__), _brief(exc)
    finally:
        try:
            await asyncio.wait_for(client.aclose(), 0.5)
        except Exception:  # closing a broken connection may fail too; the answer is already known
            pass
    return OK, ""


def _note(name: str, state: str, detail: str) -> None:
    before = _last.get(name, OK)
    _last[name] = state
    if state not in (OK, NOT_CONFIGURED) and before in (OK, NOT_CONFIGURED):
        log.warning("health: %s is failing: %s", name, detail)
    elif state in (OK, NOT_CONFIGURED) and before not in (OK, NOT_CONFIGURED):
        log.warning("health: %s answers again", name)


async def check(redis_url: str | None) -> tuple[bool, dict[str, str]]:
    """Ask the database and Redis at once; whether all answered, and each one's state."""
    (db, db_detail), (rd, rd_detail) = await asyncio.gather(check_database(), check_redis(redis_url))
    _note("database", db, db_detail)
    _note("redis", rd, rd_detail)
    healthy = db == OK and rd in (OK, NOT_CONFIGURED)
    return healthy, {"database": db, "redis": rd}
