"""The order-tracking board (seed 01): four columns, each a server-side window of cards.

The board never loads every order: each column is counted and only its first ``limit``
cards are read, so 10,000 active orders cost what 100 do. Canceled/Closed cards stay on the
board for a month after the change; the Closed tab lists all of them, paginated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, not_, or_
from sqlmodel import Session, col, select

from ordertrack.db.models import Customer, Order, User
from ordertrack.domain.access import Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.roles import Role
from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import N_, _
from ordertrack.services import sla
from ordertrack.services.errors import BadInput
from ordertrack.services.order_views import (
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
    Column("planning", N_("Planning and Provisioning"), ("planning",)),
    Column("execution", N_("Execution"), ("execution",)),
    Column("validation", N_("Customer Validation"), ("validation",)),
    Column("done", N_("Canceled / Closed"), DONE_PHASES),
)
PRIORITY_LABELS = {"low": N_("Low"), "normal": N_("Normal"), "high": N_("High"), "urgent": N_("Urgent")}
URL_KEYS = ("q", "customer", "status", "owner", "priority", "sla")
SLA_LEVELS = {"at_risk": N_("At risk"), "breached": N_("Breached")}


@dataclass(frozen=True, slots=True)
class BoardFilters:
    """The board's filters. Everyone filters by search, customer and status (a tenant's customer
    filter only narrows its own scope); owner and priority are staff filters."""

    search: str = ""
    customer_id: int | None = None
    status: str | None = None
    owner_id: int | None = None
    priority: str | None = None
    sla: str | None = None  # "at_risk" (a warning threshold reached, not breached) | "breached"

    def validated(self) -> BoardFilters:
        """The same filters, checked: unknown status/priority is BadInput."""
        if self.status is not None and self.status not in {s.value for s in OrderStatus}:
            raise BadInput("Unknown status.")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise BadInput("Unknown priority.")
        if self.sla is not None and self.sla not in SLA_LEVELS:
            raise BadInput(_("Unknown SLA level."))
        return BoardFilters(
            search=(self.search or "").strip()[:100],
            customer_id=self.customer_id,
            status=self.status,
            owner_id=self.owner_id,
            priority=self.priority,
            sla=self.sla,
        )

    def to_params(self) -> dict[str, str]:
        """The filters as URL query parameters (only those that are set)."""
        values = {"q": self.search, "customer": "" if self.customer_id is None else str(self.customer_id),
                  "status": self.status or "", "owner": "" if self.owner_id is None else str(self.owner_id),
                  "priority": self.priority or "", "sla": self.sla or ""}
        return {k: v for k, v in values.items() if v}

    @classmethod
    def from_params(cls, params: dict, *, staff: bool) -> BoardFilters:
        """Filters from URL query parameters: anything unknown or malformed is dropped (a stale
        or hand-edited link shows the unfiltered board rather than an error)."""
        def text(key: str) -> str:
            value = params.get(key, "")
            return value.strip()[:100] if isinstance(value, str) else ""

        def number(key: str) -> int | None:
            value = text(key)
            return int(value) if value.isdigit() and 0 < len(value) < 10 else None

        status = text("status")
        priority = text("priority")
        level = text("sla")
        return cls(
            search=text("q"),
            customer_id=number("customer"),
            status=status if status in {x.value for x in OrderStatus} else None,
            owner_id=number("owner") if staff else None,
            priority=priority if staff and priority in PRIORITIES else None,
            sla=level if level in SLA_LEVELS else None,
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
    owner_name: str = ""
    priority: str = "normal"
    priority_label: str = ""
    deadline_level: str = ""  # "" | ok | warning | breached: how urgent the deadline is
    sla_level: str = ""  # "" (no clock) | ok | warning | breached: the SLA clock's level (the card's colour)


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
        return _("auto-approves in {time}").format(time=duration_words(left)) if left.total_seconds() > 0 \
            else _("auto-approving now")
    if due_kind == "status:delayed":
        return _("due in {time}").format(time=duration_words(left)) if left.total_seconds() > 0 \
            else _("due date passed")
    return ""


def next_deadline(*, order: Order, clock: sla.SlaClockView | None, now: datetime) -> tuple[str, str]:
    """The card's next deadline in words and its level (ok / warning / breached), whatever the
    status: the order's own timer (auto-approval, the planned date), else its SLA clock (running:
    when the target falls due; paused: the time left and why), else a passed planned date.
    Closed and canceled orders have none."""
    if order.phase in DONE_PHASES:
        return "", ""
    words = deadline_words(due_kind=order.due_kind, due_at=order.due_at, now=now)
    if words:
        return words, "ok" if order.due_at and order.due_at > now else "warning"
    if clock is not None and clock.state == sla.RUNNING and clock.deadline is not None:
        left = clock.deadline - now
        if left.total_seconds() > 0:
            return _("SLA due in {time}").format(time=duration_words(left)), clock.level
        return _("SLA overdue by {time}").format(time=duration_words(left)), "breached"
    if clock is not None and clock.state == sla.PAUSED:
        return _("SLA paused ({reason}), {hours} h left").format(
            reason=clock.pause_reason, hours=max(0, round(clock.remaining_hours))), clock.level
    if order.planned_completion is not None:
        return _("planned completion {date} has passed").format(date=order.planned_completion.isoformat()), \
            "breached"
    return "", ""


def sla_reached(threshold: int):
    """SQL: the order's SLA clock has reached ``threshold`` % as the sweep recorded it (warned at it
    or above; the sweep runs every minute, so a filter lags the clock by at most that)."""
    return sla.warned_at_least(threshold)


def sla_condition(level: str, *, thresholds: tuple[int, ...]):
    """SQL for the SLA filter: "breached" (100 % reached) or "at risk" (an open order that
    reached the lowest warning threshold, not yet breached)."""
    if level == "breached":
        return sla_reached(100)
    lowest = min((t for t in thresholds if t < 100), default=None)
    if lowest is None:
        return col(Order.id).is_(None)  # no warning below 100 %: nothing is at risk
    return and_(not_(col(Order.phase).in_(DONE_PHASES)), sla_reached(lowest), not_(sla_reached(100)))


def filtered(query, principal: Principal, f: BoardFilters, *, thresholds: tuple[int, ...] | None = None):
    """``query`` (Order joined with Customer) in the viewer's scope under the filters (the SLA
    filter's "at risk" starts at the lowest of the policy's ``thresholds``; default: the defaults)."""
    query = scope_orders(query, principal)
    if f.search:
        like = f"%{f.search.lower()}%"
        query = query.where(or_(func.lower(Order.number).like(like), func.lower(Order.name).like(like)))
    if f.customer_id is not None:  # within the tenant scope above: never widens it
        query = query.where(Order.customer_id == f.customer_id)
    if principal.is_staff:
        if f.owner_id is not None:
            query = query.where(Order.owner_id == f.owner_id)
        if f.priority is not None:
            query = query.where(Order.priority == f.priority)
    if f.status is not None:
        query = query.where(Order.status == f.status)
    if f.sla is not None:
        query = query.where(sla_condition(f.sla, thresholds=sla.clock.DEFAULT_THRESHOLDS if thresholds is None else thresholds))
    return query


def load_board(
    session: Session,
    *,
    principal: Principal,
    now: datetime,
    filters: BoardFilters = BoardFilters(),
    limits: dict[str, int] | None = None,
    calendar: BusinessCalendar | None = None,
) -> tuple[BoardColumn, ...]:
    """Every column: its total and its first cards (most urgent first).

    Args:
        principal: the viewer (tenant scope applies).
        now: for "time in phase", deadlines and the 1-month rule of the done column.
        filters: search and staff filters.
        limits: cards per column (default 50, at most 200).
        calendar: the business calendar for SLA deadlines (default: the configured one).
    """
    if calendar is None:
        from ordertrack.services.calendars import business_calendar

        calendar = business_calendar()
    f = filters.validated()
    thresholds = sla.policy(session).thresholds
    limits = limits or {}
    columns = []
    for column in COLUMNS:
        limit = max(1, min(int(limits.get(column.key, 50)), WINDOW_MAX))
        base = select(Order, Customer.name, has_open_failure().label("failed"), User.display_name).join(
            Customer, Customer.id == Order.customer_id).outerjoin(User, User.id == Order.owner_id)
        base = filtered(base, principal, f, thresholds=thresholds).where(col(Order.phase).in_(column.phases))
        if column.key == "done":
            base = base.where(col(Order.phase_since) >= now - ON_BOARD_AFTER_DONE)
            ordered = base.order_by(col(Order.phase_since).desc(), col(Order.id).desc())
        elif column.key == "validation":
            ordered = base.order_by(col(Order.due_at).asc(), col(Order.id))
        else:
            ordered = base.order_by(col(Order.phase_since).asc(), col(Order.id))
        counted = select(Order.id) if principal.is_staff else select(Order.id).join(
            Customer, Customer.id == Order.customer_id)  # tenants are scoped through their customer
        counted = filtered(counted, principal, f, thresholds=thresholds).where(col(Order.phase).in_(column.phases))
        if column.key == "done":
            counted = counted.where(col(Order.phase_since) >= now - ON_BOARD_AFTER_DONE)
        total = session.exec(select(func.count()).select_from(counted.subquery())).one()
        rows = session.exec(ordered.limit(limit)).all()
        clocks = sla.clocks_of(session, principal=principal, order_ids=[o.id for o, *_rest in rows], now=now,
                               calendar=calendar) if column.key != "done" else {}
        cards = tuple(_card(o, name, failed, owner, clocks.get(o.id), now) for o, name, failed, owner in rows)
        columns.append(BoardColumn(key=column.key, title=_(column.title), total=total, cards=cards))
    return tuple(columns)


def _card(o: Order, customer_name: str, failed: bool, owner: str | None, clock: sla.SlaClockView | None,
          now: datetime) -> BoardCard:
    deadline, level = next_deadline(order=o, clock=clock, now=now)
    return BoardCard(
        number=o.number, name=o.name, customer_name=customer_name, phase=o.phase,
        phase_label=ORDER_WORKFLOW.label(o.phase), status=o.status,
        status_label=OrderStatus(o.status).label, in_phase=duration_words(now - o.phase_since),
        deadline=deadline, version=o.version, failed=bool(failed), owner_name=owner or "",
        priority=o.priority, priority_label=_(PRIORITY_LABELS.get(o.priority, o.priority)), deadline_level=level,
        sla_level="" if clock is None or o.phase in DONE_PHASES else clock.level,
    )


def column_selection(session: Session, *, principal: Principal, now: datetime, column: str,
                     filters: BoardFilters = BoardFilters(), cap: int = 501) -> tuple[tuple[str, int], ...]:
    """(number, version) of the orders in one column under the filters, in the column's order,
    at most ``cap`` ("select all in column" for a bulk move).

    Raises:
        BadInput: unknown column or filter.
    """
    spec = next((c for c in COLUMNS if c.key == column), None)
    if spec is None:
        raise BadInput(_("Unknown column."))
    query = select(Order.number, Order.version).join(Customer, Customer.id == Order.customer_id)
    query = filtered(query, principal, filters.validated(), thresholds=sla.policy(session).thresholds) \
        .where(col(Order.phase).in_(spec.phases))
    if column == "done":
        query = query.where(col(Order.phase_since) >= now - ON_BOARD_AFTER_DONE).order_by(
            col(Order.phase_since).desc(), col(Order.id).desc())
    elif column == "validation":
        query = query.order_by(col(Order.due_at).asc(), col(Order.id))
    else:
        query = query.order_by(col(Order.phase_since).asc(), col(Order.id))
    return tuple((n, v) for n, v in session.exec(query.limit(max(1, int(cap)))).all())


def closed_orders(
    session: Session, *, principal: Principal, search: str = "", offset: int = 0, limit: int = 25,
    filters: BoardFilters | None = None,
) -> OrderPage:
    """The Closed tab: closed and canceled orders, most recent first, paginated, under the same
    filters as the board (``filters``; else just ``search``)."""
    f = (filters if filters is not None else BoardFilters(search=search)).validated()
    limit = max(1, min(int(limit), WINDOW_MAX))
    offset = max(0, int(offset))
    base = select(Order, Customer.name, has_open_failure().label("failed")).join(
        Customer, Customer.id == Order.customer_id)
    base = filtered(base, principal, f, thresholds=sla.policy(session).thresholds).where(
        col(Order.phase).in_(DONE_PHASES))
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(base.order_by(col(Order.phase_since).desc(), col(Order.id).desc()).offset(offset).limit(limit))
    return OrderPage(cards=tuple(card_view(o, n, failed) for o, n, failed in rows), total=total, offset=offset,
                     limit=limit)


def filter_options(session: Session, *, principal: Principal) -> dict[str, tuple[tuple[str, str], ...]]:
    """Choices for the filters: every customer and owner for staff, a reseller's (or partner's)
    own customers, nothing for a customer (its scope is one customer)."""
    if not principal.is_staff:
        if principal.role in (Role.RESELLER, Role.PARTNER) and principal.reseller_id is not None:
            rows = session.exec(select(Customer.id, Customer.name).where(Customer.reseller_id == principal.reseller_id)
                                .order_by(Customer.name)).all()
            return {"customers": tuple((str(i), n) for i, n in rows), "owners": ()}
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
