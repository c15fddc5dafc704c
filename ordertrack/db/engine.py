"""Engine and session factory, with a bounded wait everywhere.

SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` (one writer at a time per process, in
the order they asked, through a lock instead of SQLite's sleeping busy handler). PostgreSQL
gets a connect timeout, a statement and lock timeout, and a bounded wait for a pooled
connection. A transaction that fails for want of a database raises ``DatabaseUnavailable`` (one
log line, no traceback); one whose caller gave up (``deadline``) is rolled back, not committed.
"""

from __future__ import annotations

import contextvars
import logging
import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, event, exc
from sqlmodel import Session, create_engine

from ordertrack.db.errors import DatabaseUnavailable
from ordertrack.settings import get_settings

log = logging.getLogger(__name__)

deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("ordertrack_db_deadline", default=None)
"""``time.monotonic()`` after which the caller of this thread's work has given up (see ``offload``)."""
_report: contextvars.ContextVar[bool] = contextvars.ContextVar("ordertrack_db_report", default=True)


@contextmanager
def unreported() -> Iterator[None]:
    """Let the caller log an outage itself (the sweep logs one line per outage, not per try)."""
    token = _report.set(False)
    try:
        yield
    finally:
        _report.reset(token)


def _unavailable(error: BaseException) -> DatabaseUnavailable:
    reason = _reason(error)
    if _report.get():
        log.warning("database unavailable: %s", reason)
    return DatabaseUnavailable(reason=reason)

_sqlite_writer = threading.RLock()


PING_IDLE_SECONDS = 30.0
"""A pooled server connection idle longer than this is pinged before use (one round trip)."""


def _check_on_checkout(engine: Engine) -> None:
    """Make sure a pooled server connection is alive before it is handed out, without a round
    trip for one that was in use a moment ago.

    ``pool_pre_ping`` pings on every checkout: one round trip of a move's ten on PostgreSQL.
    Instead, a connection whose socket has something to read while idle (the server said
    goodbye: restart, ``pg_terminate_backend``, idle timeout) is replaced at once, and one idle
    longer than ``PING_IDLE_SECONDS`` (a network path may have gone silently) is pinged. Raising
    ``DisconnectionError`` here makes the pool throw the connection away and hand out a new one.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record) -> None:
        record.info["ot_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.pop("ot_idle_since", None)
        if idle_since is None:  # just connected
            return
        has_input = _has_input(dbapi_connection)
        if has_input:
            raise exc.DisconnectionError("the server closed this connection while it was idle")
        if has_input is None or time.monotonic() - idle_since > PING_IDLE_SECONDS:
            try:
                alive = engine.dialect.do_ping(dbapi_connection)
            except Exception as error:
                raise exc.DisconnectionError(f"ping failed: {error}") from error
            if not alive:
                raise exc.DisconnectionError("ping failed")


def _has_input(dbapi_connection) -> bool | None:
    """Whether an idle connection's socket is readable (a healthy idle one has nothing to read);
    None when the driver shows no socket."""
    if getattr(dbapi_connection, "closed", False):
        return True
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # no socket to look at
        return None
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the timeouts of the settings.

    On SQLite every transaction starts ``BEGIN IMMEDIATE``: immediate transactions take the
    write lock up front, so two writers queue instead of failing with "database is locked"
    when a read upgrades to a write.
    """
    settings = get_settings()
    timeout = settings.db_timeout_seconds
    if not url.startswith("sqlite"):
        statement_ms = settings.db_statement_timeout_ms
        connect_args = {"connect_timeout": max(1, int(timeout * 0.6))}
        if url.startswith("postgresql"):
            connect_args["options"] = (
                f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms}"
                " -c idle_in_transaction_session_timeout=60000"
            )
            connect_args["tcp_user_timeout"] = int(timeout * 1000)
        engine = create_engine(url, pool_timeout=timeout * 0.6, connect_args=connect_args)
        _check_on_checkout(engine)
        return engine
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine per URL per process."""
    return make_engine(url)


def get_engine() -> Engine:
    """The engine of the configured database."""
    return engine_for(get_settings().database_url)


def _abandoned() -> bool:
    at = deadline.get()
    return at is not None and time.monotonic() > at


# SQLite reports these as OperationalError when it cannot be used right now; its other
# OperationalErrors ("no such table") are bugs and keep their traceback.
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error", "database is busy")


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or did not answer in time
    (as opposed to a bug or a constraint violation)."""
    if isinstance(error, DatabaseUnavailable | exc.TimeoutError):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        return any(marker in str(error.orig).lower() for marker in _SQLITE_UNAVAILABLE)
    return True  # PostgreSQL: refused, dropped, timed out, or rolled back (deadlock): nothing was kept


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:200]


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error.

    Raises:
        DatabaseUnavailable: the database refused, timed out, or the caller gave up waiting
            (then the transaction is rolled back even if the work finished).
    """
    engine = engine or get_engine()
    lock = _sqlite_writer if engine.dialect.name == "sqlite" else None
    if lock is not None:
        wait = deadline.get()
        budget = get_settings().db_timeout_seconds if wait is None else wait - time.monotonic()
        if budget <= 0 or not lock.acquire(timeout=budget):
            raise _unavailable(TimeoutError("waited too long for the SQLite write lock"))
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                if _abandoned():
                    raise DatabaseUnavailable()
                session.commit()
            except BaseException as error:
                session.rollback()
                if isinstance(error, DatabaseUnavailable):
                    raise
                if unavailable(error):
                    raise _unavailable(error) from None
                raise
    except exc.DBAPIError as error:  # the rollback itself, or closing, could not reach the database
        if not unavailable(error):
            raise
        raise _unavailable(error) from None
    finally:
        if lock is not None:
            lock.release()
