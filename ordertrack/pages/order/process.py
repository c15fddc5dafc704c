"""Order page section: Order Actions — the order queue (process) running on the order, as the
operator works it (seed 03, seed 05): every action with its subject and body, assignee
(person or group), step, due time of timed tasks, who completed, skipped or canceled it and
when; Process, Skip, Cancel (with its on-cancel action) and step changes; "skip the remaining
actions of <step>" to move the order on; the route choice after a step; starting a process.

Staff only: customers never see this section (staff names, groups and internal actions).
A self-contained component: ``order_actions()`` and ``ProcessState``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from ordertrack.auth import coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import inline, select
from ordertrack.components.layout import dialog
from ordertrack.db.engine import session_scope
from ordertrack.domain import process as p
from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.workflows import ORDER_WORKFLOW
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.pages.order.common import Snapshot, fmt
from ordertrack.pages.order.state import OrderState
from ordertrack.services import process_design, process_queue, process_run
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings

STEPS = [(p.TaskStep.NOT_STARTED.value, T("Not Started")), (p.TaskStep.IN_PROGRESS.value, T("In Progress")),
         (p.TaskStep.WAITING.value, T("Waiting on someone else")), (p.TaskStep.DEFERRED.value, T("Deferred"))]
STEP_WORDS = {"Not Started": N_("Not Started"), "In Progress": N_("In Progress"),
              "Waiting on someone else": N_("Waiting on someone else"), "Deferred": N_("Deferred"), "Done": N_("Done")}
RUN_WORDS = {"running": N_("running"), "complete": N_("complete"), "closed": N_("closed"),
             "canceled": N_("canceled"), "switched": N_("switched")}
DUE = N_("Due")
STATUS_WORDS = {"open": N_("open"), "done": N_("done"), "skipped": N_("skipped"), "canceled": N_("canceled"),
                "expired": N_("expired")}
ON_CANCEL_WORDS = {p.OnCancel.NOTHING.value: N_("Nothing else happens."),
                   p.OnCancel.HOLD_ORDER.value: N_("The order is put on hold."),
                   p.OnCancel.ERROR_ORDER.value: N_("The order is set to error.")}
DUE_WORDS = {"complete": N_("Completes by itself"), "expire": N_("Expires by itself"),
             "escalate": N_("Escalates")}
EMPTY = {"startable": [], "process_name": "", "process_status": "", "process_status_label": "", "phases": [], "actions": [], "routes": [],
         "skip_target": "", "skip_label": "", "skip_steps": "", "waiting_step": ""}


def _due(t: process_run.TaskView, now) -> str:
    """"Completes by itself 2026-12-02 10:00 (in 23 h)" for a timed task; "" otherwise."""
    if t.status != "open":
        return ""
    if t.due_kind == "escalate" and t.escalated_at is not None:
        return _("Escalated {at}").format(at=fmt(t.escalated_at))
    if t.due_at is None:
        return ""
    left = t.due_at - now
    when = _("in {left}").format(left=duration_words(left)) if left.total_seconds() > 0 else _("due now")
    return f"{_(DUE_WORDS.get(t.due_kind, DUE))} {fmt(t.due_at)} ({when})"


def _closed(t: process_run.TaskView) -> str:
    if t.status == "open" or t.closed_at is None:
        return ""
    return _("{status} by {who}, {at}").format(status=_(STATUS_WORDS.get(t.status, t.status)).capitalize(),
                                               who=t.closed_by or _("System"), at=fmt(t.closed_at))


def read(session: Session, snap: Snapshot) -> dict[str, Any]:
    """The queue running on the order in ``snap`` as staff work it (customers: nothing)."""
    if not snap.principal.is_staff:
        return dict(EMPTY)
    view = process_run.run_view(session, entity_kind="order", entity_id=snap.order_id)
    startable = [] if view is not None and view.status in ("running", "complete") else [
        {"id": str(s.id), "name": s.name} for s in process_design.startable(session, type="Order")]
    if view is None:
        return {**EMPTY, "startable": startable}
    offer = process_queue.queue_offer(session, order_id=snap.order_id)
    workable = view.status in ("running", "complete")
    return {
        **EMPTY,
        "startable": startable,
        "process_name": f"{view.process_name} · v{view.version}",
        "process_status": view.status,
        "process_status_label": _(RUN_WORDS.get(view.status, view.status)),
        "phases": [{"id": ph.id, "name": ph.name, "state": ph.state} for ph in view.phases],
        "actions": [
            {"id": str(t.id), "name": t.name, "phase": ph.name, "type": t.type, "status": t.status,
             "status_label": _(STATUS_WORDS.get(t.status, t.status)), "step": t.step,
             "step_label": _(STEP_WORDS.get(t.step, t.step)),
             "subject": t.subject, "body": t.body,
             "assignee": t.assignee or "—",
             "assignee_kind": {"person": _("person"), "group": _("group")}.get(t.assignee_kind, ""),
             "due": _due(t, snap.now), "closed": _closed(t),
             "waiting": "1" if t.status == "open" and t.due_kind == "complete" and t.due_at is not None
             and snap.now < t.due_at else "",
             "on_cancel": _(ON_CANCEL_WORDS.get(t.on_cancel, ON_CANCEL_WORDS[p.OnCancel.NOTHING.value])),
             "open": "1" if t.status == "open" and workable and not (view.routes and ph.state == "current") else ""}
            for ph in view.phases for t in ph.tasks
        ],
        "routes": [{"id": rid, "label": label} for rid, label in view.routes],
        "skip_target": offer.target,
        "skip_label": ORDER_WORKFLOW.label(offer.target) if offer.target else "",
        "skip_steps": ", ".join(f"“{s}”" for s in offer.steps),
        "waiting_step": offer.waiting_step,
    }


def run_step(action: Callable[..., Any], /, **kwargs: Any) -> None:
    """Apply one process step (finish a task, take a route, start a run) as the current user."""
    settings = get_settings()
    with session_scope() as session:
        action(session, principal=current_principal(), now=get_clock().now(), calendar=business_calendar(),
             base_url=settings.public_url, support=settings.support_email, **kwargs)


class ProcessState(OrderState):
    """The order's queue: actions, steps, cancel, skip offer, routes, start."""

    process_name: str = ""
    process_status: str = ""
    process_status_label: str = ""
    phases: list[dict[str, str]] = []
    actions: list[dict[str, str]] = []
    routes: list[dict[str, str]] = []
    startable: list[dict[str, str]] = []
    skip_target: str = ""
    skip_label: str = ""
    skip_steps: str = ""
    waiting_step: str = ""
    # The confirmation dialogs (UI only).
    cancel_id: str = ""
    cancel_name: str = ""
    cancel_effect: str = ""
    skip_open: bool = False

    def _read(self, session: Session, snap: Snapshot) -> dict[str, Any]:
        return read(session, snap)

    @rx.event
    @guard(staff=True)
    def process_task(self, task_id: str):
        """Process (complete) an order action: it turns green and the next one appears."""
        run_step(process_run.finish_task, task_instance_id=coerce_int(task_id, name="Task", minimum=1), skip=False)
        return self._changed(_("Done."))

    @rx.event
    @guard(staff=True)
    def skip_task(self, task_id: str):
        """Skip an order action."""
        run_step(process_run.finish_task, task_instance_id=coerce_int(task_id, name="Task", minimum=1), skip=True)
        return self._changed(_("Skipped."))

    @rx.event
    @guard(staff=True)
    def set_step(self, task_id: str, step: str):
        """Change an open action's step (Not Started, In Progress, Waiting on someone else, Deferred)."""
        run_step(process_run.set_task_step, task_instance_id=coerce_int(task_id, name="Task", minimum=1),
                 step=coerce_str(step, name="Step", max_len=40, required=True))
        return self._changed(_("Step changed."))

    @rx.event
    @guard(staff=True)
    async def ask_cancel(self, task_id: str, name: str, effect: str):
        """Open the confirmation of a single action's cancel (UI only)."""
        self.cancel_id, self.cancel_name, self.cancel_effect = str(task_id)[:20], str(name)[:200], str(effect)[:200]

    @rx.event
    @guard(staff=True)
    async def close_cancel(self):
        self.cancel_id = ""

    @rx.event
    @guard(staff=True)
    def cancel_task(self):
        """Cancel the action being confirmed; its on-cancel action applies (hold or error the order)."""
        task_id = coerce_int(self.cancel_id, name="Task", minimum=1)
        self.cancel_id = ""
        run_step(process_run.cancel_task, task_instance_id=task_id)
        return self._changed(_("Action canceled."))

    @rx.event
    @guard(staff=True)
    async def ask_skip(self):
        self.skip_open = True

    @rx.event
    @guard(staff=True)
    async def close_skip(self):
        self.skip_open = False

    @rx.event
    @guard(staff=True)
    def skip_remaining(self):
        """Skip the remaining actions of the current step(s): the order moves to the next phase."""
        self.skip_open = False
        if not self._order_id or self.skip_target not in p.BOARD_PHASES:
            raise BadInput(_("Nothing to skip."))
        run_step(process_queue.skip_to, order_id=self._order_id, target=self.skip_target)
        return self._changed(_("Remaining actions skipped."))

    @rx.event
    @guard(staff=True)
    def continue_step(self):
        """Go on from a step that waits after a cancel that held the order or set it to error."""
        if not self._order_id:
            raise BadInput(_("Nothing to continue."))
        run_step(process_queue.continue_queue, order_id=self._order_id)
        return self._changed(_("The queue goes on."))

    @rx.event
    @guard(staff=True)
    def take_route(self, route_id: str):
        """Choose where a completed phase goes next."""
        with session_scope() as session:
            run = process_run.current_run(session, entity_kind="order", entity_id=self._order_id)
        if run is None:
            raise BadInput(_("No process runs on this order."))
        run_step(process_run.choose_route, run_id=run.id,
                 route_id=coerce_str(route_id, name="Route", max_len=40, required=True))
        return self._changed(_("Route taken."))

    @rx.event
    @guard(staff=True)
    def start_process(self, form_data: dict):
        """Start an active process on this order."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput(_("Choose a process."))
        process_id = coerce_int(form_data.get("process_id"), name="Process", minimum=1)
        run_step(process_run.start_run, entity_kind="order", entity_id=self._order_id, process_id=process_id)
        return self._changed(_("Process started."))


def _finished(status: rx.Var) -> rx.Var:
    return (status == "done") | (status == "skipped") | (status == "expired")


def task_buttons(task_id: rx.Var, waiting: rx.Var | bool = False) -> rx.Component:
    """Process / Skip for an open task (of the order or of a ticket); a wait that completes by
    itself cannot be processed before it ends."""
    return rx.hstack(
        rx.button(T("Process"), size="1", on_click=ProcessState.process_task(task_id), disabled=waiting,
                  title=rx.cond(waiting, T("This wait completes by itself when it ends."), "")),
        rx.button(T("Skip"), size="1", variant="soft", on_click=ProcessState.skip_task(task_id)),
    )


def _action(a: rx.Var) -> rx.Component:
    """One action as a card: what to do, who, when, and the buttons."""
    s = ProcessState
    head = rx.hstack(
        rx.cond(a["status"] == "done", rx.icon("circle-check", color=rx.color("green", 9), size=16)),
        rx.text(a["name"], weight="bold"),
        rx.badge(a["phase"], variant="soft", color_scheme="gray"),
        rx.badge(a["status_label"], color_scheme=rx.cond(_finished(a["status"]), "green",
                                                         rx.cond(a["status"] == "canceled", "gray", "amber"))),
        rx.spacer(),
        rx.text(T("Assigned to"), " ", a["assignee"], rx.cond(a["assignee_kind"] != "", " (", ""),
                a["assignee_kind"], rx.cond(a["assignee_kind"] != "", ")", ""), size="2", color_scheme="gray"),
        align="center", width="100%", wrap="wrap",
    )
    details = rx.vstack(
        rx.cond(a["subject"] != "", rx.text(a["subject"], size="2", weight="medium")),
        rx.cond(a["body"] != "", rx.text(a["body"], size="2", white_space="pre-wrap")),
        rx.cond(a["due"] != "", rx.hstack(rx.icon("timer", size=14), rx.text(a["due"], size="2"),
                                          align="center", data_due=a["due"])),
        rx.cond(a["closed"] != "", rx.text(a["closed"], size="2", color_scheme="gray")),
        spacing="1", width="100%",
    )
    buttons = rx.cond(a["open"] == "1", rx.hstack(
        rx.text(T("Step"), size="2"),
        select("", "Step", STEPS, value=a["step"], on_change=lambda v: s.set_step(a["id"], v), width="13em"),
        rx.spacer(),
        task_buttons(a["id"], a["waiting"] == "1"),
        rx.button(T("Cancel action"), size="1", variant="soft", color_scheme="red",
                  on_click=s.ask_cancel(a["id"], a["name"], a["on_cancel"])),
        align="center", width="100%", wrap="wrap",
    ), rx.cond(a["status"] == "open", rx.text(T("Step"), ": ", a["step_label"], size="2")))
    return rx.card(rx.vstack(head, details, buttons, spacing="2", width="100%"), width="100%",
                   background=rx.cond(a["status"] == "done", rx.color("green", 2), "transparent"),
                   data_action=a["name"], data_status=a["status"])


def _phase_badge(ph: rx.Var) -> rx.Component:
    return rx.badge(ph["name"], variant=rx.cond(ph["state"] == "current", "solid", "soft"),
                    color_scheme=rx.cond(ph["state"] == "done", "green",
                                         rx.cond(ph["state"] == "current", "indigo", "gray")),
                    data_step=ph["name"], data_state=ph["state"])


def _dialogs() -> rx.Component:
    s = ProcessState
    return rx.fragment(
        dialog(T("Cancel this action?"),
               rx.text(T("Cancel “{name}”?", name=s.cancel_name)), rx.text(s.cancel_effect, weight="medium"),
               rx.hstack(rx.button(T("Keep it"), variant="soft", color_scheme="gray", on_click=s.close_cancel),
                         rx.button(T("Cancel action"), color_scheme="red", on_click=s.cancel_task, id="confirm-cancel"),
                         justify="end", width="100%"),
               open=s.cancel_id != "", on_close=s.close_cancel, max_width="28em"),
        dialog(T("Skip the remaining actions?"),
               rx.text(T("Skip the remaining actions of {steps}? The order moves to {phase}.",
                         steps=s.skip_steps, phase=s.skip_label)),
               rx.hstack(rx.button(T("Keep working"), variant="soft", color_scheme="gray", on_click=s.close_skip),
                         rx.button(T("Skip them"), on_click=s.skip_remaining, id="confirm-skip"),
                         justify="end", width="100%"),
               open=s.skip_open, on_close=s.close_skip, max_width="30em"),
    )


def order_actions() -> rx.Component:
    """The running queue with its actions, or the form to start one (staff only)."""
    s = ProcessState
    return rx.cond(
        s.process_name != "",
        rx.vstack(
            rx.hstack(rx.heading(T("Order Actions"), size="4"), rx.badge(s.process_name, variant="soft"),
                      rx.badge(s.process_status_label, color_scheme=rx.cond(s.process_status == "complete", "green",
                                                                      "blue")), align="center"),
            rx.hstack(rx.foreach(s.phases, _phase_badge), wrap="wrap"),
            rx.cond(s.skip_target != "", rx.hstack(
                rx.button(T("Skip the remaining actions of {steps}", steps=s.skip_steps), size="1",
                          variant="outline", on_click=s.ask_skip, id="skip-remaining"),
                rx.text(T("(the order then moves to {phase})", phase=s.skip_label), size="1", color_scheme="gray"),
                align="center")),
            rx.cond(s.waiting_step != "", rx.callout(
                rx.hstack(rx.text(T("Step “{step}” waits: its last action was canceled.", step=s.waiting_step)),
                          rx.button(T("Continue"), size="1", on_click=s.continue_step), align="center"),
                icon="pause", color_scheme="amber", width="100%")),
            rx.cond(s.actions.length() > 0,
                    rx.vstack(rx.foreach(s.actions, _action), spacing="2", width="100%", id="order-actions"),
                    rx.callout(T("This process has no actions."), icon="inbox", width="100%")),
            rx.cond(s.routes.length() > 0, rx.hstack(
                rx.text(T("Where next?"), weight="bold"),
                rx.foreach(s.routes, lambda r: rx.button(r["label"], size="1", on_click=s.take_route(r["id"]))),
                align="center")),
            _dialogs(),
            width="100%",
            spacing="2",
        ),
        rx.cond(
            s.startable.length() > 0,
            rx.form(
                inline(
                    rx.text(T("Order Actions"), weight="bold"),
                    select("process_id", "Process", s.startable),
                    rx.button(T("Start process"), type="submit", variant="soft"),
                    spacing="3",
                ),
                on_submit=s.start_process,
            ),
        ),
    )
