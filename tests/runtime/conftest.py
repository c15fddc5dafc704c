"""Runtime fixtures: the machine's real PostgreSQL and Redis (skipped locally when absent, a
failure under CI=true), scratch databases, and loopback TCP proxies for fault injection."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import _PG_SKIP, PG_URL

REDIS_URL = os.environ.get("ORDERTRACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reason() -> str | None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"
    finally:
        client.close()


_REDIS_SKIP = _redis_reason()


def require(reason: str | None) -> None:
    """Skip with the reason locally; fail under CI, which must run these tests."""
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this test: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def redis_url() -> str:
    require(_REDIS_SKIP)
    return REDIS_URL


@pytest.fixture(scope="module")
def redis_port() -> int:
    require(_REDIS_SKIP)
    return urlsplit(REDIS_URL).port or 6379


@pytest.fixture(scope="module")
def scratch_pg() -> Iterator[str]:
    """A fresh PostgreSQL database (URL) on the test server, dropped afterwards."""
    require(_PG_SKIP)
    name = f"ot_runtime_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
