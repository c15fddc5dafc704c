"""Orders, read side: tenant-scoped, frozen views of orders (cards, pages, the order page),
client search and the staff who may own orders. Every write is in ``order_moves``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, or_
from sqlmodel import Session, col, select

from ordertrack.db.models import Customer, Order, OrderItem, StatusChange, User
from ordertrack.db.notify_models import OrderFailure
from ordertrack.domain import engine
from ordertrack.domain.access import Principal
from ordertrack.domain.tracking import EXCLUDED_ITEM_KINDS
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import _
from ordertrack.services import sla
from ordertrack.services.errors import BadInput, Forbidden, NotFound

ENTITY = "order"  # the entity kind of an order's history rows
PRIORITIES = ("low", "normal", "high", "urgent")
PAGE_SIZE_MAX = 200
OPEN_PHASES = ("planning", "execution")


@dataclass(frozen=True, slots=True)
class OrderCard:
    """One order as a list or board shows it."""

    id: int
    number: str
    name: str
    customer_name: str
    phase: str
    phase_label: str
    status: str
    status_label: str
    phase_since: datetime
    due_kind: str | None
    due_at: datetime | None
    priority: str
    version: int
    failed: bool = False


@dataclass(frozen=True, slots=True)
class OrderPage:
    """A page of cards and the total that matched."""

    cards: tuple[OrderCard, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class ItemView:
    id: int
    kind: str
    name: str
    status: str
    counts: bool


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row of an order's timeline."""

    at: datetime
    actor_name: str
    from_label: str
    to_label: str
    from_status_label: str
    to_status_label: str
    comment: str


@dataclass(frozen=True, slots=True)
class MoveOption:
    """A move the viewer may make now."""

    target: str
    label: str
    needs_comment: bool
    irreversible: bool


@dataclass(frozen=True, slots=True)
class OrderDetail:
    """The order page: card, dates, items, history and the viewer's moves."""

    card: OrderCard
    requested_completion: date | None
    planned_completion: date | None
    owner_id: int | None
    owner_name: str
    items: tuple[ItemView, ...]
    history: tuple[HistoryEntry, ...]
    moves: tuple[MoveOption, ...]

def scope_orders(query, principal: Principal):
    """Restrict an Order query (joined with Customer) to what ``principal`` may see."""
    if principal.is_staff:
        return query
    if principal.role == "customer":
        return query.where(Order.customer_id == (principal.customer_id or -1))
    if principal.role in ("reseller", "partner"):
        return query.where(Customer.reseller_id == (principal.reseller_id or -1))
    return query.where(False)


def card_view(order: Order, customer_name: str, failed: bool = False) -> OrderCard:
    return OrderCard(
        id=order.id,
        number=order.number,
        name=order.name,
        customer_name=customer_name,
        phase=order.phase,
        phase_label=ORDER_WORKFLOW.label(order.phase),
        status=order.status,
        status_label=OrderStatus(order.status).label,
        phase_since=order.phase_since,
        due_kind=order.due_kind,
        due_at=order.due_at,
        priority=order.priority,
        version=order.version,
        failed=bool(failed),
    )


def list_orders(
    session: Session,
    *,
    principal: Principal,
    phase: str | None = None,
    search: str = "",
    offset: int = 0,
    limit: int = 50,
    failed: bool = False,
    breached: bool = False,
) -> OrderPage:
    """Orders the principal may see, newest first, optionally in one phase or matching a search;
    ``failed``: only those with an unresolved provisioning failure; ``breached``: only open ones
    past their SLA target (the home page's lists)."""
    if phase is not None and phase not in {s.key for s in ORDER_WORKFLOW.statuses}:
        raise BadInput(_("Unknown phase “{phase}”.").format(phase=phase))
    limit = max(1, min(int(limit), PAGE_SIZE_MAX))
    offset = max(0, int(offset))
    query = select(Order, Customer.name, has_open_failure().label("failed")).join(
        Customer, Customer.id == Order.customer_id)
    query = scope_orders(query, principal)
    if phase:
        query = query.where(Order.phase == phase)
    if failed:
        query = query.where(has_open_failure())
    if breached:
        query = query.where(col(Order.phase).in_(OPEN_PHASES + ("validation",)), sla.warned_at_least(100))
    search = (search or "").strip()[:100]
    if search:
        like = f"%{search.lower()}%"
        query = query.where(or_(func.lower(Order.number).like(like), func.lower(Order.name).like(like)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Order.created_at).desc(), col(Order.id).desc()).offset(offset).limit(limit))
    return OrderPage(cards=tuple(card_view(o, name, failed) for o, name, failed in rows), total=total, offset=offset,
                     limit=limit)


def has_open_failure():
    """SQL: the order has an unresolved provisioning failure (the "!" mark in every list)."""
    return exists().where(OrderFailure.order_id == Order.id, col(OrderFailure.state).in_(("open", "claimed")))


def _load_visible(session: Session, *, principal: Principal, number: str) -> tuple[Order, Customer]:
    number = (number or "").strip()[:40]
    row = session.exec(
        select(Order, Customer).join(Customer, Customer.id == Order.customer_id).where(Order.number == number)
    ).first()
    if row is None or not principal.can_see(customer_id=row[1].id, reseller_id=row[1].reseller_id):
        raise NotFound("Order not found.")
    return row


def get_order(session: Session, *, principal: Principal, number: str, now: datetime) -> OrderDetail:
    """The order page for ``number``.

    Raises:
        NotFound: no such order, or the principal may not see it (the same answer, so
            nothing leaks about other tenants).
    """
    order, customer = _load_visible(session, principal=principal, number=number)
    items = session.exec(select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)).all()
    kinds = (ENTITY, "sla") if principal.is_staff else (ENTITY,)  # staff also see the SLA clock's rows
    history = select(StatusChange).where(col(StatusChange.entity_kind).in_(kinds), StatusChange.entity_id == order.id)
    if not principal.is_staff:
        history = history.where(col(StatusChange.internal).is_(False))
    changes = session.exec(history.order_by(  # a move above its effects at the same moment
        col(StatusChange.at).desc(), col(StatusChange.entity_kind), col(StatusChange.id).desc())).all()
    owner = session.get(User, order.owner_id) if order.owner_id else None

    def label(state: str | None) -> str:
        return ORDER_WORKFLOW.label(state) if state else ""

    def status_label(status: str | None) -> str:
        return OrderStatus(status).label if status else ""

    moves = engine.available(
        ORDER_WORKFLOW, current=order.phase, roles=principal.roles, status_since=order.phase_since, now=now
    )
    return OrderDetail(
        card=card_view(order, customer.name),
        requested_completion=order.requested_completion,
        planned_completion=order.planned_completion,
        owner_id=order.owner_id,
        owner_name=owner.display_name if owner else "",
        items=tuple(
            ItemView(id=i.id, kind=i.kind, name=i.name, status=i.status, counts=i.kind not in EXCLUDED_ITEM_KINDS)
            for i in items
        ),
        history=tuple(
            HistoryEntry(
                at=c.at,
                actor_name=c.actor_name,
                from_label=label(c.from_state),
                to_label=label(c.to_state),
                from_status_label=status_label(c.from_tracking),
                to_status_label=status_label(c.to_tracking),
                comment=c.comment,
            )
            for c in changes
        ),
        moves=tuple(
            MoveOption(
                target=t.target,
                label=t.label or _("Move to {phase}").format(phase=ORDER_WORKFLOW.label(t.target)),
                needs_comment=t.needs_comment,
                irreversible=ORDER_WORKFLOW.is_terminal(t.target),
            )
            for t in moves
        ),
    )

def staff_users(session: Session) -> tuple[tuple[int, str], ...]:
    """(id, name) of users who may own orders."""
    rows = session.exec(
        select(User.id, User.display_name)
        .where(col(User.role).in_(["operator", "support", "manager", "admin"]), col(User.active).is_(True))
        .order_by(User.display_name)
    ).all()
    return tuple((r[0], r[1]) for r in rows)

@dataclass(frozen=True, slots=True)
class ClientHit:
    id: int
    name: str
    email: str


def search_clients(session: Session, *, principal: Principal, by: str, text: str) -> tuple[ClientHit, ...]:
    """Clients by name, e-mail or id (staff), at most 20."""
    if not principal.is_staff:
        raise Forbidden("Only staff associate orders with clients.")
    text = (text or "").strip()[:100]
    if not text:
        raise BadInput("Enter what to search for.")
    query = select(Customer)
    if by == "id":
        if not text.isdigit():
            raise BadInput("A client id is a number.")
        query = query.where(Customer.id == int(text))
    elif by == "email":
        query = query.where(func.lower(Customer.contact_email).like(f"%{text.lower()}%"))
    elif by == "name":
        query = query.where(func.lower(Customer.name).like(f"%{text.lower()}%"))
    else:
        raise BadInput("Search by name, e-mail or id.")
    return tuple(ClientHit(c.id, c.name, c.contact_email) for c in session.exec(query.order_by(Customer.name).limit(20)))
