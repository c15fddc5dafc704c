"""Order page section: dates and ownership (requested/planned completion, owner, priority) and the
order's name, shown as facts and edited in place by staff."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from ordertrack.auth import coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import select
from ordertrack.db.engine import session_scope
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.pages.order.common import Snapshot, parse_date
from ordertrack.pages.order.state import OrderState
from ordertrack.services import order_moves, order_views
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput

PRIORITY_LABELS = {"low": N_("Low"), "normal": N_("Normal"), "high": N_("High"), "urgent": N_("Urgent")}


def read(session: Session, snap: Snapshot) -> dict[str, Any]:
    """The planning facts of the order in ``snap`` and the form's starting values."""
    detail, card = snap.detail, snap.detail.card
    return {
        "requested": str(detail.requested_completion or "—"),
        "planned": str(detail.planned_completion or "—"),
        "owner": (detail.owner_name or "—") if snap.principal.is_staff else "",  # no staff names for customers
        "priority": _(PRIORITY_LABELS.get(card.priority, card.priority)),
        "owner_value": str(detail.owner_id) if detail.owner_id else "none",
        "priority_value": card.priority,
        "requested_value": detail.requested_completion.isoformat() if detail.requested_completion else "",
        "planned_value": detail.planned_completion.isoformat() if detail.planned_completion else "",
    }


class PlanningState(OrderState):
    """Dates, owner, priority and name; the edit form (staff)."""

    requested: str = ""
    planned: str = ""
    owner: str = ""
    priority: str = ""
    editing: bool = False
    owner_value: str = "none"
    priority_value: str = "normal"
    requested_value: str = ""
    planned_value: str = ""
    owners: list[dict[str, str]] = []

    def _read(self, session: Session, snap: Snapshot) -> dict[str, Any]:
        return read(session, snap)

    def _busy(self) -> bool:
        return self.editing

    @rx.event
    @guard(staff=True)
    def start_edit(self):
        """Show the dates-and-ownership form (staff)."""
        with session_scope() as session:
            self.owners = [{"id": str(i), "name": n} for i, n in order_views.staff_users(session)]
        self.editing = True

    @rx.event
    @guard(staff=True)
    async def cancel_edit(self):
        """Leave the form without saving."""
        self.editing = False

    @rx.event
    @guard(staff=True)
    def save_planning(self, form_data: dict):
        """Save requested/planned completion, owner and priority (staff)."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Nothing to change.")
        change = order_moves.PlanningChange(
            requested_completion=parse_date(form_data.get("requested"), "Requested completion"),
            planned_completion=parse_date(form_data.get("planned"), "Planned completion"),
            owner_id=None if form_data.get("owner") in (None, "", "none")
            else coerce_int(form_data.get("owner"), name="Owner", minimum=1),
            priority=coerce_str(form_data.get("priority"), name="Priority", max_len=20) or "normal",
            name=coerce_str(form_data.get("name"), name="Name", max_len=200) or None,
        )
        with session_scope() as session:
            order_moves.update_planning(
                session, principal=current_principal(), order_id=self._order_id,
                expected_version=self._version, change=change, now=get_clock().now(), calendar=business_calendar(),
            )
        self.editing = False
        return self._changed(_("Saved."))


def _fact(label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(rx.text(T(label), size="1", color_scheme="gray"), rx.text(value, weight="medium"), spacing="1")


def _date_input(label: str, name: str, value: rx.Var) -> rx.Component:
    return rx.vstack(rx.el.label(T(label), html_for=name),
                     rx.input(id=name, name=name, type="date", default_value=value))


def _form() -> rx.Component:
    s = PlanningState
    return rx.form(
        rx.vstack(rx.el.label(T("Order name"), html_for="order-name"),
                  rx.input(id="order-name", name="name", default_value=s.name, width="100%"), width="100%"),
        rx.grid(
            _date_input(N_("Requested completion"), "requested", s.requested_value),
            _date_input(N_("Planned completion"), "planned", s.planned_value),
            rx.vstack(rx.el.label(T("Owner"), html_for="owner"),
                      select("owner", T("Owner"), s.owners, none="— nobody —", value=s.owner_value, id="owner")),
            rx.vstack(rx.el.label(T("Priority"), html_for="priority"),
                      select("priority", T("Priority"), [(p, T(PRIORITY_LABELS[p])) for p in order_views.PRIORITIES],
                             value=s.priority_value, id="priority")),
            columns="4",
            spacing="4",
            width="100%",
        ),
        rx.hstack(
            rx.button(T("Cancel"), type="button", variant="soft", color_scheme="gray", on_click=s.cancel_edit),
            rx.button(T("Save"), type="submit"),
            margin_top="1em",
        ),
        on_submit=s.save_planning,
        width="100%",
    )


def heading() -> rx.Component:
    """"Dates and ownership" with the Edit button (staff), or the edit form."""
    s = PlanningState
    return rx.cond(
        s.editing,
        _form(),
        rx.hstack(
            rx.heading(T("Dates and ownership"), size="4"),
            rx.cond(s.can_edit, rx.button(rx.icon("pencil", size=14), T("Edit"), size="1", variant="soft",
                                          on_click=s.start_edit)),
            align="center",
        ),
    )


def facts() -> rx.Component:
    """The order's facts: customer, phase, time in phase, dates, owner, priority, next deadline."""
    s = PlanningState
    return rx.grid(
        _fact(N_("Customer"), s.customer),
        _fact(N_("Phase"), s.phase_label),
        _fact(N_("Time in phase"), s.in_phase),
        _fact(N_("Requested completion"), s.requested),
        _fact(N_("Planned completion"), s.planned),
        rx.cond(s.can_edit, _fact(N_("Owner"), s.owner)),
        _fact(N_("Priority"), s.priority),
        rx.cond(s.next_deadline != "", _fact(N_("Next deadline"), s.next_deadline)),
        columns="4",
        spacing="4",
        width="100%",
    )
