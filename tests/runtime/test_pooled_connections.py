"""Pooled PostgreSQL connections: a dead one is replaced before use, a busy one costs no ping."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from ordertrack.db import engine as db_engine
from ordertrack.db.engine import make_engine, session_scope
from tests.conftest import PG_URL, scratch_pg

pytestmark = pytest.mark.postgres


def _backend_pid(eng) -> int:
    with session_scope(eng) as session:
        return session.execute(text("select pg_backend_pid()")).scalar_one()


def _terminate(pid: int) -> None:
    """End a backend from another engine, and wait until it is gone."""
    admin = make_engine(PG_URL)
    try:
        with admin.connect() as conn:
            assert conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
            for _ in range(100):
                if not conn.execute(text("select 1 from pg_stat_activity where pid = :pid"), {"pid": pid}).first():
                    return
                time.sleep(0.05)
        pytest.fail(f"backend {pid} did not end")
    finally:
        admin.dispose()


def test_a_connection_the_server_ended_is_replaced_without_an_error():
    with scratch_pg() as eng:
        first = _backend_pid(eng)
        _terminate(first)
        # pool_pre_ping found this by pinging on every checkout; now the closed socket is
        # noticed without a round trip, and the work runs on a new connection.
        assert _backend_pid(eng) != first


def test_a_connection_used_a_moment_ago_is_not_pinged_and_an_idle_one_is(monkeypatch):
    with scratch_pg() as eng:
        pings = []
        real = eng.dialect.do_ping
        monkeypatch.setattr(eng.dialect, "do_ping", lambda conn: pings.append(1) or real(conn))
        for _ in range(5):
            _backend_pid(eng)
        assert pings == []
        monkeypatch.setattr(db_engine, "PING_IDLE_SECONDS", 0.0)
        time.sleep(0.01)
        _backend_pid(eng)
        assert pings == [1]
