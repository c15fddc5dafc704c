"""GET /health (the readiness check): 200 with both dependencies answering, 503 within 3 s
saying which one does not, whether it refuses connections or accepts and never answers; the
check never blocks the event loop and a hung database never piles up checking threads."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from contextlib import suppress

import pytest
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

from ordertrack import health
from ordertrack.db import engine as engine_module
from ordertrack.db.engine import make_engine
from ordertrack.rest import api
from tests.conftest import PG_URL
from tests.runtime.conftest import _PG_SKIP, require
from tests.runtime.tcpproxy import TcpProxy, free_port


@pytest.fixture
def use_database(monkeypatch):
    """Point the app at an engine; afterwards wait for any check still running on it."""
    engines = []

    def use(url: str):
        eng = make_engine(url)
        engines.append(eng)
        monkeypatch.setattr(engine_module, "get_engine", lambda: eng)
        return eng

    yield use
    if health._database_check is not None:
        with suppress(Exception):
            health._database_check.result(timeout=10)
    for eng in engines:
        eng.dispose()
    health._last.clear()


@pytest.fixture
def sqlite_ok(use_database, tmp_path):
    eng = use_database(f"sqlite:///{tmp_path / 'h.db'}")
    SQLModel.metadata.create_all(eng)
    return eng


@pytest.fixture
def client():
    return TestClient(api)


def _timed_get(client, path="/health"):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_healthy_without_redis_says_not_configured(sqlite_ok, client, monkeypatch):
    monkeypatch.setattr(health, "redis_url", lambda: None)
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"database": "ok", "redis": "not configured"}
    assert r.headers["cache-control"] == "no-store"
    assert client.head("/health").status_code == 200  # load balancers probing with HEAD


def test_healthy_on_postgres_and_redis(use_database, client, monkeypatch, redis_url):
    require(_PG_SKIP)
    use_database(PG_URL)
    monkeypatch.setattr(health, "redis_url", lambda: redis_url)
    r = client.get("/health")
    assert (r.status_code, r.json()) == (200, {"database": "ok", "redis": "ok"})


def test_database_refusing_connections_is_503_naming_it(use_database, client, monkeypatch, caplog):
    use_database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing")
    monkeypatch.setattr(health, "redis_url", lambda: None)
    with caplog.at_level("WARNING", logger="ordertrack.health"):
        first, took = _timed_get(client)
        second = client.get("/health")
    assert first.status_code == second.status_code == 503 and took < 3
    assert first.json() == {"database": "unreachable (OperationalError)", "redis": "not configured"}
    failing = [r for r in caplog.records if "database is failing" in r.getMessage()]
    assert len(failing) == 1, "an outage is logged once per process, not once per probe"


@pytest.mark.timeout(60)
def test_database_that_never_answers_is_503_within_3_s_without_piling_up_threads(use_database, client,
                                                                                 monkeypatch):
    blackhole = TcpProxy(target_port=free_port())
    blackhole.hang()
    try:
        use_database(f"postgresql+psycopg://postgres@127.0.0.1:{blackhole.port}/nothing")
        monkeypatch.setattr(health, "redis_url", lambda: None)
        for _ in range(3):
            r, took = _timed_get(client)
            assert r.status_code == 503 and took < 3, (r.status_code, took)
            assert r.json()["database"] != "ok" and r.json()["redis"] == "not configured"
        checking = [t for t in threading.enumerate() if t.name.startswith("health-db")]
        assert len(checking) == 1, "probes while the database hangs wait on the one check in flight"
    finally:
        blackhole.close()


@pytest.mark.timeout(60)
def test_the_check_runs_off_the_event_loop(use_database, monkeypatch):
    """While the database hangs, the loop keeps ticking: a 10 ms ticker is never late by 100 ms."""
    blackhole = TcpProxy(target_port=free_port())
    blackhole.hang()
    try:
        use_database(f"postgresql+psycopg://postgres@127.0.0.1:{blackhole.port}/nothing")

        async def run():
            lags = []

            async def ticker():
                while True:
                    started = time.monotonic()
                    await asyncio.sleep(0.01)
                    lags.append(time.monotonic() - started - 0.01)

            task = asyncio.create_task(ticker())
            healthy, states = await health.check(None)
            task.cancel()
            return healthy, states, max(lags)

        # In its own thread: in the full suite Playwright keeps an event loop running in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            healthy, states, worst = pool.submit(asyncio.run, run()).result(timeout=30)
        # the engine's own connect timeout (2 s) may answer before the check's 2.5 s deadline
        assert not healthy and (states["database"] == health.NOT_ANSWERING
                                or states["database"].startswith("unreachable"))
        assert worst < 0.1, f"the event loop stalled {worst:.3f} s"
    finally:
        blackhole.close()


def test_redis_refusing_is_503_naming_redis(sqlite_ok, client, monkeypatch):
    monkeypatch.setattr(health, "redis_url", lambda: f"redis://127.0.0.1:{free_port()}/0")
    r = client.get("/health")
    assert r.status_code == 503
    assert r.json() == {"database": "ok", "redis": "unreachable (ConnectionError)"}


@pytest.mark.timeout(60)
def test_redis_that_never_answers_is_503_within_3_s(sqlite_ok, client, monkeypatch):
    blackhole = TcpProxy(target_port=free_port())
    blackhole.hang()
    try:
        monkeypatch.setattr(health, "redis_url", lambda: f"redis://127.0.0.1:{blackhole.port}/0")
        r, took = _timed_get(client)
        assert r.status_code == 503 and took < 3
        assert r.json()["database"] == "ok" and r.json()["redis"] != "ok"
    finally:
        blackhole.close()
