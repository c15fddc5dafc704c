"""Order page section: Tickets about the order (Open/On Hold, Closed), opening one, putting one on
hold, closing or reopening it, and running a Ticket process on it (staff)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from ordertrack.auth import coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import hidden, select, text_input
from ordertrack.db.engine import session_scope
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.pages.order.common import Snapshot, fmt
from ordertrack.pages.order.process import run_step, task_buttons
from ordertrack.pages.order.state import OrderState
from ordertrack.services import process_design, process_run, tickets
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput

THREAD_ENTRY = "{who} · {at}\n{body}"
SUPPORT_TEAM = N_("Support team")
RUN_STATUS = "{process}: {status}"


def read(session: Session, snap: Snapshot) -> dict[str, Any]:
    """The order's tickets with their threads, and (staff) their process runs and open tasks."""
    staff = snap.principal.is_staff
    found = tickets.tickets_of_order(session, principal=snap.principal, order_id=snap.order_id)
    runs = {t.id: process_run.run_view(session, entity_kind="ticket", entity_id=t.id) for t in found} if staff else {}
    return {
        "ticket_processes": [{"id": str(p.id), "name": p.name}
                             for p in process_design.startable(session, type="Ticket")] if staff else [],
        "ticket_tasks": [
            {"ticket": str(tid), "id": str(t.id), "name": t.name, "status": t.status,
             "open": "1" if t.status == "open" and ph.state == "current" else ""}
            for tid, view in runs.items() if view is not None for ph in view.phases for t in ph.tasks
        ],
        "tickets": [
            {"id": str(t.id), "subject": t.subject, "status": t.status, "status_label": _(tickets.STATUSES[t.status]),
             "href": f"/tickets/{t.id}",
             "group": "closed" if t.status == "closed" else "open", "created": fmt(t.created_at),
             "thread": "\n\n".join(THREAD_ENTRY.format(who=who or _(SUPPORT_TEAM), at=fmt(at), body=body)
                                   for who, body, at in t.messages),
             "process": RUN_STATUS.format(process=runs[t.id].process_name, status=runs[t.id].status)
             if runs.get(t.id) else ""}
            for t in found
        ],
        "ticket_moves": [{"ticket": str(t.id), "target": target, "label": _(label)}
                         for t in found for target, label in tickets.moves(t.status)] if staff else [],
    }


class TicketsState(OrderState):
    """The order's tickets and the tab shown."""

    tickets: list[dict[str, str]] = []
    ticket_moves: list[dict[str, str]] = []
    ticket_tasks: list[dict[str, str]] = []
    ticket_processes: list[dict[str, str]] = []
    ticket_tab: str = "open"

    def _read(self, session: Session, snap: Snapshot) -> dict[str, Any]:
        return read(session, snap)

    @rx.event
    @guard()
    async def set_ticket_tab(self, tab: str):
        """Open/On Hold Tickets or Closed Tickets."""
        tab = coerce_str(tab, name="Tickets", max_len=10)
        if tab not in ("open", "closed"):
            raise BadInput("Unknown list.")
        self.ticket_tab = tab

    @rx.event
    @guard()
    def new_ticket(self, form_data: dict):
        """Open a ticket about this order (clients and staff)."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Invalid form.")
        with session_scope() as session:
            tickets.open_ticket(session, principal=current_principal(), order_id=self._order_id,
                                subject=coerce_str(form_data.get("subject"), name="Subject", max_len=300),
                                body=coerce_str(form_data.get("body"), name="Message", max_len=20000),
                                now=get_clock().now(), calendar=business_calendar())
        self.ticket_tab = "open"
        return self._changed(_("Ticket opened."))

    @rx.event
    @guard(staff=True)
    def start_ticket_process(self, form_data: dict):
        """Start an active Ticket process on one of this order's tickets."""
        if not isinstance(form_data, dict):
            raise BadInput("Choose a process.")
        ticket_id = coerce_int(form_data.get("ticket_id"), name="Ticket", minimum=1)
        if str(ticket_id) not in {t["id"] for t in self.tickets}:
            raise BadInput("That ticket is not on this order.")
        run_step(process_run.start_run, entity_kind="ticket", entity_id=ticket_id,
                 process_id=coerce_int(form_data.get("process_id"), name="Process", minimum=1))
        return self._changed(_("Process started on the ticket."))

    @rx.event
    @guard(staff=True)
    def set_ticket_status(self, ticket_id: str, status: str):
        """Put on hold, close or reopen a ticket (staff)."""
        with session_scope() as session:
            tickets.set_status(session, principal=current_principal(),
                               ticket_id=coerce_int(ticket_id, name="Ticket", minimum=1),
                               status=coerce_str(status, name="Status", max_len=10), now=get_clock().now(),
                               calendar=business_calendar())
        return self._changed(_("Ticket updated."))


def _status_buttons(ticket_id: rx.Var) -> rx.Component:
    """One button per move the ticket's status has (staff)."""
    set_status = TicketsState.set_ticket_status
    return rx.hstack(rx.foreach(TicketsState.ticket_moves, lambda m: rx.cond(
        m["ticket"] == ticket_id,
        rx.button(m["label"], size="1", variant="ghost", on_click=set_status(ticket_id, m["target"])))))


def _task(t: rx.Var, k: rx.Var) -> rx.Component:
    return rx.cond(
        k["ticket"] == t["id"],
        rx.hstack(rx.text(k["name"], size="2"), rx.badge(k["status"], variant="outline"),
                  rx.cond(k["open"] == "1", task_buttons(k["id"])), align="center", data_task=k["name"]),
    )


def _start_process(t: rx.Var) -> rx.Component:
    s = TicketsState
    return rx.cond(s.can_edit & (t["process"] == "") & (s.ticket_processes.length() > 0), rx.form(
        rx.hstack(
            hidden("ticket_id", t["id"]),
            select("process_id", T("Ticket process"), s.ticket_processes),
            rx.button(T("Start process"), size="1", variant="soft", type="submit"),
        ),
        on_submit=s.start_ticket_process,
    ))


def _ticket(t: rx.Var) -> rx.Component:
    s = TicketsState
    return rx.cond(
        t["group"] == s.ticket_tab,
        rx.card(
            rx.vstack(
                rx.hstack(rx.link(rx.text("#", t["id"], " ", t["subject"], weight="bold"), href=t["href"]),
                          rx.badge(t["status_label"], variant="soft"), rx.spacer(),
                          rx.cond(s.can_edit, _status_buttons(t["id"])),
                          width="100%", align="center"),
                rx.text(t["thread"], size="2", white_space="pre-wrap"),
                rx.cond(t["process"] != "", rx.badge(t["process"], variant="soft", color_scheme="indigo")),
                rx.foreach(s.ticket_tasks, lambda k: _task(t, k)),
                _start_process(t),
                width="100%",
            ),
            width="100%",
            data_ticket=t["subject"],
        ),
    )


def section() -> rx.Component:
    """Tickets: the two tabs, the tickets of the tab shown, and the form to open one."""
    s = TicketsState
    return rx.vstack(
        rx.tabs.root(  # the tab list controls the list of tickets below it (the tab's tickets)
            rx.vstack(
                rx.hstack(
                    rx.heading(T("Tickets"), size="4"),
                    rx.tabs.list(rx.tabs.trigger(T("Open/On Hold Tickets"), value="open"),
                                 rx.tabs.trigger(T("Closed Tickets"), value="closed")),
                    align="center",
                ),
                *[rx.tabs.content(rx.vstack(rx.foreach(s.tickets, _ticket), spacing="2", width="100%"), value=v,
                                  width="100%") for v in ("open", "closed")],
                spacing="2",
                width="100%",
            ),
            value=s.ticket_tab,
            on_change=s.set_ticket_tab,
            width="100%",
        ),
        rx.form(
            rx.hstack(
                text_input("subject", T("Ticket subject")),
                text_input("body", T("Ticket message"), placeholder=T("Message"), width="320px"),
                rx.button(T("Open ticket"), type="submit", variant="soft"),
                wrap="wrap",
            ),
            on_submit=s.new_ticket,
            reset_on_submit=True,
        ),
        width="100%",
        spacing="2",
    )
