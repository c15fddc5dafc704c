"""Tickets linked to orders (seed 03: Open/On Hold Tickets and Closed Tickets of an order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ordertrack.db.message_models import Ticket, TicketMessage
from ordertrack.db.models import Customer, Order, User
from ordertrack.domain.access import Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.roles import STAFF_ROLES
from ordertrack.i18n import N_, _
from ordertrack.i18n.notes import note_template
from ordertrack.services import order_moves
from ordertrack.services.errors import BadInput, NotFound

STATUSES = {"open": N_("Open"), "on_hold": N_("On Hold"), "closed": N_("Closed")}
# The order's history rows for a ticket (stored in English, read in the reader's language).
OPENED_NOTE = note_template(N_("Ticket #{id} opened: {subject}"))
STATUS_NOTES = {"open": note_template(N_("Ticket #{id} open")), "on_hold": note_template(N_("Ticket #{id} on hold")),
                "closed": note_template(N_("Ticket #{id} closed"))}
# The moves a ticket's status has (staff): (from, to) → the button's label.
MOVES = {
    ("open", "on_hold"): N_("Put on hold"), ("open", "closed"): N_("Close"),
    ("on_hold", "open"): N_("Resume"), ("on_hold", "closed"): N_("Close"),
    ("closed", "open"): N_("Reopen"),
}
NO_SUCH_MOVE = N_("A ticket that is {status} cannot become {target}.")
REPLY_REQUIRED = N_("Write a reply first.")


@dataclass(frozen=True, slots=True)
class TicketView:
    id: int
    subject: str
    status: str
    created_at: datetime
    messages: tuple[tuple[str, str, datetime], ...]


def _order(session: Session, principal: Principal, order_id: int) -> Order:
    row = session.exec(select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
                       .where(Order.id == order_id)).first()
    if row is None or not principal.can_see(customer_id=row[1].id, reseller_id=row[1].reseller_id):
        raise NotFound("Order not found.")
    return row[0]


def tickets_of_order(session: Session, *, principal: Principal, order_id: int) -> tuple[TicketView, ...]:
    """Every ticket of the order with its messages, newest first."""
    _order(session, principal, order_id)
    found = session.exec(select(Ticket).where(Ticket.order_id == order_id).order_by(col(Ticket.id).desc())).all()
    return tuple(_view(session, principal, t) for t in found)


def _staff_names(session: Session, names: set[str]) -> set[str]:
    """Which author names are staff members' (a ticket message keeps its author's name only)."""
    if not names:
        return set()
    roles = [r.value for r in STAFF_ROLES]
    return set(session.exec(select(User.display_name).where(col(User.display_name).in_(names),
                                                            col(User.role).in_(roles))).all())


def _view(session: Session, principal: Principal, t: Ticket) -> TicketView:
    """The ticket with its thread; tenant users read "" (the support team) for a staff author."""
    msgs = session.exec(select(TicketMessage).where(TicketMessage.ticket_id == t.id).order_by(TicketMessage.id)).all()
    staff = set() if principal.is_staff else _staff_names(session, {m.author_name for m in msgs})
    return TicketView(t.id, t.subject, t.status, t.created_at,
                      tuple(("" if m.author_name in staff else m.author_name, m.body, m.created_at) for m in msgs))


def open_ticket(session: Session, *, principal: Principal, order_id: int, subject: str, body: str,
                now: datetime, calendar: BusinessCalendar) -> int:
    """A client or staff opens a ticket about an order."""
    order = _order(session, principal, order_id)
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise BadInput("A ticket needs a subject and a message.")
    if len(subject) > 300 or len(body) > 20000:
        raise BadInput("The ticket is too long.")
    ticket = Ticket(order_id=order.id, customer_id=order.customer_id, subject=subject, created_at=now)
    session.add(ticket)
    session.flush()
    session.add(TicketMessage(ticket_id=ticket.id, author_name=principal.display_name, body=body, created_at=now))
    session.flush()
    order_moves.add_note(session, principal=principal, order_id=order.id, expected_version=order.version,
                    comment=OPENED_NOTE.format(id=ticket.id, subject=subject), now=now, calendar=calendar)
    return ticket.id


def set_status(session: Session, *, principal: Principal, ticket_id: int, status: str, now: datetime,
               calendar: BusinessCalendar) -> None:
    """Staff put a ticket on hold, close or reopen it."""
    if not principal.is_staff:
        raise BadInput("Only staff change a ticket's status.")
    if status not in STATUSES:
        raise BadInput("Unknown ticket status.")
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.order_id is None:
        raise NotFound("Ticket not found.")
    order = _order(session, principal, ticket.order_id)
    if ticket.status == status:
        return
    if (ticket.status, status) not in MOVES:
        raise BadInput(_(NO_SUCH_MOVE).format(status=_(STATUSES[ticket.status]).lower(),
                                              target=_(STATUSES[status]).lower()))
    ticket.status = status
    session.add(ticket)
    session.flush()
    order_moves.add_note(session, principal=principal, order_id=order.id, expected_version=order.version,
                    comment=STATUS_NOTES[status].format(id=ticket.id), now=now, calendar=calendar)


def moves(status: str) -> list[tuple[str, str]]:
    """(target, label) of the moves a ticket in ``status`` has."""
    return [(to, label) for (frm, to), label in MOVES.items() if frm == status]


@dataclass(frozen=True, slots=True)
class TicketDetail:
    ticket: TicketView
    order_number: str
    customer: str


def get_ticket(session: Session, *, principal: Principal, ticket_id: int) -> TicketDetail:
    """One ticket with its thread, for staff and the ticket's own tenant (NotFound otherwise)."""
    ticket = session.get(Ticket, ticket_id)
    customer = session.get(Customer, ticket.customer_id) if ticket is not None else None
    if ticket is None or customer is None or \
            not principal.can_see(customer_id=customer.id, reseller_id=customer.reseller_id):
        raise NotFound("Ticket not found.")
    order = session.get(Order, ticket.order_id) if ticket.order_id else None
    return TicketDetail(_view(session, principal, ticket), order.number if order else "", customer.name)


def reply(session: Session, *, principal: Principal, ticket_id: int, body: str, now: datetime) -> None:
    """Staff or the ticket's customer add a message to its thread. A customer's reply to a closed
    ticket reopens it (they are still waiting for help)."""
    detail = get_ticket(session, principal=principal, ticket_id=ticket_id)
    body = (body or "").strip()
    if not body:
        raise BadInput(_(REPLY_REQUIRED))
    if len(body) > 20000:
        raise BadInput("The ticket is too long.")
    session.add(TicketMessage(ticket_id=detail.ticket.id, author_name=principal.display_name, body=body,
                              created_at=now))
    if not principal.is_staff and detail.ticket.status == "closed":
        ticket = session.get(Ticket, detail.ticket.id)
        ticket.status = "open"
        session.add(ticket)
    session.flush()
