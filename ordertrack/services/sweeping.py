"""What every due-row sweep shares: claiming a batch, isolating one broken row, telling a
database outage from a broken row.

The three sweeps (order timers in ``timers``, process tasks in ``process_run.sweep_tasks``,
failure escalations in ``provisioning.escalate_due``) work the same way: one transaction
claims up to ``batch`` due rows (``SELECT ... FOR UPDATE SKIP LOCKED LIMIT n`` on PostgreSQL,
so concurrent sweepers take different batches; SQLite has one writer and ``BEGIN IMMEDIATE``
serialises them), applies each row in a savepoint through the same compare-and-set people
use, and commits once. A row that raises is rolled back to its savepoint and set aside
(``BrokenRows``): logged once, retried after a back-off, never blocking the others. A
database that stops answering is not a broken row: that error aborts the sweep and the
scheduler backs off (``ordertrack.scheduler``).
"""

from __future__ import annotations

import enum
import logging
import weakref
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, tuple_
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ordertrack.db.errors import DatabaseUnavailable
from ordertrack.domain.engine import TransitionRefused
from ordertrack.services.errors import Conflict, ServiceError

log = logging.getLogger(__name__)

BATCH = 25  # rows claimed per transaction: locks held ~0.1 s; see bench/sweep.py --sweepers
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(minutes=10)

# PostgreSQL says "this row, now" rather than "the database": deadlock detected,
# serialization failure, lock not available. The row is retried at the next sweep.
_ROW_CONFLICTS = frozenset({"40P01", "40001", "55P03"})


def is_row_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is a lock conflict on the row being applied (retry it next sweep)."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _ROW_CONFLICTS


def is_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` is a service or engine refusal (bad data, not a bug: no traceback)."""
    return isinstance(exc, ServiceError | TransitionRefused)


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached or does not answer (not a row's fault)."""
    if isinstance(exc, DatabaseUnavailable):
        return True
    if isinstance(exc, DBAPIError) and is_row_conflict(exc):
        return False
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout)


@dataclass(slots=True)
class _Broken:
    version: int
    retry_at: datetime
    failures: int


class BrokenRows:
    """Rows whose effect raised, per database and table: logged once, retried with back-off.

    Process-local by design: each worker logs a broken row once and retries it after 1 min,
    then 2, 4, 8 and at most every 10 min; a row whose version changed (someone moved it) is
    retried at once.
    """

    _per_engine: weakref.WeakKeyDictionary[Engine, dict[tuple[str, int], _Broken]] = weakref.WeakKeyDictionary()

    def __init__(self, engine: Engine, table: str) -> None:
        self._rows = self._per_engine.setdefault(engine, {})
        self._table = table

    def waiting(self, now: datetime) -> list[tuple[int, int]]:
        """(id, version) of this table's broken rows whose retry time has not come."""
        return [(rid, b.version) for (table, rid), b in self._rows.items()
                if table == self._table and b.retry_at > now]

    def failed(self, row_id: int, version: int, now: datetime, exc: BaseException, what: str) -> None:
        """Set a row aside; log it the first time (with the traceback when it is a bug)."""
        key = (self._table, row_id)
        known = self._rows.get(key)
        failures = known.failures + 1 if known is not None and known.version == version else 1
        delay = min(RETRY_FIRST * 2 ** (failures - 1), RETRY_MAX)
        self._rows[key] = _Broken(version=version, retry_at=now + delay, failures=failures)
        if failures > 1:
            log.debug("%s still failing (%d times): %s", what, failures, exc)
        elif is_refusal(exc):
            log.warning("%s skipped: %s (retried in %s)", what, exc, delay)
        else:
            log.error("%s failed; the sweep goes on (retried in %s)", what, delay, exc_info=exc)

    def succeeded(self, row_id: int) -> None:
        """Forget a row that went through."""
        self._rows.pop((self._table, row_id), None)


class Outcome(enum.Enum):
    """What applying one claimed row came to."""

    APPLIED = "applied"
    SKIPPED = "skipped"  # someone changed it first, it no longer has the timer, or its lock is taken
    FAILED = "failed"  # it raised: set aside in ``BrokenRows``


def apply_row(session, apply: Callable[[], bool | None], *, broken: BrokenRows, row_id: int, version: int,
              now: datetime, what: str) -> Outcome:
    """Apply one claimed row in a savepoint, starting from what the database holds now.

    ``apply`` returns False when the row no longer needs it (nothing done). A ``Conflict`` or a
    lock conflict skips the row (the next sweep sees it again); any other error rolls back the
    savepoint and sets the row aside (``broken``).

    Raises:
        the database error, when the database does not answer (the whole batch is rolled back).
    """
    session.expire_all()
    try:
        with session.begin_nested():
            done = apply()
    except Conflict:
        return Outcome.SKIPPED
    except Exception as exc:
        if is_database_unavailable(exc):
            raise
        if is_row_conflict(exc):
            log.info("%s: lock conflict, retried next sweep", what)
            return Outcome.SKIPPED
        broken.failed(row_id, version, now, exc, what)
        return Outcome.FAILED
    return Outcome.SKIPPED if done is False else Outcome.APPLIED


def unclaimed(query, id_column, version_column, *, tried: Collection[int], waiting: Iterable[tuple[int, int]]):
    """``query`` without the rows this sweep has tried and the broken rows still waiting."""
    if tried:
        query = query.where(id_column.not_in(tried))
    if waiting := list(waiting):
        query = query.where(tuple_(id_column, version_column).not_in(waiting))
    return query
