"""Time travel on the board (issue 15.1): the board as it stood at a past moment, rebuilt from
the history rows, and what changed since.

Every move and change of an order writes a ``status_change`` row (``order_moves._apply``) with the
phase, tracking status, owner and priority from that version on. The board as of ``at`` takes,
for each order in the viewer's scope, its last row up to ``at`` (``ix_status_change_asof`` reads
that from the index) and the moment its phase was entered; orders created later are not there.
Rows written before owner and priority were kept fall back to the order's present values.

"Changes since" compares each card with the order today: it moved to another column or closed
since; and counts per column the orders that appeared there after ``at``. The result is
read-only by nature: nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from ordertrack.db.models import Customer, Order, StatusChange, User
from ordertrack.domain.access import Principal
from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import N_, _
from ordertrack.services import board as board_service
from ordertrack.services.errors import BadInput

HORIZON = timedelta(days=90)
MAX_LISTED = 20_000
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
    windowed in SQL like the live board. Only the orders changed since (found through
    ``ix_status_change_asof``) are rebuilt from their rows, so a recent moment costs about what
    the live board does.

    Raises:
        BadInput: ``at`` outside the last 90 days, or a bad filter.

    Long because: one query pipeline (unchanged orders counted in SQL, changed ones rebuilt from
    their rows, then windowed per column); its steps share the same filters and scope, and splitting
    them would pass all of them around.
    """
    check_moment(at, now=now)
    f = filters.validated()
    limits = limits or {}
    kind = StatusChange.entity_kind == "order"
    changed_since = select(StatusChange.entity_id).where(kind, StatusChange.at > at).distinct()
    # SQLite: a list of ids (it builds one index for it) beats the subquery run in every
    # statement, up to MAX_LISTED (bound parameters have a limit). PostgreSQL hashes the subquery.
    changed = changed_since
    if session.get_bind().dialect.name == "sqlite":
        ids = session.exec(changed_since.limit(MAX_LISTED + 1)).all()
        changed = list(ids) if len(ids) <= MAX_LISTED else changed_since
    oldest_done = at - board_service.ON_BOARD_AFTER_DONE
    # 1. unchanged since: today's row is the row of then
    per_column: dict[str, list[tuple]] = {c.key: [] for c in board_service.COLUMNS}
    totals: dict[str, int] = {c.key: 0 for c in board_service.COLUMNS}
    base = select(Order.id).join(Customer, Customer.id == Order.customer_id)
    base = board_service.filtered(base, principal, f).where(col(Order.id).not_in(changed))
    for phase, n in session.exec(select(text("phase"), func.count()).select_from(
            base.add_columns(Order.phase.label("phase")).where(
                col(Order.phase).not_in(board_service.DONE_PHASES) | (col(Order.phase_since) >= oldest_done))
            .subquery()).group_by(text("phase"))).all():
        key = _column_of(phase, at, at)
        if key is not None:
            totals[key] += n
    for column in board_service.COLUMNS:
        limit = max(1, min(int(limits.get(column.key, 50)), board_service.WINDOW_MAX))
        query = select(Order.id, Order.phase, Order.status, Order.owner_id, Order.priority, Order.phase_since).join(
            Customer, Customer.id == Order.customer_id)
        query = board_service.filtered(query, principal, f).where(col(Order.id).not_in(changed),
                                                                  col(Order.phase).in_(column.phases))
        if column.key == "done":
            query = query.where(col(Order.phase_since) >= oldest_done).order_by(
                col(Order.phase_since).desc(), col(Order.id).desc())
        else:
            query = query.order_by(col(Order.phase_since).asc(), col(Order.id))
        for oid, phase, status, owner, priority, since in session.exec(query.limit(limit)).all():
            per_column[column.key].append((oid, phase, status, owner, priority, since, "", ""))
    # 2. changed since: rebuilt from their rows up to then
    then = (StatusChange.at <= at) & col(StatusChange.entity_id).in_(changed)
    last = (select(StatusChange.entity_id.label("oid"), func.max(StatusChange.from_version).label("v"))
            .where(kind, then).group_by(StatusChange.entity_id).subquery())
    entered = (select(StatusChange.entity_id.label("oid"), func.max(StatusChange.at).label("since"))
               .where(kind, then, col(StatusChange.from_state).is_(None)
                      | (StatusChange.from_state != StatusChange.to_state))
               .group_by(StatusChange.entity_id).subquery())
    query = (select(Order.id, StatusChange.to_state, StatusChange.to_tracking, StatusChange.owner_id,
                    StatusChange.priority, entered.c.since, StatusChange.at, Order.owner_id, Order.priority,
                    Order.phase)
             .join(last, last.c.oid == Order.id)
             .join(StatusChange, kind & (StatusChange.entity_id == Order.id) & (StatusChange.from_version == last.c.v))
             .outerjoin(entered, entered.c.oid == Order.id)
             .join(Customer, Customer.id == Order.customer_id))
    query = board_service.filtered(query, principal, board_service.BoardFilters(search=f.search,
                                                                               customer_id=f.customer_id))
    for oid, phase, status, owner_then, priority_then, since, row_at, owner_now, priority_now, phase_now \
            in session.exec(query).all():
        recorded = priority_then is not None
        owner, priority = (owner_then, priority_then) if recorded else (owner_now, priority_now)
        status = status or (OrderStatus.CLOSED.value if phase == "closed" else OrderStatus.CANCELED.value
                            if phase == "canceled" else OrderStatus.ON_TRACK.value)
        since = since or row_at
        if (f.status and status != f.status) or (f.owner_id is not None and owner != f.owner_id) or (
                f.priority and priority != f.priority):
            continue
        key = _column_of(phase, since, at)
        if key is None:
            continue
        change, change_label = "", ""
        if changes:
            column_now = next(c for c in board_service.COLUMNS if phase_now in c.phases)
            if phase_now in board_service.DONE_PHASES and phase not in board_service.DONE_PHASES:
                change, change_label = "closed", _("since {phase}").format(phase=ORDER_WORKFLOW.label(phase_now))
            elif column_now.key != key:
                change, change_label = "moved", _("now in {phase}").format(phase=ORDER_WORKFLOW.label(phase_now))
        totals[key] += 1
        per_column[key].append((oid, phase, status, owner, priority, since, change, change_label))
    appeared = _appeared(session, principal=principal, at=at, now=now, f=f) if changes else {}
    return Snapshot(at=at, changes=changes, columns=tuple(
        _column(session, c, per_column[c.key], totals[c.key], int(limits.get(c.key, 50)), at,
                appeared.get(c.key, 0))
        for c in board_service.COLUMNS))


def _column(session: Session, column, rows: list[tuple], total: int, limit: int, at: datetime,
            appeared: int) -> PastColumn:
    rows.sort(key=lambda r: (r[5], r[0]), reverse=column.key == "done")
    window = rows[:max(1, min(limit, board_service.WINDOW_MAX))]
    ids = [r[0] for r in window]
    details = {oid: (number, name, customer) for oid, number, name, customer in session.exec(
        select(Order.id, Order.number, Order.name, Customer.name).join(Customer, Customer.id == Order.customer_id)
        .where(col(Order.id).in_(ids))).all()} if ids else {}
    owner_ids = {r[3] for r in window if r[3] is not None}
    owners = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(owner_ids))).all()) \
        if owner_ids else {}
    cards = []
    for oid, phase, status, owner, priority, since, change, change_label in window:
        number, name, customer = details[oid]
        cards.append(PastCard(
            number=number, name=name, customer_name=customer, phase=phase, phase_label=ORDER_WORKFLOW.label(phase),
            status=status, status_label=OrderStatus(status).label, in_phase=duration_words(at - since),
            owner_name=owners.get(owner, ""), priority=priority or "normal",
            priority_label=_(board_service.PRIORITY_LABELS.get(priority or "normal", priority or "normal")),
            change=change, change_label=change_label))
    return PastColumn(key=column.key, title=_(column.title), total=total, cards=tuple(cards),
                      moved=sum(1 for r in rows if r[6] == "moved"), closed=sum(1 for r in rows if r[6] == "closed"),
                      appeared=appeared)


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
