"""The timer sweep: apply every automatic move that is due, exactly once.

Timers live in rows (``orders.due_kind``/``due_at``; a partial index on ``due_at``). The sweep reads
due rows in batches and applies each through ``move_order`` (the same compare-and-set the
people use) in a transaction of its own, so two schedulers, a restart or one broken row
never double or block an effect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ordertrack.db.engine import session_scope
from ordertrack.db.models import Order
from ordertrack.domain.access import SYSTEM
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.engine import TransitionRefused
from ordertrack.services import processes
from ordertrack.services.errors import ServiceError
from ordertrack.services.orders import ENTITY, move_order, refresh_status

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SweepResult:
    """What one sweep did."""

    applied: list[int] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0


def due_orders(session: Session, *, now: datetime, limit: int) -> list[tuple[int, int, str]]:
    """(id, version, due_kind) of orders whose timer is due, oldest first."""
    rows = session.exec(
        select(Order.id, Order.version, Order.due_kind)
        .where(col(Order.due_at) <= now, col(Order.due_kind).is_not(None))
        .order_by(col(Order.due_at))
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def sweep(engine: Engine, *, now: datetime, calendar: BusinessCalendar, batch: int = 500) -> SweepResult:
    """Apply every due order timer once.

    Args:
        engine: the database.
        now: the sweep's time (from the injected clock).
        calendar: the business calendar.
        batch: how many due rows to read per round.
    """
    result = SweepResult()
    seen: set[tuple[int, int]] = set()
    while True:
        with Session(engine) as session:
            due = [d for d in due_orders(session, now=now, limit=batch + len(seen)) if (d[0], d[1]) not in seen]
        if not due:
            return result
        for order_id, version, due_kind in due:
            seen.add((order_id, version))
            kind, _, target = (due_kind or "").partition(":")
            if kind not in (ENTITY, "status") or not target:
                log.error("order %s has an unknown timer %r", order_id, due_kind)
                result.failed += 1
                continue
            try:
                with session_scope(engine) as session:
                    locked = session.exec(
                        select(Order.id)
                        .where(Order.id == order_id, Order.version == version)
                        .with_for_update(skip_locked=True)
                    ).first()
                    if locked is None:
                        result.skipped += 1
                        continue
                    if kind == ENTITY:
                        move_order(session, principal=SYSTEM, order_id=order_id, target=target,
                                   expected_version=version, now=now, calendar=calendar, automatic=True)
                        processes.after_order_move(session, principal=SYSTEM, order_id=order_id, target=target,
                                                   now=now, calendar=calendar)
                    else:
                        refresh_status(session, order_id=order_id, expected_version=version, now=now,
                                       calendar=calendar)
                result.applied.append(order_id)
            except (ServiceError, TransitionRefused) as exc:
                log.info("timer of order %s skipped: %s", order_id, exc)
                result.skipped += 1
            except Exception:  # one broken row never blocks the sweep
                log.exception("timer of order %s failed", order_id)
                result.failed += 1
