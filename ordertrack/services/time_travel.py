"""Time travel on the board (issue 15.1): the board as it stood at a past moment, rebuilt from
the history rows, and what changed since.

Every move and change of an order writes a ``status_change`` row (``order_moves._apply``) with the
phase, tracking status, owner and priority from that version on. The board as of ``at`` takes,
for each order in the viewer's scope, its last row up to ``at`` and the moment its phase was
entered; orders created later are not there. Orders without a row after ``at`` are read as they
stand (the live board's indexes); the others are rebuilt, counted and windowed in one statement
(``ix_status_change_asof`` finds them, ``ix_status_change_then`` and ``ix_status_change_entered``
give each one's version then and time in phase from the index). Rows written before owner and
priority were kept fall back to the order's present values.

"Changes since" compares each card with the order today: it moved to another column or closed
since; and counts per column the orders that appeared there after ``at``. The result is
read-only by nature: nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, exists, func, literal, null, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ordertrack.db.models import Customer, Order, StatusChange, User
from ordertrack.db.types import UtcDateTime
from ordertrack.domain.access import Principal
from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import N_, _
from ordertrack.services import board as board_service
from ordertrack.services.errors import BadInput

HORIZON = timedelta(days=90)
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


def _column_of(phase: str, since: datetime, at: datetime) -> str | None:
    for column in board_service.COLUMNS:
        if phase in column.phases:
            if column.key == "done" and since < at - board_service.ON_BOARD_AFTER_DONE:
                return None
            return column.key
    return None


def board_as_of(session: Session, *, principal: Principal, at: datetime, now: datetime,
                filters: board_service.BoardFilters = board_service.BoardFilters(),
                limits: dict[str, int] | None = None, changes: bool = False) -> Snapshot:
    """The board as it stood at ``at`` for this viewer and these filters (status, owner and
    priority as they were then; search and customer as they are), each column's total and its
    first cards; with ``changes``, what happened to them since and what appeared after.

    Orders without a history row after ``at`` stood then as they stand now: they are counted and
    windowed in SQL like the live board. The orders changed since are rebuilt from their rows in
    one statement that also counts and windows them per column, so only the cards shown leave
    the database, whatever the moment.

    Raises:
        BadInput: ``at`` outside the last 90 days, or a bad filter.
    """
    check_moment(at, now=now)
    f = filters.validated()
    windows = {c.key: max(1, min(int((limits or {}).get(c.key, 50)), board_service.WINDOW_MAX))
               for c in board_service.COLUMNS}
    per_column: dict[str, list[tuple]] = {c.key: [] for c in board_service.COLUMNS}
    totals, moved, closed = _unchanged(session, principal, f, at, windows, per_column)
    rebuilt = {c.key: 0 for c in board_service.COLUMNS}
    if session.get_bind().dialect.name == "postgresql":
        # the statement below looks expensive to the planner (a lookup per changed order), which
        # then compiles it (JIT) for longer than it runs; for this transaction only
        session.execute(text("SET LOCAL jit = off"))
    for oid, phase, status, owner, priority, since, phase_now, key, total, n_moved, n_closed in session.exec(
            _changed(principal, f, at, windows, changes)).all():
        rebuilt[key], moved[key], closed[key] = total, n_moved or 0, n_closed or 0  # the same in each row
        change, change_label = _change(phase, key, phase_now) if changes else ("", "")
        per_column[key].append((oid, phase, status, owner, priority, since, change, change_label))
    appeared = _appeared(session, principal=principal, at=at, now=now, f=f) if changes else {}
    windowed = {c.key: sorted(per_column[c.key], key=lambda r: (r[5], r[0]), reverse=c.key == "done")[
        :windows[c.key]] for c in board_service.COLUMNS}
    details, owners = _details(session, [r for rows in windowed.values() for r in rows])
    return Snapshot(at=at, changes=changes, columns=tuple(
        PastColumn(key=c.key, title=_(c.title), total=totals[c.key] + rebuilt[c.key],
                   cards=tuple(_card(r, details, owners, at) for r in windowed[c.key]),
                   moved=moved[c.key], closed=closed[c.key], appeared=appeared.get(c.key, 0))
        for c in board_service.COLUMNS))


def _changed_ids(at: datetime):
    """SQL: the orders with a history row after ``at``, read from ``ix_status_change_asof``
    (as ``Order.id IN (...)``: both databases build the set once per statement)."""
    return select(StatusChange.entity_id).where(StatusChange.entity_kind == "order", StatusChange.at > at)


def _unchanged(session: Session, principal: Principal, f: board_service.BoardFilters, at: datetime,
               windows: dict[str, int], per_column: dict[str, list[tuple]]):
    """Orders without a row after ``at``: today's values are those of then. Counts them per
    column and adds each column's first cards to ``per_column``; returns the totals and zero
    moved/closed counts (an unchanged order neither moved nor closed)."""
    oldest_done = at - board_service.ON_BOARD_AFTER_DONE
    changed = col(Order.id).in_(_changed_ids(at))
    later = aliased(StatusChange)  # the windows stop at their first cards: a seek for each they pass
    unchanged = ~exists().where(later.entity_kind == "order", later.entity_id == Order.id, later.at > at)
    totals = {c.key: 0 for c in board_service.COLUMNS}
    on_board = col(Order.phase).not_in(board_service.DONE_PHASES) | (col(Order.phase_since) >= oldest_done)
    counted = select(Order.phase, func.count()).join(Customer, Customer.id == Order.customer_id)
    counted = board_service.filtered(counted, principal, f).where(on_board).group_by(Order.phase)
    # every order as it stands now, less those changed since: both counts read indexes only
    for sign, query in ((1, counted), (-1, counted.where(changed))):
        for phase, n in session.exec(query).all():
            key = _column_of(phase, at, at)
            if key is not None:
                totals[key] += sign * n
    for column in board_service.COLUMNS:
        if not totals[column.key]:
            continue
        query = select(Order.id, Order.phase, Order.status, Order.owner_id, Order.priority, Order.phase_since).join(
            Customer, Customer.id == Order.customer_id)
        query = board_service.filtered(query, principal, f).where(unchanged, col(Order.phase).in_(column.phases))
        if column.key == "done":
            query = query.where(col(Order.phase_since) >= oldest_done).order_by(
                col(Order.phase_since).desc(), col(Order.id).desc())
        else:
            query = query.order_by(col(Order.phase_since).asc(), col(Order.id))
        for oid, phase, status, owner, priority, since in session.exec(query.limit(windows[column.key])).all():
            per_column[column.key].append((oid, phase, status, owner, priority, since, "", ""))
    return totals, {c.key: 0 for c in board_service.COLUMNS}, {c.key: 0 for c in board_service.COLUMNS}


def _column_key(phase):
    """SQL: the key of the board column showing ``phase`` (NULL: none)."""
    return case(*((col(phase).in_(c.phases), c.key) for c in board_service.COLUMNS), else_=None)


def _changed(principal: Principal, f: board_service.BoardFilters, at: datetime, windows: dict[str, int],
             changes: bool):
    """SQL: the orders changed since ``at`` as they stood then, each column's first cards only:
    (id, phase, status, owner, priority, since, phase now, column, the column's total, moved, closed).

    Each order's row then is its highest version at or before ``at`` and its time in phase starts
    at its last row up to then that entered a phase (``ix_status_change_then`` and the partial
    ``ix_status_change_entered`` answer both from the index); owner and priority missing from old
    rows are today's. Search and customer filter today's values, status, owner and priority those
    of then; an order created after ``at`` has no row then and is left out.

    Long because: one statement in three layers (the row then, its column and filters, the
    per-column window), each a subquery of the next.
    """
    then, prior, entered = aliased(StatusChange), aliased(StatusChange), aliased(StatusChange)
    version = select(func.max(prior.from_version + 0)).where(
        prior.entity_kind == "order", prior.entity_id == Order.id, prior.at <= at).scalar_subquery()
    since = select(func.max(entered.at)).where(
        entered.entity_kind == "order", entered.entity_id == Order.id, entered.at <= at,
        col(entered.from_state).is_(None) | (entered.from_state != entered.to_state)).scalar_subquery()
    # the changed orders, each with its version then and the moment it entered its phase: a fence
    # (MATERIALIZED) so that both databases look these up once per changed order, and first
    # (an order's first row is written when it is created: one created after ``at`` has none then)
    changed = select(Order.id.label("oid"), version.label("v"), since.label("since")).where(
        col(Order.id).in_(_changed_ids(at)), Order.created_at <= at).cte("changed").prefix_with("MATERIALIZED")
    recorded = col(then.priority).is_not(None)
    rows = select(
        Order.id.label("oid"), then.to_state.label("phase"),
        func.coalesce(then.to_tracking, case((then.to_state == "closed", OrderStatus.CLOSED.value),
                                             (then.to_state == "canceled", OrderStatus.CANCELED.value),
                                             else_=OrderStatus.ON_TRACK.value)).label("status"),
        case((recorded, then.owner_id), else_=Order.owner_id).label("owner"),
        case((recorded, then.priority), else_=Order.priority).label("priority"),
        func.coalesce(changed.c.since, then.at, type_=UtcDateTime()).label("since"),
        Order.phase.label("phase_now"),
    ).select_from(changed).join(Order, Order.id == changed.c.oid).join(Customer, Customer.id == Order.customer_id) \
        .join(then, (then.entity_kind == "order") & (then.entity_id == changed.c.oid)
              & (then.from_version == changed.c.v))
    rows = board_service.filtered(rows, principal, board_service.BoardFilters(
        search=f.search, customer_id=f.customer_id)).subquery()
    key = _column_key(rows.c.phase).label("key")
    shown = select(rows, key).where(
        col(rows.c.phase).not_in(board_service.DONE_PHASES)
        | (rows.c.since >= literal(at - board_service.ON_BOARD_AFTER_DONE, UtcDateTime())))
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


def _details(session: Session, rows: list[tuple]):
    """Number, name and customer of the cards shown, and their owners' names (two statements)."""
    ids = [r[0] for r in rows]
    details = {oid: (number, name, customer) for oid, number, name, customer in session.exec(
        select(Order.id, Order.number, Order.name, Customer.name).join(Customer, Customer.id == Order.customer_id)
        .where(col(Order.id).in_(ids))).all()} if ids else {}
    owner_ids = {r[3] for r in rows if r[3] is not None}
    owners = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(owner_ids))).all()) \
        if owner_ids else {}
    return details, owners


def _card(row: tuple, details: dict, owners: dict, at: datetime) -> PastCard:
    oid, phase, status, owner, priority, since, change, change_label = row
    number, name, customer = details[oid]
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
