"""Order communication (seed 03): follow-ups and replies sent as e-mail through the outbox,
comments (customers see only client-viewable ones), subscriptions, assignment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ordertrack.db.message_models import OrderMessage, Subscription
from ordertrack.db.models import Customer, Order, User
from ordertrack.domain.access import Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.i18n import N_
from ordertrack.i18n.notes import note_template
from ordertrack.services import notifications, order_moves
from ordertrack.services.errors import BadInput, Forbidden, NotFound

NOTES = {  # the order's history row for a message (stored in English, read in the reader's language)
    "followup": note_template(N_("Follow-up sent to {to}: {subject}")),
    "reply": note_template(N_("Reply sent to {to}: {subject}")),
    "comment": note_template(N_("Client-viewable comment added: {subject}")),
    "internal": note_template(N_("Internal comment added: {subject}")),
}

KINDS = ("followup", "reply", "comment")
TEMPLATES = {
    "none": ("", ""),
    "thanks": (N_("Thank you for your order"),
               N_("Thank you for your order. We are working on it and will keep you posted.")),
    "waiting": (N_("We need information"), N_("We are waiting for information from you before we can continue.")),
    "scheduled": (N_("Installation scheduled"),
                  N_("Your installation is scheduled. We will confirm the date by e-mail.")),
}


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    kind: str
    author: str
    to: str
    subject: str
    body: str
    client_viewable: bool
    at: datetime


def _order(session: Session, principal: Principal, order_id: int) -> tuple[Order, Customer]:
    row = session.exec(select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
                       .where(Order.id == order_id)).first()
    if row is None or not principal.can_see(customer_id=row[1].id, reseller_id=row[1].reseller_id):
        raise NotFound("Order not found.")
    return row


def list_messages(session: Session, *, principal: Principal, order_id: int) -> tuple[MessageView, ...]:
    """Newest first; tenant users see only client-viewable comments and the e-mails sent to them, and
    no staff names (``author`` is "" for a staff author: the page says "Support team")."""
    _order(session, principal, order_id)
    query = select(OrderMessage).where(OrderMessage.order_id == order_id)
    if not principal.is_staff:
        query = query.where(col(OrderMessage.client_viewable).is_(True))
    rows = session.exec(query.order_by(col(OrderMessage.created_at).desc(), col(OrderMessage.id).desc())).all()
    staff = set() if principal.is_staff else _staff_ids(session, {r.author_id for r in rows})
    return tuple(MessageView(id=r.id, kind=r.kind, author="" if r.author_id in staff else r.author_name,
                             to=r.to_addr, subject=r.subject, body=r.body, client_viewable=r.client_viewable,
                             at=r.created_at) for r in rows)


def _staff_ids(session: Session, user_ids: set[int | None]) -> set[int]:
    """Which authors are staff: customers read "the support team", never a staff member's name."""
    from ordertrack.services.customer_view import staff_user_ids

    return staff_user_ids(session, user_ids)


def is_subscribed(session: Session, *, principal: Principal, order_id: int) -> bool:
    if principal.user_id is None:
        return False
    return session.exec(select(Subscription).where(Subscription.order_id == order_id,
                                                   Subscription.user_id == principal.user_id)).first() is not None


def set_subscription(session: Session, *, principal: Principal, order_id: int, subscribed: bool) -> None:
    """Subscribe or unsubscribe the principal (staff) to an order."""
    if not principal.is_staff or principal.user_id is None:
        raise Forbidden("Only staff subscribe to orders.")
    _order(session, principal, order_id)
    row = session.exec(select(Subscription).where(Subscription.order_id == order_id,
                                                  Subscription.user_id == principal.user_id)).first()
    if subscribed and row is None:
        session.add(Subscription(order_id=order_id, user_id=principal.user_id))
    elif not subscribed and row is not None:
        session.delete(row)
    session.flush()


def post(session: Session, *, principal: Principal, order_id: int, kind: str, body: str, now: datetime,
         calendar: BusinessCalendar, base_url: str, to: str = "", subject: str = "", client_viewable: bool = False,
         assign_to: int | None = None, subscribe: bool = False, expected_version: int | None = None,
         attachment_ids: list[int] | None = None, attachments_dir: str = "") -> int:
    """Send a follow-up/reply (an e-mail to ``to``) or add a comment; subscribers get a copy.

    Optionally assigns the order to a staff member (history) and subscribes the author.
    """
    if not principal.is_staff:
        raise Forbidden("Only staff post on orders.")
    if kind not in KINDS:
        raise BadInput("Unknown message kind.")
    body, subject, to = (body or "").strip(), (subject or "").strip(), (to or "").strip()
    if not body:
        raise BadInput("The message needs a body.")
    if len(body) > 20000 or len(subject) > 300:
        raise BadInput("The message is too long.")
    if kind != "comment" and ("@" not in to or " " in to or len(to) > 320):
        raise BadInput("Enter the e-mail address to send to.")
    order, customer = _order(session, principal, order_id)
    from pathlib import Path

    from ordertrack.services import attachments

    files_rows = attachments.pending(session, principal=principal, order_id=order.id,
                                     attachment_ids=list(attachment_ids or []))
    message = OrderMessage(order_id=order.id, kind=kind, author_id=principal.user_id, author_name=principal.display_name,
                           to_addr=to if kind != "comment" else "", subject=subject or f"Order {order.number}",
                           body=body, client_viewable=client_viewable or kind != "comment", created_at=now)
    session.add(message)
    session.flush()
    if files_rows:
        attachments.attach_to_message(session, order_id=order.id, message_id=message.id,
                                      attachment_ids=[a.id for a in files_rows])
    files = attachments.files_for_mail(files_rows, folder=Path(attachments_dir or "."))
    recipients = [("customer" if to.lower() == customer.contact_email.lower() else "user", to)] if kind != "comment" \
        else []
    subscribers = session.exec(select(User.email).join(Subscription, Subscription.user_id == User.id)
                               .where(Subscription.order_id == order.id, Subscription.user_id != principal.user_id))
    recipients += [("subscriber", email) for email in subscribers.all() if email]
    if recipients:
        notifications.enqueue(session, event="order_message", order_id=order.id, recipients=recipients, now=now,
                              variables={"subject": message.subject, "message": body,
                                         "sender": principal.display_name, "order_number": order.number,
                                         "order_name": order.name,
                                         "order_link": f"{base_url.rstrip('/')}/orders/{order.number}"},
                              files=files)
    note = NOTES["comment" if message.client_viewable else "internal"] if kind == "comment" else NOTES[kind]
    order_moves.add_note(session, principal=principal, order_id=order.id,
                    expected_version=order.version if expected_version is None else expected_version,
                    comment=note.format(to=to, subject=message.subject), now=now, calendar=calendar,
                    internal=kind == "comment" and not message.client_viewable)
    if expected_version is not None:
        expected_version += 1
    session.refresh(order)
    if subscribe:
        set_subscription(session, principal=principal, order_id=order.id, subscribed=True)
    if assign_to is not None and assign_to != order.owner_id:
        owner = session.get(User, assign_to)
        if owner is None or owner.role not in ("operator", "support", "manager", "admin"):
            raise BadInput("Assign the order to a staff member.")
        order_moves.update_planning(session, principal=principal, order_id=order.id,
                               expected_version=order.version,
                               change=order_moves.PlanningChange(order.requested_completion, order.planned_completion,
                                                            assign_to, order.priority), now=now, calendar=calendar)
    return message.id
