"""Service requests: clients file them; staff run a Request process on them (Process / Skip)."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import form, text_area, text_input
from ordertrack.components.process_run import run_badge, start_form, task_lines
from ordertrack.components.tables import empty_state
from ordertrack.db.engine import session_scope
from ordertrack.i18n import _
from ordertrack.i18n.ui import T
from ordertrack.live import publish, watch
from ordertrack.pages.frame import page
from ordertrack.services import process_design, process_run
from ordertrack.services import requests as svc
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings


class RequestsState(AppState):
    rows: list[dict[str, str]] = []
    tasks: list[dict[str, str]] = []
    startable: list[dict[str, str]] = []
    is_staff: bool = False
    _watcher: str = ""
    _watch_path: str = ""

    def _fetch(self) -> None:
        principal = current_principal()
        self.is_staff = principal.is_staff
        with session_scope() as session:
            found = svc.visible(session, principal=principal)
            runs = {r.id: process_run.run_view(session, entity_kind="request", entity_id=r.id) for r in found} \
                if principal.is_staff else {}
            self.startable = [{"id": str(p.id), "name": p.name} for p in process_design.startable(session, type="Request")] \
                if principal.is_staff else []
        self.rows = [{"id": str(r.id), "subject": r.subject, "body": r.body, "customer": r.customer,
                      "by": r.created_by, "at": r.created_at.strftime("%Y-%m-%d %H:%M"),
                      "process": f"{runs[r.id].process_name}: {runs[r.id].status}" if runs.get(r.id) else ""}
                     for r in found]
        self.tasks = [{"request": str(rid), "id": str(t.id), "name": t.name, "status": t.status,
                       "open": "1" if t.status == "open" and ph.state == "current" else ""}
                      for rid, view in runs.items() if view is not None for ph in view.phases for t in ph.tasks]

    def _call(self, fn, **kwargs) -> None:
        settings = get_settings()
        with session_scope() as session:
            fn(session, principal=current_principal(), now=get_clock().now(), calendar=business_calendar(),
               base_url=settings.public_url, support=settings.support_email, **kwargs)
        publish()
        self._fetch()

    @rx.event
    @guard()
    def load(self):
        """Page load."""
        self._fetch()

    @rx.event(background=True)
    @guard(background=True)
    async def watch(self):
        """Live."""
        await watch(self, refresh=self._fetch)

    @rx.event
    @guard()
    def file_request(self, form_data: dict):
        """File a new request (customers for themselves)."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        with session_scope() as session:
            svc.create(session, principal=current_principal(), now=get_clock().now(),
                       subject=coerce_str(form_data.get("subject"), name=_("Subject"), max_len=300),
                       body=coerce_str(form_data.get("body"), name=_("Description"), max_len=20000))
        publish()
        self._fetch()
        return rx.toast.success(_("Request filed."))

    @rx.event
    @guard(staff=True)
    def start(self, form_data: dict):
        """Start a Request process on a request."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Choose a process."))
        request_id = coerce_int(form_data.get("request_id"), name="Request", minimum=1)
        if str(request_id) not in {r["id"] for r in self.rows}:
            raise BadInput(_("Unknown request."))
        self._call(process_run.start_run, entity_kind="request", entity_id=request_id,
                   process_id=coerce_int(form_data.get("process_id"), name="Process", minimum=1))
        return rx.toast.success(_("Process started."))

    @rx.event
    @guard(staff=True)
    def finish(self, task_id: str, skip: bool):
        """Process or skip a task of a request's process."""
        if not isinstance(skip, bool):
            raise BadInput(_("Process or skip."))
        self._call(process_run.finish_task, task_instance_id=coerce_int(task_id, name="Task", minimum=1), skip=skip)


def _card(r: rx.Var) -> rx.Component:
    s = RequestsState
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text("#", r["id"], " ", r["subject"], weight="bold"), rx.spacer(),
                      rx.text(r["customer"], " · ", r["by"], " · ", r["at"], size="1", color_scheme="gray"),
                      width="100%"),
            rx.text(r["body"], size="2", white_space="pre-wrap"),
            run_badge(r["process"]),
            task_lines(s.tasks, owner_key="request", owner=r["id"], on_process=lambda t: s.finish(t, False),
                       on_skip=lambda t: s.finish(t, True)),
            rx.cond(s.is_staff & (r["process"] == "") & (s.startable.length() > 0),
                    start_form(item_field="request_id", item_id=r["id"], processes=s.startable,
                               label=T("Request process"), on_submit=s.start)),
            width="100%",
        ),
        width="100%",
        data_request=r["subject"],
    )


def _new_request() -> rx.Component:
    return form(
        text_input("subject", T("Request subject"), placeholder=T("What do you need?"), width="100%"),
        text_area("body", T("Request description"), placeholder=T("Describe it"), rows="2"),
        rx.button(T("File request"), type="submit"),
        on_submit=RequestsState.file_request,
        reset=True,
        spacing="3",
        width="100%",
    )


def requests_page() -> rx.Component:
    s = RequestsState
    return page(
        rx.cond(~s.is_staff, _new_request()),
        rx.cond(s.rows.length() == 0, empty_state(T("No requests yet.")),
                rx.vstack(rx.foreach(s.rows, _card), width="100%", spacing="2")),
        title=T("Service requests"),
    )
