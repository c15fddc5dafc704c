"""Daily snapshots of the board for time travel (issue 15.1): each order as it stood at the start
of each UTC day of the last 90, so the board as of a moment rebuilds from history only the orders
changed since its day began (``services.time_travel``).

A day's snapshot holds every order open at its start and those closed or canceled in the month
before (they stay in the done column for a month): phase, tracking status, owner, priority and
when it entered its phase, all as of the start of the day, rebuilt from the ``status_change`` rows
(the rebuild ``rows_then`` is the one time travel uses for the orders changed within a day). A
day is built from the day before it that has a snapshot (its rows, less the orders with history
rows in between, plus those rebuilt), or from history alone when there is none; the
``board_snapshot_day`` row marks it complete, in the same transaction.

The sweep (``take_due``) writes the day just begun once it has settled (``SETTLE``: moves
committed a moment after midnight with an earlier time are in it), backfills missing days of the
last 90 and drops older ones; time travel builds a missing day on demand. A history row written
later with an earlier time (a timer applied late, after downtime) makes the snapshots from its
time on wrong: ``forget`` drops them and they are built again. On PostgreSQL a build and a
``forget`` take the same transaction lock (``_serialize``), so a day cannot be built from history
read before a late timer's row and committed after that timer dropped it (SQLite has one writer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, case, delete, func, insert, literal, text, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ordertrack.db.board_models import BoardSnapshot, BoardSnapshotDay
from ordertrack.db.engine import session_scope
from ordertrack.db.models import Order, StatusChange
from ordertrack.db.types import UtcDateTime
from ordertrack.domain.workflows import OrderStatus

HORIZON = timedelta(days=90)  # time travel reaches this far back
SETTLE = timedelta(minutes=5)  # a day's snapshot is written this long after the day began
DONE_PHASES = ("closed", "canceled")
DONE_KEPT = timedelta(days=30)  # closed cards stay on the board this long (board.ON_BOARD_AFTER_DONE)


def day_of(at: datetime) -> datetime:
    """The start of ``at``'s UTC day."""
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def changed_between(start: datetime | None, end: datetime):
    """SQL: the orders with a history row after ``start`` (None: any) up to ``end``, read from
    ``ix_status_change_asof``."""
    query = select(StatusChange.entity_id).where(StatusChange.entity_kind == "order", StatusChange.at <= end)
    return query if start is None else query.where(StatusChange.at > start)


def rows_then(ids, at: datetime, scope=None):
    """SQL: the orders among ``ids`` (a select of order ids, or a condition on the id) created by
    ``at`` and within ``scope`` (a function narrowing a select of ``Order``: today's search,
    customer and tenant), as they stood then: ``oid``, ``phase``, ``status``, ``owner`` and
    ``priority`` (those of the row then: NULL in rows written before they were kept),
    ``recorded`` (they were kept), ``since`` (when it entered its phase), and today's
    ``phase_now``, ``owner_now`` and ``priority_now``.

    Each order's row then is its highest version at or before ``at`` (``ix_status_change_then``,
    read back by its key) and its time in phase starts at its last row up to then that entered a phase (the partial
    ``ix_status_change_entered``): both from the index. An order created after ``at`` has no row
    then and is left out.
    """
    then, prior, entered = aliased(StatusChange), aliased(StatusChange), aliased(StatusChange)
    row = select(prior.id).where(prior.entity_kind == "order", prior.entity_id == Order.id, prior.at <= at).order_by(
        col(prior.from_version).desc()).limit(1).scalar_subquery()
    since = select(func.max(entered.at)).where(
        entered.entity_kind == "order", entered.entity_id == Order.id, entered.at <= at,
        col(entered.from_state).is_(None) | (entered.from_state != entered.to_state)).scalar_subquery()
    # a fence (MATERIALIZED) so that both databases look these up once per order, with what the
    # rest needs of the order today (it is not joined again)
    changed = select(Order.id.label("oid"), row.label("row"), since.label("since"), Order.phase.label("phase_now"),
                     Order.owner_id.label("owner_now"), Order.priority.label("priority_now")).where(
        ids(Order.id) if callable(ids) else col(Order.id).in_(ids), Order.created_at <= at)
    changed = (scope(changed) if scope is not None else changed).cte("changed").prefix_with("MATERIALIZED")
    return select(
        changed.c.oid, then.to_state.label("phase"),
        func.coalesce(then.to_tracking, case((then.to_state == "closed", OrderStatus.CLOSED.value),
                                             (then.to_state == "canceled", OrderStatus.CANCELED.value),
                                             else_=OrderStatus.ON_TRACK.value)).label("status"),
        then.owner_id.label("owner"), then.priority.label("priority"),
        col(then.priority).is_not(None).label("recorded"),
        func.coalesce(changed.c.since, then.at, type_=UtcDateTime()).label("since"),
        changed.c.phase_now, changed.c.owner_now, changed.c.priority_now,
    ).select_from(changed).join(then, then.id == changed.c.row)


_LOCK_KEY = 0x6F74_736E  # pg_advisory_xact_lock key of snapshot writes ("otsn")


def _serialize(session: Session) -> None:
    """Wait for any other transaction building or dropping snapshots (PostgreSQL; held until this
    transaction ends). A build waiting here then reads the history committed meanwhile; a
    ``forget`` waiting here then sees, and drops, the days built meanwhile."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def latest_day(session: Session, at: datetime) -> datetime | None:
    """The latest day with a complete snapshot whose start is at or before ``at``."""
    return session.exec(select(func.max(BoardSnapshotDay.day)).where(BoardSnapshotDay.day <= at)).one()


def build(session: Session, *, day: datetime, now: datetime) -> int | None:
    """Write the snapshot of ``day`` (the start of a UTC day) unless it exists; the number of
    orders in it (None: it existed, or another worker wrote it meanwhile). The caller commits.

    From the latest earlier snapshot: its orders without history rows since, plus the others
    rebuilt; without one, every order rebuilt from history.
    """
    day = day_of(day)
    if session.get(BoardSnapshotDay, day) is not None:
        return None
    _serialize(session)
    if session.exec(select(BoardSnapshotDay.day).where(BoardSnapshotDay.day == day)).first() is not None:
        return None  # built by another transaction while this one waited
    base = session.exec(select(func.max(BoardSnapshotDay.day)).where(BoardSnapshotDay.day < day)).one()
    oldest_done = day - DONE_KEPT
    changed = changed_between(base, day)
    rebuilt = rows_then(changed if base is not None else select(Order.id), day).subquery()
    parts = [select(literal(day, UtcDateTime()), rebuilt.c.oid, rebuilt.c.phase, rebuilt.c.status, rebuilt.c.owner,
                    rebuilt.c.priority, rebuilt.c.recorded, rebuilt.c.since).where(
        col(rebuilt.c.phase).not_in(DONE_PHASES) | (rebuilt.c.since >= literal(oldest_done, UtcDateTime())))]
    if base is not None:
        s = BoardSnapshot
        parts.append(select(literal(day, UtcDateTime()), s.order_id, s.phase, s.status, s.owner_id, s.priority,
                            s.recorded, s.phase_since).where(
            s.day == base, col(s.order_id).not_in(changed),
            col(s.phase).not_in(DONE_PHASES) | (col(s.phase_since) >= oldest_done)))
    try:
        with session.begin_nested():
            session.add(BoardSnapshotDay(day=day, built_at=now, orders=0))
            session.flush()
            n = session.exec(insert(BoardSnapshot).from_select(  # type: ignore[call-overload]
                ["day", "order_id", "phase", "status", "owner_id", "priority", "recorded", "phase_since"],
                union_all(*parts)).execution_options(preserve_rowcount=True)).rowcount  # else -1 (PostgreSQL)
            session.get(BoardSnapshotDay, day).orders = n
            session.flush()
    except IntegrityError:  # another worker wrote this day meanwhile
        return None
    return n


def forget(session: Session, *, since: datetime | None = None) -> None:
    """Drop the snapshots of the days that start at or after ``since`` (None: all), after a
    history row was written with an earlier time than when it was written (they are built again)."""
    _serialize(session)
    for table in (BoardSnapshotDay, BoardSnapshot):
        query = delete(table)
        if since is not None:
            query = query.where(table.day >= since)
        session.exec(query.execution_options(synchronize_session=False))  # type: ignore[call-overload]


def due_days(session: Session, *, now: datetime) -> list[datetime]:
    """The settled days of the last 90 (and the one before, so that a moment 90 days back has its
    day) without a snapshot, oldest first."""
    last = day_of(now - SETTLE)
    first = day_of(now - HORIZON)
    have = set(session.exec(select(BoardSnapshotDay.day).where(BoardSnapshotDay.day >= first)).all())
    days, day = [], first
    while day <= last:
        if day not in have:
            days.append(day)
        day += timedelta(days=1)
    return days


def take_due(engine: Engine, *, now: datetime, batch: int = 100) -> int:
    """The sweep's step: write the snapshots due (at most ``batch`` days, oldest first, each in
    its own transaction) and drop those older than the horizon; the number of days written."""
    with session_scope(engine) as session:
        days = due_days(session, now=now)[:batch]
        session.exec(delete(BoardSnapshot).where(col(BoardSnapshot.day) < day_of(now - HORIZON)))  # type: ignore[call-overload]
        session.exec(delete(BoardSnapshotDay).where(col(BoardSnapshotDay.day) < day_of(now - HORIZON)))  # type: ignore[call-overload]
    written = 0
    for day in days:
        with session_scope(engine) as session:
            written += build(session, day=day, now=now) is not None
    return written


def snapshot_day(session: Session, *, at: datetime, now: datetime) -> datetime | None:
    """The day whose snapshot the board as of ``at`` starts from: ``at``'s own, written now if
    missing and settled; else the latest before it; None when none exists (the caller rebuilds
    every order)."""
    day = day_of(at)
    latest = latest_day(session, at)
    if latest == day:
        return day
    if day + SETTLE <= now and build(session, day=day, now=now) is not None:
        return day
    return latest_day(session, at)

