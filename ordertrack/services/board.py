"""The order-tracking board (seed 01): four columns, each a server-side window of cards.

The board never loads every order: each column is counted and only its first ``limit``
cards are read, so 10,000 active orders cost what 100 do. Canceled/Closed cards stay on the
board for a month after the change; the Closed tab lists all of them, paginated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ordertrack.db.models import Customer, Order, User
from ordertrack.domain.access import Principal
from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.services.errors import BadInput
from ordertrack.services.orders import (
    PRIORITIES,
    OrderPage,
    card_view,
    has_open_failure,
    scope_orders,
)

DONE_PHASES = ("closed", "canceled")
ON_BOARD_AFTER_DONE = timedelta(days=30)
WINDOW_MAX = 200


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    phases: tuple[str, ...]


COLUMNS: tuple[Column, ...] = (
    Column("planning", "Planning and Provisioning", ("planning",)),
    Column("execution", "Execution", ("execution",)),
    Column("validation", "Customer Validation", ("validation",)),
    Column("done", "Canceled / Closed", DONE_PHASES),
)


@dataclass(frozen=True, slots=True)
class BoardFilters:
    """Staff filters; tenant users get their scope whatever they pass."""

    search: str = ""
    customer_id: int | None = None
    status: str | None = None
    owner_id: int | None = None
    priority: str | None = None

    def validated(self) -> BoardFilters:
        """The same filters, checked: unknown status/priority is BadInput."""
        if self.status is not None and self.status not in {s.value for s in OrderStatus}:
            raise BadInput("Unknown status.")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise BadInput("Unknown priority.")
        return BoardFilters(
            search=(self.search or "").strip()[:100],
            customer_id=self.customer_id,
            status=self.status,
            owner_id=self.owner_id,
            priority=self.priority,
        )


@dataclass(frozen=True, slots=True)
class BoardCard:
    number: str
    name: str
    customer_name: str
    phase: str
    phase_label: str
    status: str
    status_label: str
    in_phase: str
    deadline: str
    version: int
    failed: bool


@dataclass(frozen=True, slots=True)
class BoardColumn:
    key: str
    title: str
    total: int
    cards: tuple[BoardCard, ...]


def deadline_words(*, due_kind: str | None, due_at: datetime | None, now: datetime) -> str:
    """The next automatic change in words, e.g. "auto-approves in 1 day 3 h"."""
    if due_kind is None or due_at is None:
        return ""
    left = due_at - now
    if due_kind == "order:closed":
        return f"auto-approves in {duration_words(left)}" if left.total_seconds() > 0 else "auto-approving now"
    if due_kind == "status:delayed":
        return f"due in {duration_words(left)}" if left.total_seconds() > 0 else "due date passed"
    return ""


def _filtered(query, principal: Principal, f: BoardFilters):
    query = scope_orders(query, principal)
    if f.search:
        like = f"%{f.search.lower()}%"
        query = query.where(or_(func.lower(Order.number).like(like), func.lower(Order.name).like(like)))
    if principal.is_staff:
        if f.customer_id is not None:
            query = query.where(Order.customer_id == f.customer_id)
        if f.owner_id is not None:
            query = query.where(Order.owner_id == f.owner_id)
        if f.priority is not None:
            query = query.where(Order.priority == f.priority)
    if f.status is not None:
        query = query.where(Order.status == f.status)
    return query


def load_board(
    session: Session,
    *,
    principal: Principal,
    now: datetime,
    filters: BoardFilters = BoardFilters(),
    limits: dict[str, int] | None = None,
) -> tuple[BoardColumn, ...]:
    """Every column: its total and its first cards (most urgent first).

    Args:
        principal: the viewer (tenant scope applies).
        now: for "time in phase", deadlines and the 1-month rule of the done column.
        filters: search and staff filters.
        limits: cards per column (default 50, at most 200).
    """
    f = filters.validated()
    limits = limits or {}
    columns = []
    for column in COLUMNS:
        limit = max(1, min(int(limits.get(column.key, 50)), WINDOW_MAX))
        base = select(Order, Customer.name, has_open_failure().label("failed")).join(
            Customer, Customer.id == Order.customer_id)
        base = _filtered(base, principal, f).where(col(Order.phase).in_(column.phases))
        if column.key == "done":
            base = base.where(col(Order.phase_since) >= now - ON_BOARD_AFTER_DONE)
            ordered = base.order_by(col(Order.phase_since).desc(), col(Order.id).desc())
        elif column.key == "validation":
            ordered = base.order_by(col(Order.due_at).asc(), col(Order.id))
        else:
            ordered = base.order_by(col(Order.phase_since).asc(), col(Order.id))
        counted = select(Order.id) if principal.is_staff else select(Order.id).join(
            Customer, Customer.id == Order.customer_id)  # tenants are scoped through their customer
        counted = _filtered(counted, principal, f).where(col(Order.phase).in_(column.phases))
        if column.key == "done":
            counted = counted.where(col(Order.phase_since) >= now - ON_BOARD_AFTER_DONE)
        total = session.exec(select(func.count()).select_from(counted.subquery())).one()
        cards = tuple(
            BoardCard(
                number=o.number, name=o.name, customer_name=name, phase=o.phase,
                phase_label=ORDER_WORKFLOW.label(o.phase), status=o.status,
                status_label=OrderStatus(o.status).label, in_phase=duration_words(now - o.phase_since),
                deadline=deadline_words(due_kind=o.due_kind, due_at=o.due_at, now=now), version=o.version,
                failed=bool(failed),
            )
            for o, name, failed in session.exec(ordered.limit(limit))
        )
        columns.append(BoardColumn(key=column.key, title=column.title, total=total, cards=cards))
    return tuple(columns)


def closed_orders(
    session: Session, *, principal: Principal, search: str = "", offset: int = 0, limit: int = 25
) -> OrderPage:
    """The Closed tab: closed and canceled orders, most recent first, paginated."""
    f = BoardFilters(search=search).validated()
    limit = max(1, min(int(limit), WINDOW_MAX))
    offset = max(0, int(offset))
    base = select(Order, Customer.name, has_open_failure().label("failed")).join(
        Customer, Customer.id == Order.customer_id)
    base = _filtered(base, principal, f).where(col(Order.phase).in_(DONE_PHASES))
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(base.order_by(col(Order.phase_since).desc(), col(Order.id).desc()).offset(offset).limit(limit))
    return OrderPage(cards=tuple(card_view(o, n, failed) for o, n, failed in rows), total=total, offset=offset,
                     limit=limit)


def filter_options(session: Session, *, principal: Principal) -> dict[str, tuple[tuple[str, str], ...]]:
    """Choices for the staff filters (empty for tenant users)."""
    if not principal.is_staff:
        return {"customers": (), "owners": ()}
    customers = session.exec(select(Customer.id, Customer.name).order_by(Customer.name)).all()
    owners = session.exec(
        select(User.id, User.display_name)
        .where(col(User.role).in_(["operator", "support", "manager", "admin"]))
        .order_by(User.display_name)
    ).all()
    return {
        "customers": tuple((str(i), n) for i, n in customers),
        "owners": tuple((str(i), n) for i, n in owners),
    }
