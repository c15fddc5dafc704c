"""Shared fixtures: a fresh database per test (SQLite always; PostgreSQL when reachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session, SQLModel

from ordertrack.db import models  # noqa: F401  (registers the tables)
from ordertrack.db.engine import make_engine
from ordertrack.domain.calendar import BusinessCalendar

pytest_plugins = ["tests.server_fixtures"]  # the production server and Chromium (browser, security tests)

PG_URL = os.environ.get("ORDERTRACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _pg_reason() -> str | None:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"


_PG_SKIP = _pg_reason()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path) -> Iterator[Engine]:
    """A fresh, empty database with every table: SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        SQLModel.metadata.create_all(eng)
        yield eng
        eng.dispose()
        return
    with scratch_pg() as eng:
        yield eng


@contextmanager
def scratch_pg() -> Iterator[Engine]:
    """An engine on a fresh PostgreSQL schema with every table, dropped afterwards (skips the test
    without PostgreSQL; fails it under CI, which must run them)."""
    if _PG_SKIP:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {_PG_SKIP}")
        pytest.skip(_PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(PG_URL)

    @event.listens_for(eng, "connect")
    def _search_path(dbapi_connection, _record):
        cur = dbapi_connection.cursor()
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_connection.commit()

    try:
        SQLModel.metadata.create_all(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar(tz="Europe/London")
