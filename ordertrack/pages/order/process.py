"""Order page section: Order Actions, the process running on the order (its phases and actions,
Process / Skip, the routes after a phase), or starting one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from ordertrack.auth import coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import inline, select
from ordertrack.components.tables import Column, data_table
from ordertrack.db.engine import session_scope
from ordertrack.pages.order.common import Snapshot
from ordertrack.pages.order.state import OrderState
from ordertrack.services import processes
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings


def read(session: Session, snap: Snapshot) -> dict[str, Any]:
    """The process run of the order in ``snap``, or the processes staff may start on it."""
    staff = snap.principal.is_staff
    view = processes.run_view(session, entity_kind="order", entity_id=snap.order_id)
    startable = [] if (view and view.status == "running") or not staff else [
        {"id": str(s.id), "name": s.name} for s in processes.startable(session, type="Order")]
    if view is None:
        return {"startable": startable, "process_name": "", "process_status": "", "phases": [], "actions": [],
                "routes": []}
    return {
        "startable": startable,
        "process_name": f"{view.process_name} (version {view.version})",
        "process_status": view.status,
        "phases": [{"id": ph.id, "name": ph.name, "state": ph.state} for ph in view.phases],
        "actions": [
            {"id": str(t.id), "name": t.name, "phase": ph.name, "type": t.type, "status": t.status,
             "assignee": t.assignee or "—", "open": "1" if t.status == "open" and ph.state == "current"
             and staff and not view.routes else ""}
            for ph in view.phases for t in ph.tasks
        ],
        "routes": [{"id": rid, "label": label} for rid, label in view.routes] if staff else [],
    }


def run_step(step: Callable[..., Any], **kwargs: Any) -> None:
    """Apply one process step (finish a task, take a route, start a run) as the current user."""
    settings = get_settings()
    with session_scope() as session:
        step(session, principal=current_principal(), now=get_clock().now(), calendar=business_calendar(),
             base_url=settings.public_url, support=settings.support_email, **kwargs)


class ProcessState(OrderState):
    """The order's process run: actions, routes, start."""

    process_name: str = ""
    process_status: str = ""
    phases: list[dict[str, str]] = []
    actions: list[dict[str, str]] = []
    routes: list[dict[str, str]] = []
    startable: list[dict[str, str]] = []

    def _read(self, session: Session, snap: Snapshot) -> dict[str, Any]:
        return read(session, snap)

    @rx.event
    @guard(staff=True)
    def process_task(self, task_id: str):
        """Process (complete) an order action: it turns green and the next one appears."""
        run_step(processes.finish_task, task_instance_id=coerce_int(task_id, name="Task", minimum=1), skip=False)
        return self._changed("Done.")

    @rx.event
    @guard(staff=True)
    def skip_task(self, task_id: str):
        """Skip an order action."""
        run_step(processes.finish_task, task_instance_id=coerce_int(task_id, name="Task", minimum=1), skip=True)
        return self._changed("Skipped.")

    @rx.event
    @guard(staff=True)
    def take_route(self, route_id: str):
        """Choose where a completed phase goes next."""
        with session_scope() as session:
            run = processes.current_run(session, entity_kind="order", entity_id=self._order_id)
        if run is None:
            raise BadInput("No process runs on this order.")
        run_step(processes.choose_route, run_id=run.id,
                 route_id=coerce_str(route_id, name="Route", max_len=40, required=True))
        return self._changed("Route taken.")

    @rx.event
    @guard(staff=True)
    def start_process(self, form_data: dict):
        """Start an active process on this order."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Choose a process.")
        process_id = coerce_int(form_data.get("process_id"), name="Process", minimum=1)
        run_step(processes.start_run, entity_kind="order", entity_id=self._order_id, process_id=process_id)
        return self._changed("Process started.")


def _finished(status: rx.Var) -> rx.Var:
    return (status == "done") | (status == "skipped") | (status == "expired")


def _action_name(a: rx.Var) -> rx.Component:
    return rx.hstack(rx.cond(a["status"] == "done", rx.icon("circle-check", color=rx.color("green", 9), size=16)),
                     rx.text(a["name"]))


def _action_state(a: rx.Var) -> rx.Component:
    return rx.badge(a["status"], color_scheme=rx.cond(_finished(a["status"]), "green",
                                                      rx.cond(a["status"] == "canceled", "gray", "amber")))


def _action_buttons(a: rx.Var) -> rx.Component:
    return rx.cond(a["open"] == "1", task_buttons(a["id"]))


def task_buttons(task_id: rx.Var) -> rx.Component:
    """Process / Skip for an open task (of the order or of a ticket)."""
    return rx.hstack(
        rx.button("Process", size="1", on_click=ProcessState.process_task(task_id)),
        rx.button("Skip", size="1", variant="soft", on_click=ProcessState.skip_task(task_id)),
    )


ACTION_COLUMNS = (
    Column("Phase", "phase"), Column("Action", _action_name), Column("Type", "type"),
    Column("Assigned to", "assignee"), Column("State", _action_state), Column("", _action_buttons),
)


def _row_props(a: rx.Var) -> dict:
    return {"background": rx.cond(a["status"] == "done", rx.color("green", 2), "transparent"),
            "data_action": a["name"], "data_status": a["status"]}


def _phase_badge(ph: rx.Var) -> rx.Component:
    return rx.badge(ph["name"], variant=rx.cond(ph["state"] == "current", "solid", "soft"),
                    color_scheme=rx.cond(ph["state"] == "done", "green",
                                         rx.cond(ph["state"] == "current", "indigo", "gray")))


def order_actions() -> rx.Component:
    """The running process with its actions, or the form to start one (staff)."""
    s = ProcessState
    return rx.cond(
        s.process_name != "",
        rx.vstack(
            rx.hstack(rx.heading("Order Actions", size="4"), rx.badge(s.process_name, variant="soft"),
                      rx.badge(s.process_status, color_scheme=rx.cond(s.process_status == "complete", "green",
                                                                      "blue")), align="center"),
            rx.hstack(rx.foreach(s.phases, _phase_badge), wrap="wrap"),
            data_table(s.actions, ACTION_COLUMNS, empty="This process has no actions.", row_props=_row_props,
                       id="order-actions"),
            rx.cond(s.routes.length() > 0, rx.hstack(
                rx.text("Where next?", weight="bold"),
                rx.foreach(s.routes, lambda r: rx.button(r["label"], size="1", on_click=s.take_route(r["id"]))),
                align="center")),
            width="100%",
            spacing="2",
        ),
        rx.cond(
            s.startable.length() > 0,
            rx.form(
                inline(
                    rx.text("Order Actions", weight="bold"),
                    select("process_id", "Process", s.startable),
                    rx.button("Start process", type="submit", variant="soft"),
                    spacing="3",
                ),
                on_submit=s.start_process,
            ),
        ),
    )
