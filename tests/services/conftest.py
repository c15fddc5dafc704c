"""Service-test fixtures beyond tests/conftest.py: a real Redis, and a second "worker" engine."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, text

from ordertrack.db.engine import make_engine

REDIS_URL = os.environ.get("ORDERTRACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reason() -> str | None:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"


_REDIS_SKIP = _redis_reason()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A fresh key prefix on the test Redis (skips locally without Redis, fails under CI);
    every key under it is deleted afterwards."""
    if _REDIS_SKIP:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Redis tests: {_REDIS_SKIP}")
        pytest.skip(_REDIS_SKIP)
    prefix = f"ordertrack-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def worker_engine(engine: Engine) -> Engine:
    """Another engine (own pool, own connections) on the same database, as a second worker
    process would have; on PostgreSQL it uses the same per-test schema."""
    url = engine.url.render_as_string(hide_password=False)
    other = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            search_path = conn.execute(text("SHOW search_path")).scalar_one()

        @event.listens_for(other, "connect")
        def _search_path(dbapi_connection, _record):
            cur = dbapi_connection.cursor()
            cur.execute(f"SET search_path TO {search_path}")
            cur.close()
            dbapi_connection.commit()

    return other
