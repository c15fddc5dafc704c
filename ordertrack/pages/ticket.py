"""The ticket page (``/tickets/<id>``): a ticket's thread, where staff and the customer reply, and
the status buttons (staff) for the moves its status has. Opened from the order's Tickets tab or a
link in a mail; another tenant's ticket is simply "not found"."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.i18n import _
from ordertrack.i18n.ui import T
from ordertrack.pages.frame import page
from ordertrack.pages.order.common import fmt
from ordertrack.services import tickets
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput, NotFound

TICKET = "/tickets/[id]"


def ticket_url(ticket_id: int) -> str:
    """The page of one ticket."""
    return f"/tickets/{int(ticket_id)}"


class TicketState(AppState):
    """One ticket, loaded only by the guarded ``load`` (starts empty: nothing leaks on hydrate)."""

    state: str = "loading"  # loading | found | missing
    ticket_id: str = ""
    subject: str = ""
    status: str = ""
    status_label: str = ""
    order_number: str = ""
    order_href: str = ""
    customer: str = ""
    created: str = ""
    thread: list[dict[str, str]] = []
    moves: list[dict[str, str]] = []
    can_edit: bool = False
    reply_error: str = ""
    _ticket_id: int = 0

    def _fetch(self, ticket_id: int) -> None:
        principal = current_principal()
        with session_scope() as session:
            detail = tickets.get_ticket(session, principal=principal, ticket_id=ticket_id)
        t = detail.ticket
        self._ticket_id, self.ticket_id = t.id, str(t.id)
        self.subject, self.status, self.status_label = t.subject, t.status, _(tickets.STATUSES[t.status])
        self.order_number = detail.order_number
        self.order_href = routes.order_url(detail.order_number) + "?tab=tickets" if detail.order_number else ""
        self.customer, self.created = detail.customer, fmt(t.created_at)
        self.thread = [{"who": who, "at": fmt(at), "body": body} for who, body, at in t.messages]
        self.can_edit = principal.is_staff
        self.moves = [{"target": to, "label": _(label)} for to, label in tickets.moves(t.status)] \
            if principal.is_staff else []
        self.state = "found"

    @rx.event
    @guard()
    def load(self):
        """Load the ticket named in the address."""
        self.reply_error = ""
        try:
            self._fetch(coerce_int(self.router.page.params.get("id", ""), name="Ticket", minimum=1))
        except (NotFound, BadInput):
            self.reset()
            self.state = "missing"

    @rx.event
    @guard()
    def send_reply(self, form_data: dict):
        """Add a reply to the thread (staff and the ticket's customer)."""
        if not isinstance(form_data, dict) or not self._ticket_id:
            raise BadInput("Nothing to reply to.")
        body = coerce_str(form_data.get("body"), name="Reply", max_len=20000)
        if not body:
            self.reply_error = _(tickets.REPLY_REQUIRED)
            return None
        with session_scope() as session:
            tickets.reply(session, principal=current_principal(), ticket_id=self._ticket_id, body=body,
                          now=get_clock().now())
        self.reply_error = ""
        self._fetch(self._ticket_id)
        return rx.toast.success(_("Reply sent."))

    @rx.event
    @guard(staff=True)
    def set_status(self, target: str):
        """Put the ticket on hold, close, resume or reopen it (only the moves its status has)."""
        target = coerce_str(target, name="Status", max_len=10)
        if target not in {m["target"] for m in self.moves}:
            raise BadInput("That change is not available.")
        with session_scope() as session:
            tickets.set_status(session, principal=current_principal(), ticket_id=self._ticket_id, status=target,
                               now=get_clock().now(), calendar=business_calendar())
        self._fetch(self._ticket_id)
        return rx.toast.success(_("Ticket updated."))


def _entry(m: rx.Var) -> rx.Component:
    staff = m["who"] == ""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(rx.cond(staff, T("Support team"), m["who"]), weight="medium", size="2"), rx.spacer(),
                      rx.text(m["at"], size="1", color_scheme="gray"), width="100%"),
            rx.text(m["body"], size="2", white_space="pre-wrap"),
            spacing="1",
            width="100%",
        ),
        width="100%",
        data_entry=m["body"],
    )


def _found() -> rx.Component:
    s = TicketState
    return rx.vstack(
        rx.hstack(rx.heading("#", s.ticket_id, " ", s.subject, size="6", id="ticket-subject"),
                  rx.badge(s.status_label, variant="soft", size="2", id="ticket-status", data_status=s.status),
                  align="center", spacing="3", wrap="wrap"),
        rx.hstack(
            rx.cond(s.order_number != "", rx.link(T("Order {number}", number=s.order_number), href=s.order_href)),
            rx.text(s.customer, color_scheme="gray"),
            rx.text(T("opened {at}", at=s.created), color_scheme="gray", size="2"),
            spacing="3", align="center", wrap="wrap",
        ),
        rx.cond(s.moves.length() > 0, rx.hstack(
            rx.foreach(s.moves, lambda m: rx.button(m["label"], variant="soft", on_click=s.set_status(m["target"]))),
            spacing="2", id="ticket-moves")),
        rx.vstack(rx.foreach(s.thread, _entry), width="100%", spacing="2", id="ticket-thread"),
        rx.form(
            rx.vstack(
                rx.el.label(T("Your reply"), html_for="ticket-reply"),
                rx.text_area(id="ticket-reply", name="body", rows="4", width="100%"),
                rx.cond(s.reply_error != "", rx.text(s.reply_error, color_scheme="red", role="alert")),
                rx.button(T("Send reply"), type="submit"),
                width="100%",
                spacing="2",
            ),
            on_submit=s.send_reply,
            reset_on_submit=True,
            width="100%",
        ),
        spacing="4",
        width="100%",
        max_width="860px",
    )


def ticket_page() -> rx.Component:
    """A ticket with its thread and the reply form."""
    return page(
        rx.match(
            TicketState.state,
            ("found", _found()),
            ("missing", rx.callout(T("Ticket not found."), icon="search-x", color_scheme="gray", id="ticket-missing",
                                   margin_top="1em")),
            rx.center(rx.spinner(size="3"), padding="3em"),
        ),
    )
