"""The timer sweep: apply every automatic move that is due, exactly once.

Timers live in rows (``orders.due_kind``/``due_at``; a partial index on ``due_at``). A sweep
claims due rows in batches, one transaction per batch: ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so concurrent sweepers (one per worker) take different batches; on SQLite the
single writer serialises them. Each row is applied in a savepoint through ``move_order`` (the
same compare-and-set people use; the history's ``UNIQUE(entity, from_version)`` makes a
double impossible), so two schedulers, a restart or one broken row never double or block an
effect (see ``ordertrack.services.sweeping``).

An automatic move takes effect at its deadline: the history row's time, the order's
``phase_since`` and the timers that follow count from ``due_at``, and ``applied_at`` keeps
when the sweep actually wrote it (after downtime, the note says both).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, or_, tuple_
from sqlmodel import Session, col, select

from ordertrack.db.engine import session_scope
from ordertrack.db.models import Order
from ordertrack.domain.access import SYSTEM
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.services import process_queue
from ordertrack.services.errors import BadInput
from ordertrack.services.order_moves import move_order, refresh_status
from ordertrack.services.order_views import ENTITY
from ordertrack.services.sweeping import BATCH, BrokenRows, Outcome, apply_row

log = logging.getLogger(__name__)
UNKNOWN_TIMER = "unknown timer {kind!r}"


@dataclass(slots=True)
class SweepResult:
    """What one sweep did."""

    applied: list[int] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A claimed due row."""

    order_id: int
    version: int
    due_kind: str
    due_at: datetime


def due_orders(session: Session, *, now: datetime, limit: int, after: tuple[datetime, int] | None = None,
               waiting: tuple[tuple[int, int], ...] = (), lock: bool = False) -> list[DueTimer]:
    """Orders whose timer is due, oldest first (by ``due_at``, then id).

    Args:
        now: the sweep's time.
        limit: at most this many.
        after: (due_at, id) of the last row this sweep claimed: continue behind it. The index
            scan then starts where the sweep left off instead of walking the rows it (or another
            sweeper) already applied, whose dead index entries PostgreSQL cannot prune while
            other sweepers' transactions are open.
        waiting: (id, version) of broken rows not to retry yet.
        lock: claim them (``FOR UPDATE SKIP LOCKED``: rows another sweeper holds are skipped).
    """
    query = (select(Order.id, Order.version, Order.due_kind, Order.due_at)
             .where(col(Order.due_at) <= now, col(Order.due_kind).is_not(None))
             .order_by(col(Order.due_at), col(Order.id)).limit(limit))
    if after is not None:
        query = query.where(col(Order.due_at) >= after[0],
                            or_(col(Order.due_at) > after[0], col(Order.id) > after[1]))
    if waiting:
        query = query.where(tuple_(Order.id, Order.version).not_in(waiting))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return [DueTimer(*row) for row in session.exec(query).all()]


def _apply(session: Session, timer: DueTimer, *, now: datetime, calendar: BusinessCalendar) -> None:
    """Apply one due timer at its deadline (the caller holds the row and commits)."""
    kind, _, target = timer.due_kind.partition(":")
    effective = min(timer.due_at, now)
    if kind == ENTITY and target:
        move_order(session, principal=SYSTEM, order_id=timer.order_id, target=target,
                   expected_version=timer.version, now=effective, calendar=calendar, automatic=True, applied_at=now)
        process_queue.after_order_move(session, principal=SYSTEM, order_id=timer.order_id, target=target,
                                   now=effective, calendar=calendar)
    elif kind == "status" and target:
        refresh_status(session, order_id=timer.order_id, expected_version=timer.version, now=effective,
                       calendar=calendar, applied_at=now)
    else:
        raise BadInput(UNKNOWN_TIMER.format(kind=timer.due_kind))


def sweep(engine: Engine, *, now: datetime, calendar: BusinessCalendar, batch: int = BATCH) -> SweepResult:
    """Apply every due order timer once, a batch per transaction.

    The sweep walks the due rows once, oldest first; a timer that falls due behind where it
    has got to (a chained move after downtime, a past deadline set meanwhile) waits for the
    next sweep, a second later.

    Args:
        engine: the database.
        now: the sweep's time (from the injected clock).
        calendar: the business calendar.
        batch: how many due rows one transaction claims.

    Raises:
        sqlalchemy.exc.OperationalError and kin: the database does not answer (nothing is
            lost: the uncommitted batch is rolled back and the next sweep retries it).
    """
    result = SweepResult()
    broken = BrokenRows(engine, "orders")
    after: tuple[datetime, int] | None = None  # keyset: each row is claimed once per sweep
    while True:
        applied: list[int] = []
        with session_scope(engine) as session:
            due = due_orders(session, now=now, limit=batch, after=after, waiting=tuple(broken.waiting(now)),
                             lock=True)
            if not due:
                return result
            after = (due[-1].due_at, due[-1].order_id)
            for timer in due:
                outcome = apply_row(session, lambda timer=timer: _apply(session, timer, now=now, calendar=calendar),
                                    broken=broken, row_id=timer.order_id, version=timer.version, now=now,
                                    what=f"timer {timer.due_kind} of order {timer.order_id}")
                if outcome is Outcome.APPLIED:
                    applied.append(timer.order_id)
                elif outcome is Outcome.FAILED:
                    result.failed += 1
                else:  # someone else moved it first, or its lock is taken: retried next sweep
                    result.skipped += 1
        for order_id in applied:
            broken.succeeded(order_id)
        result.applied.extend(applied)
