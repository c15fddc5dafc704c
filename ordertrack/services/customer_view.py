"""What the order page shows beyond the order itself (issue #18 "what customers see"): the
items' prices and the order's value (seed 02), and the history as a customer, reseller or
partner may read it.

Customers see no staff names: a row or message written by staff reads as the support team
("" here; the page names it). They see no internal comments: rows marked internal are left out
(issue #12.6) and a staff member's note that is not a move (process tasks, planning, client
association) keeps its move but not its text, except the notes about the customer's own
messages and tickets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ordertrack.db.models import OrderItem, StatusChange, User
from ordertrack.domain.access import Principal
from ordertrack.domain.pricing import CURRENCY, line_total
from ordertrack.domain.roles import STAFF_ROLES
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus

# Notes of staff that customers may read (written by services/messages.py and tickets.py).
CUSTOMER_NOTES = ("Follow-up sent to ", "Reply sent to ", "Client-viewable comment added", "Ticket #")


@dataclass(frozen=True, slots=True)
class PricedItem:
    id: int
    price_cents: int
    quantity: int
    total_cents: int


@dataclass(frozen=True, slots=True)
class Prices:
    currency: str
    items: dict[int, PricedItem]
    total_cents: int


def prices(session: Session, *, order_id: int) -> Prices:
    """Every item's unit price, quantity and line total, and the order's value."""
    rows = session.exec(select(OrderItem).where(OrderItem.order_id == order_id)).all()
    items = {r.id: PricedItem(r.id, r.price_cents or 0, r.quantity, line_total(r.price_cents or 0, r.quantity))
             for r in rows}
    return Prices(CURRENCY, items, sum(i.total_cents for i in items.values()))


def staff_user_ids(session: Session, user_ids: Iterable[int | None]) -> set[int]:
    """Which of ``user_ids`` are staff."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return set()
    roles = [r.value for r in STAFF_ROLES]
    return set(session.exec(select(User.id).where(col(User.id).in_(ids), col(User.role).in_(roles))).all())


@dataclass(frozen=True, slots=True)
class HistoryRow:
    at: datetime
    who: str  # "" for the support team
    from_label: str
    to_label: str
    status_label: str
    comment: str


def customer_history(session: Session, *, principal: Principal, order_id: int) -> tuple[HistoryRow, ...]:
    """The order's history as a tenant user reads it (the caller has checked the order is theirs)."""
    rows = session.exec(select(StatusChange).where(
        StatusChange.entity_kind == "order", StatusChange.entity_id == order_id,
        col(StatusChange.internal).is_(False),
    ).order_by(col(StatusChange.at).desc(), col(StatusChange.id).desc())).all()
    staff = staff_user_ids(session, (r.actor_id for r in rows))

    def label(state: str | None) -> str:
        return ORDER_WORKFLOW.label(state) if state else ""

    out = []
    for r in rows:
        by_staff = r.actor_id in staff
        moved = (r.from_state or "") != r.to_state
        comment = r.comment if not by_staff or moved and "task “" not in r.comment or \
            r.comment.startswith(CUSTOMER_NOTES) else ""
        out.append(HistoryRow(at=r.at, who="" if by_staff else r.actor_name, from_label=label(r.from_state),
                              to_label=label(r.to_state),
                              status_label=OrderStatus(r.to_tracking).label if r.to_tracking else "",
                              comment=comment))
    return tuple(out)
