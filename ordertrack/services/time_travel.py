"""Time travel on the board (issue 15.1): the board as it stood at a past moment, rebuilt from
the daily board snapshots and the history rows, and what changed since.

Every move and change of an order writes a ``status_change`` row (``order_moves._apply``) with the
phase, tracking status, owner and priority from that version on; ``board_snapshots`` keeps each
order as it stood at the start of each UTC day of the last 90 (written by the sweep, or here when
missing). The board as of ``at`` starts from the snapshot of ``at``'s day: its orders without a
history row between the day's start and ``at`` stood then as at the start of the day, and are
counted and windowed from the snapshot's index (``ix_board_snapshot_window``) like the live
board; the others, at most a day's changes, are rebuilt from their rows, counted and windowed in
one statement (``board_snapshots.rows_then``: each one's row then and phase entry from
``ix_status_change_then`` and ``ix_status_change_entered``). So the cost no longer grows with the
time since the moment. Without any snapshot (none settled yet) every order is rebuilt. Rows
written before owner and priority were kept fall back to the order's present values; orders
created later are not there.

The statements are built once per viewer scope, filters and windows, the moment a parameter (their
construction cost as much as running them). On PostgreSQL the orders changed within the day are
read once and passed as an array (its planner otherwise hashes every order); SQLite's plans for
the subqueries are as good.

"Changes since" compares each card with the order today: it moved to another column or closed
since; and counts per column the orders that appeared there after ``at``. Reading the past writes
at most a missing day's snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, all_, any_, bindparam, case, func, null, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from ordertrack.db.board_models import BoardSnapshot
from ordertrack.db.models import Customer, Order, User
from ordertrack.db.types import UtcDateTime
from ordertrack.domain.access import Principal
from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import N_, _
from ordertrack.services import board as board_service
from ordertrack.services import board_snapshots
from ordertrack.services.errors import BadInput

HORIZON = board_snapshots.HORIZON
OUT_OF_RANGE = N_("Pick a moment within the last 90 days.")


@dataclass(frozen=True, slots=True)
class PastCard:
    """A card as it stood then, and (with changes) what became of it."""

    number: str
    name: str
    customer_name: str
    phase: str
    phase_label: str
    status: str
    status_label: str
    in_phase: str
    owner_name: str
    priority: str
    priority_label: str
    change: str  # "" | moved | closed
    change_label: str  # e.g. "now in Execution"


@dataclass(frozen=True, slots=True)
class PastColumn:
    key: str
    title: str
    total: int
    cards: tuple[PastCard, ...]
    moved: int = 0
    closed: int = 0
    appeared: int = 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: datetime
    columns: tuple[PastColumn, ...]
    changes: bool


def check_moment(at: datetime, *, now: datetime) -> datetime:
    """``at`` if it lies within the last 90 days.

    Raises:
        BadInput: in the future, more than 90 days ago, or without a time zone.
    """
    if at.tzinfo is None or at > now or at < now - HORIZON:
        raise BadInput(_(OUT_OF_RANGE))
    return at


def board_as_of(session: Session, *, principal: Principal, at: datetime, now: datetime,
                filters: board_service.BoardFilters = board_service.BoardFilters(),
                limits: dict[str, int] | None = None, changes: bool = False) -> Snapshot:
    """The board as it stood at ``at`` for this viewer and these filters (status, owner and
    priority as they were then; search and customer as they are), each column's total and its
    first cards; with ``changes``, what happened to them since and what appeared after.

    Starts from the snapshot of ``at``'s UTC day (written now if missing): its orders without a
    history row between the day's start and ``at`` are counted and windowed from its index, like
    the live board; the others (at most a day's changes) are rebuilt from their rows in one
    statement that also counts and windows them per column, so only the cards shown leave the
    database, whatever the moment. Without any snapshot every order is rebuilt.

    Raises:
        BadInput: ``at`` outside the last 90 days, or a bad filter.
    """
    check_moment(at, now=now)
    f = filters.validated()
    windows = {c.key: max(1, min(int((limits or {}).get(c.key, 50)), board_service.WINDOW_MAX))
               for c in board_service.COLUMNS}
    day = board_snapshots.snapshot_day(session, at=at, now=now)
    listing = day is not None and session.get_bind().dialect.name == "postgresql"
    ids = _changed_orders(session, day, at) if listing else None
    mode = "all" if day is None else "day" if ids is None else "listed"
    per_column: dict[str, list[tuple]] = {c.key: [] for c in board_service.COLUMNS}
    totals = {c.key: 0 for c in board_service.COLUMNS}
    moved, closed = dict(totals), dict(totals)
    if day is not None:
        _from_snapshot(session, principal, f, at, day, ids, windows, changes, per_column, totals, moved, closed)
    if session.get_bind().dialect.name == "postgresql":
        # the statement below looks expensive to the planner (a lookup per changed order), which
        # then compiles it (JIT) for longer than it runs; for this transaction only
        session.execute(text("SET LOCAL jit = off"))
    rebuilt = {}
    params = {"at": at, "day": day, "oldest_done": at - board_service.ON_BOARD_AFTER_DONE, "ids": ids or []}
    for oid, phase, status, owner, priority, since, phase_now, key, total, n_moved, n_closed in session.exec(
            _changed(principal, f, mode, windows, changes), params=params).all():
        rebuilt[key] = total, n_moved or 0, n_closed or 0  # the same in each row of the column
        per_column[key].append((oid, phase, status, owner, priority, since, phase_now, True))
    for key, (total, n_moved, n_closed) in rebuilt.items():
        totals[key], moved[key], closed[key] = totals[key] + total, moved[key] + n_moved, closed[key] + n_closed
    appeared = _appeared(session, principal=principal, at=at, now=now, f=f) if changes else {}
    windowed = {c.key: sorted(per_column[c.key], key=lambda r: (r[5], r[0]), reverse=c.key == "done")[
        :windows[c.key]] for c in board_service.COLUMNS}
    details, owners = _details(session, windowed)
    return Snapshot(at=at, changes=changes, columns=tuple(
        PastColumn(key=c.key, title=_(c.title), total=totals[c.key],
                   cards=tuple(_card(r, c.key, details, owners, at, changes) for r in windowed[c.key]),
                   moved=moved[c.key], closed=closed[c.key], appeared=appeared.get(c.key, 0))
        for c in board_service.COLUMNS))


def _scoped(query, principal: Principal, f: board_service.BoardFilters, *, joined: bool = False):
    """``query`` (over ``BoardSnapshot``) in the viewer's scope under the filters: status, owner
    and priority those of the snapshot (a row that kept no owner or priority: today's), search and
    customer today's. Joins the order and its customer only when a filter, the scope or
    ``joined`` needs them: a staff viewer's unfiltered board reads the snapshot's index alone."""
    snap = BoardSnapshot
    staff = principal.is_staff
    if joined or not staff or f.search or f.customer_id is not None or (staff and (f.owner_id or f.priority)):
        query = query.join(Order, Order.id == snap.order_id).join(Customer, Customer.id == Order.customer_id)
        query = board_service.filtered(query, principal, board_service.BoardFilters(
            search=f.search, customer_id=f.customer_id))
    if f.status:
        query = query.where(snap.status == f.status)
    if staff and f.owner_id is not None:
        query = query.where(case((col(snap.recorded), snap.owner_id), else_=Order.owner_id) == f.owner_id)
    if staff and f.priority:
        query = query.where(case((col(snap.recorded), snap.priority), else_=Order.priority) == f.priority)
    return query


def _from_snapshot(session: Session, principal: Principal, f: board_service.BoardFilters, at: datetime,
                   day: datetime, ids: list[int] | None, windows: dict[str, int], changes: bool,
                   per_column: dict[str, list[tuple]], totals: dict[str, int], moved: dict[str, int],
                   closed: dict[str, int]) -> None:
    """The snapshot's orders without a history row between ``day`` and ``at``: they stood at
    ``at`` as at the start of the day. Adds their counts per column to ``totals`` (all of the
    day's, less those changed since it began: both from indexes), each column's first cards to
    ``per_column`` and, with ``changes``, those that moved or closed since to ``moved``/``closed``.
    ``ids``: the orders changed since the day began (None: too many to list, read in SQL)."""
    listed = ids is not None
    counts, gone, windowed, flags = _cached(("snapshot", listed, *_shape(principal, f, windows, changes)),
                                            lambda: _snapshot_statements(principal, f, windows, changes, listed))
    params = {"day": day, "at": at, "oldest_done": at - board_service.ON_BOARD_AFTER_DONE, "ids": ids or []}
    for key, counted in counts.items():
        totals[key] += session.exec(counted, params=params).one()
    for phase, n in session.exec(gone, params=params).all():
        totals[_column_of(phase)] -= n
    for key, queries in windowed.items():
        for query in queries if totals[key] else ():
            per_column[key].extend(tuple(r) for r in session.exec(query, params=params))
    if flags is not None:
        for phase, phase_now, n in session.exec(flags, params=params).all():
            key = _column_of(phase)
            mark = _change(phase, key, phase_now)[0]
            if mark == "moved":
                moved[key] += n
            elif mark == "closed":
                closed[key] += n


def _snapshot_statements(principal: Principal, f: board_service.BoardFilters, windows: dict[str, int],
                         changes: bool, listed: bool):
    """The statements of ``_from_snapshot`` (``:day``, ``:at``, ``:oldest_done`` and, ``listed``,
    ``:ids`` parameters): each column's count (a range of the index, like the live board's), the
    count per phase of those changed since the day began (looked up one by one in the snapshot's
    key), each column's window (one per phase, merged by the caller) and, with ``changes``, the count per phase then and now of those
    in another phase today."""
    snap = BoardSnapshot
    day, oldest_done = bindparam("day", type_=UtcDateTime()), bindparam("oldest_done", type_=UtcDateTime())
    changed = None if listed else board_snapshots.changed_between(day, bindparam("at", type_=UtcDateTime()))

    def unchanged(column):
        return column != all_(_IDS) if listed else col(column).not_in(changed)

    shown = (snap.day == day) & (col(snap.phase).not_in(board_service.DONE_PHASES)
                                 | (col(snap.phase_since) >= oldest_done))
    counts, windowed = {}, {}
    for column in board_service.COLUMNS:
        counted = _scoped(select(func.count()).select_from(snap), principal, f).where(
            snap.day == day, col(snap.phase).in_(column.phases))
        counts[column.key] = counted.where(col(snap.phase_since) >= oldest_done) if column.key == "done" else counted
        order = (col(snap.phase_since).desc(), col(snap.order_id).desc()) if column.key == "done" else (
            col(snap.phase_since).asc(), col(snap.order_id).asc())
        windowed[column.key] = [_scoped(select(  # a window per phase: each in the index's order
            snap.order_id, snap.phase, snap.status, snap.owner_id, snap.priority, snap.phase_since, null(),
            snap.recorded), principal, f).where(shown, snap.phase == phase, unchanged(snap.order_id))
            .order_by(*order).limit(windows[column.key]) for phase in column.phases]
    if listed:
        gone = _scoped(select(snap.phase, func.count()), principal, f).where(shown, snap.order_id == any_(_IDS))
    else:
        ids = changed.subquery()
        gone = _scoped(select(snap.phase, func.count(snap.order_id.distinct())).select_from(ids).join(
            snap, (snap.day == day) & (snap.order_id == ids.c.entity_id)), principal, f).where(shown)
    gone = gone.group_by(snap.phase)
    flags = _scoped(select(snap.phase, Order.phase, func.count()), principal, f, joined=True).where(
        shown, unchanged(snap.order_id), snap.phase != Order.phase).group_by(
        snap.phase, Order.phase) if changes else None
    return counts, gone, windowed, flags


LISTED_MAX = 50_000  # more orders changed within the day than this: read from history in each statement
_IDS = bindparam("ids", type_=ARRAY(Integer))  # PostgreSQL: the list as one array parameter


def _changed_orders(session: Session, day: datetime, at: datetime) -> list[int] | None:
    """The orders with a history row between ``day`` and ``at`` (``ix_status_change_asof``),
    read once and passed to each statement as a list (PostgreSQL then looks them up by key
    instead of hashing every order; SQLite's plans for the subqueries are as good); None when
    more than ``LISTED_MAX``."""
    ids = sorted(set(session.exec(board_snapshots.changed_between(day, at)).all()))
    return ids if len(ids) <= LISTED_MAX else None


def _column_of(phase: str) -> str:
    return next(c.key for c in board_service.COLUMNS if phase in c.phases)


def _column_key(phase):
    """SQL: the key of the board column showing ``phase`` (NULL: none)."""
    return case(*((col(phase).in_(c.phases), c.key) for c in board_service.COLUMNS), else_=None)


_STATEMENTS: dict[tuple, object] = {}  # by viewer scope, filters, windows and changes: see _shape


def _changed(principal: Principal, f: board_service.BoardFilters, mode: str, windows: dict[str, int],
             changes: bool):
    """SQL: the orders with a history row between ``:day`` and ``:at`` (``mode`` "listed": those
    in ``:ids``; "all": every order with a row up to ``:at``), as they stood then, each column's first cards only: (id, phase, status, owner,
    priority, since, phase now, column, the column's total, moved, closed).

    Rebuilt by ``board_snapshots.rows_then``; owner and priority missing from old rows are
    today's. Search and customer filter today's values, status, owner and priority those of then;
    an order created after ``:at`` has no row then and is left out; a done card shows from
    ``:oldest_done``. Built once per viewer scope, filters, windows and ``changes`` (the moment
    is a parameter: moving through time reuses it, its construction costs as much as running it).
    """
    return _cached(("changed", mode, *_shape(principal, f, windows, changes)),
                   lambda: _build_changed(principal, f, mode, windows, changes))


def _shape(principal: Principal, f: board_service.BoardFilters, windows: dict[str, int], changes: bool) -> tuple:
    """What the statements depend on besides the moment: the viewer's scope, the filters, the
    windows and ``changes``."""
    return principal.is_staff, principal.role, principal.customer_id, principal.reseller_id, f, \
        tuple(sorted(windows.items())), changes


def _cached(key: tuple, build):
    """The statements under ``key``, built once (at most a few hundred kept)."""
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) > 256:
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = build()
    return statement


def _build_changed(principal: Principal, f: board_service.BoardFilters, mode: str, windows: dict[str, int],
                   changes: bool):
    """The statement of ``_changed``.

    Long because: one statement in three layers (the row then, its column and filters, the
    per-column window), each a subquery of the next.
    """
    at = bindparam("at", type_=UtcDateTime())
    day = None if mode == "all" else bindparam("day", type_=UtcDateTime())
    listed = mode == "listed"
    def scope(query):
        if principal.is_staff and not f.search and f.customer_id is None:
            return query
        return board_service.filtered(query.join(Customer, Customer.id == Order.customer_id), principal,
                                      board_service.BoardFilters(search=f.search, customer_id=f.customer_id))

    ids = (lambda column: column == any_(_IDS)) if listed else board_snapshots.changed_between(day, at)
    then = board_snapshots.rows_then(ids, at, scope).subquery()
    rows = select(then.c.oid, then.c.phase, then.c.status,
                  case((then.c.recorded, then.c.owner), else_=then.c.owner_now).label("owner"),
                  case((then.c.recorded, then.c.priority), else_=then.c.priority_now).label("priority"),
                  then.c.since, then.c.phase_now).subquery()
    key = _column_key(rows.c.phase).label("key")
    shown = select(rows, key).where(
        col(rows.c.phase).not_in(board_service.DONE_PHASES)
        | (rows.c.since >= bindparam("oldest_done", type_=UtcDateTime())))
    if f.status:
        shown = shown.where(rows.c.status == f.status)
    if principal.is_staff and f.owner_id is not None:
        shown = shown.where(rows.c.owner == f.owner_id)
    if principal.is_staff and f.priority:
        shown = shown.where(rows.c.priority == f.priority)
    shown = shown.where(key.is_not(None)).subquery()
    per_key = {"partition_by": shown.c.key}
    closed_now = col(shown.c.phase_now).in_(board_service.DONE_PHASES) & col(shown.c.phase).not_in(
        board_service.DONE_PHASES)
    flags = (func.sum(case((closed_now, 0), (_column_key(shown.c.phase_now) != shown.c.key, 1), else_=0)).over(**per_key),
             func.sum(case((closed_now, 1), else_=0)).over(**per_key)) if changes else (null(), null())
    ranked = select(
        shown.c.oid, shown.c.phase, shown.c.status, shown.c.owner, shown.c.priority, shown.c.since, shown.c.phase_now,
        shown.c.key, func.count().over(**per_key).label("total"), flags[0].label("moved"), flags[1].label("closed"),
        case((shown.c.key == "done", func.row_number().over(
            partition_by=shown.c.key, order_by=(shown.c.since.desc(), shown.c.oid.desc()))),
            else_=func.row_number().over(partition_by=shown.c.key, order_by=(shown.c.since, shown.c.oid)))
        .label("rank")).subquery()
    return select(*(c for c in ranked.c if c.name != "rank")).where(
        ranked.c.rank <= case(*((ranked.c.key == k, n) for k, n in windows.items()), else_=0))


def _change(phase: str, key: str, phase_now: str) -> tuple[str, str]:
    """The card's mark: closed since (it was open then), or moved to another column."""
    column_now = next(c for c in board_service.COLUMNS if phase_now in c.phases)
    if phase_now in board_service.DONE_PHASES and phase not in board_service.DONE_PHASES:
        return "closed", _("since {phase}").format(phase=ORDER_WORKFLOW.label(phase_now))
    if column_now.key != key:
        return "moved", _("now in {phase}").format(phase=ORDER_WORKFLOW.label(phase_now))
    return "", ""


def _details(session: Session, windowed: dict[str, list[tuple]]):
    """Number, name, customer, phase, owner and priority today of the cards shown, and the names
    of their owners then (two statements)."""
    ids = [r[0] for rows in windowed.values() for r in rows]
    details = {oid: rest for oid, *rest in session.exec(
        select(Order.id, Order.number, Order.name, Customer.name, Order.phase, Order.owner_id, Order.priority)
        .join(Customer, Customer.id == Order.customer_id).where(col(Order.id).in_(ids))).all()} if ids else {}
    owner_ids = {r[3] if r[7] else details[r[0]][4] for rows in windowed.values() for r in rows} - {None}
    owners = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(owner_ids))).all()) \
        if owner_ids else {}
    return details, owners


def _card(row: tuple, key: str, details: dict, owners: dict, at: datetime, changes: bool) -> PastCard:
    oid, phase, status, owner, priority, since, phase_now, recorded = row
    number, name, customer, today_phase, today_owner, today_priority = details[oid]
    if not recorded:  # a row from before owners and priorities were kept: today's
        owner, priority = today_owner, today_priority
    change, change_label = _change(phase, key, phase_now or today_phase) if changes else ("", "")
    return PastCard(
        number=number, name=name, customer_name=customer, phase=phase, phase_label=ORDER_WORKFLOW.label(phase),
        status=status, status_label=OrderStatus(status).label, in_phase=duration_words(at - since),
        owner_name=owners.get(owner, ""), priority=priority or "normal",
        priority_label=_(board_service.PRIORITY_LABELS.get(priority or "normal", priority or "normal")),
        change=change, change_label=change_label)


def _appeared(session: Session, *, principal: Principal, at: datetime, now: datetime,
              f: board_service.BoardFilters) -> dict[str, int]:
    """Per column of today's board: orders created after ``at`` (under today's filters)."""
    query = select(Order.phase, func.count()).join(Customer, Customer.id == Order.customer_id)
    query = board_service.filtered(query, principal, f).where(Order.created_at > at).where(
        col(Order.phase).not_in(board_service.DONE_PHASES)
        | (col(Order.phase_since) >= now - board_service.ON_BOARD_AFTER_DONE))
    out: dict[str, int] = {}
    for phase, n in session.exec(query.group_by(Order.phase)).all():
        key = next(c.key for c in board_service.COLUMNS if phase in c.phases)
        out[key] = out.get(key, 0) + n
    return out
