"""The home page's figures, per role (issue #18.9): a customer's (reseller's, partner's) orders
awaiting approval, failed ones and counts per phase; an operator's queue steps and overdue
tasks; a manager's SLA breaches and failures. Each figure says which list stands behind it
(the page makes the link); each list shows at most ``SHOWN`` of its entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ordertrack.db.models import Customer, Order
from ordertrack.db.notify_models import OrderFailure
from ordertrack.domain.access import Principal
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import ORDER_WORKFLOW
from ordertrack.services import order_manager, process_run, provisioning, sla
from ordertrack.services.order_views import OPEN_PHASES, has_open_failure, scope_orders

SHOWN = 5
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Figure:
    """A count with its label; ``key`` names the list behind it (a phase, a queue step)."""

    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Line:
    """One entry of a short list: an order (``number``) or a task on one."""

    number: str
    title: str
    detail: str


@dataclass(frozen=True, slots=True)
class Section:
    """A short list and how many entries it has in all."""

    total: int
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Home:
    """What the home page shows this principal; a section is None when the role has none."""

    view: str  # "customer" | "operator" | "manager"
    phases: tuple[Figure, ...]
    awaiting: Section | None
    failed: Section | None
    queue_steps: tuple[Figure, ...]
    overdue: Section | None
    breaches: Section | None


def view_of(principal: Principal) -> str:
    """Which home the principal sees."""
    if not principal.is_staff:
        return "customer"
    return "manager" if principal.role in MANAGERS else "operator"


def _orders(session: Session, principal: Principal, *conditions) -> Section:
    query = scope_orders(select(Order, Customer.name).join(Customer, Customer.id == Order.customer_id), principal)
    query = query.where(*conditions)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Order.phase_since), col(Order.id)).limit(SHOWN)).all()
    return Section(total, tuple(Line(o.number, o.name, name) for o, name in rows))


def phase_counts(session: Session, *, principal: Principal) -> tuple[Figure, ...]:
    """How many of the principal's orders stand in each phase (every phase, zeros included)."""
    query = scope_orders(select(Order.phase, func.count()).join(Customer, Customer.id == Order.customer_id),
                         principal).group_by(Order.phase)
    counts = dict(session.exec(query).all())
    return tuple(Figure(s.key, s.label, counts.get(s.key, 0)) for s in ORDER_WORKFLOW.statuses)


def awaiting_approval(session: Session, *, principal: Principal) -> Section:
    """Orders in Customer Validation (the customer approves them), the longest waiting first."""
    return _orders(session, principal, Order.phase == "validation")


def failed_orders(session: Session, *, principal: Principal) -> Section:
    """Orders with an unresolved provisioning failure (the "!" mark)."""
    return _orders(session, principal, has_open_failure())


def breached_orders(session: Session, *, principal: Principal) -> Section:
    """Open orders whose SLA clock passed its target (warned at 100 %)."""
    return _orders(session, principal, col(Order.phase).in_(OPEN_PHASES + ("validation",)),
                   sla.warned_at_least(100))


def open_failures(session: Session, *, principal: Principal) -> Section:
    """Open and claimed provisioning failures, the nearest deadline first."""
    query = scope_orders(select(OrderFailure, Order, Customer.name).join(Order, Order.id == OrderFailure.order_id)
                         .join(Customer, Customer.id == Order.customer_id), principal)
    query = query.where(col(OrderFailure.state).in_(provisioning.OPEN_STATES))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(OrderFailure.due_at)).limit(SHOWN)).all()
    return Section(total, tuple(Line(o.number, o.name, name) for _f, o, name in rows))


def queue_steps(session: Session, *, principal: Principal) -> tuple[Figure, ...]:
    """Every step of an order queue that has orders in it ("Queue › Step")."""
    figures = []
    for node in order_manager.by_queue(session, principal=principal):
        figures += [Figure(f"{node.key}:{step.key}", f"{node.label} › {step.label}", step.count)
                    for step in node.steps if step.count and step.key != order_manager.COMPLETE]
    return tuple(figures)


def overdue(session: Session, *, principal: Principal, now: datetime) -> Section:
    """Open process tasks past their alarm hours."""
    tasks = process_run.overdue_tasks(session, principal=principal, now=now)
    return Section(len(tasks), tuple(Line(t.subject, t.name, t.overdue_by) for t in tasks[:SHOWN]))


def home(session: Session, *, principal: Principal, now: datetime) -> Home:
    """The principal's home: the figures of its role, all read in one transaction."""
    view = view_of(principal)
    if view == "customer":
        return Home(view, phase_counts(session, principal=principal), awaiting_approval(session, principal=principal),
                    failed_orders(session, principal=principal), (), None, None)
    over = overdue(session, principal=principal, now=now)
    if view == "manager":
        return Home(view, phase_counts(session, principal=principal), None, open_failures(session, principal=principal),
                    (), over, breached_orders(session, principal=principal))
    failed = open_failures(session, principal=principal) if principal.role in provisioning.SUPPORT_ROLES else None
    return Home(view, (), None, failed, queue_steps(session, principal=principal), over, None)
