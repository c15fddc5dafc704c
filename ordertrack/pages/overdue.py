"""The overdue tasks report: open process tasks past their alarm hours (seed 05)."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.tables import Column, data_table, empty_state
from ordertrack.db.engine import session_scope
from ordertrack.i18n import N_
from ordertrack.i18n.ui import T
from ordertrack.live import watch
from ordertrack.pages.frame import page
from ordertrack.services import process_run


class OverdueState(AppState):
    rows: list[dict[str, str]] = []
    _watcher: str = ""
    _watch_path: str = ""

    def _fetch(self) -> None:
        with session_scope() as session:
            report = process_run.overdue_tasks(session, principal=current_principal(), now=get_clock().now())
        self.rows = [{"task": r.name, "process": r.process, "subject": r.subject,
                      "href": routes.order_url(r.subject) if r.subject.startswith("SO-") else "",
                      "assignee": r.assignee, "overdue": r.overdue_by} for r in report]

    @rx.event
    @guard(staff=True)
    def load(self):
        """Page load."""
        self._fetch()

    @rx.event(background=True)
    @guard(staff=True, background=True)
    async def watch(self):
        """The report follows the clock and every change."""
        await watch(self, refresh=self._fetch)


COLUMNS = (Column(N_("Task"), "task"), Column(N_("Process name"), "process"),
           Column(N_("Order"), lambda r: rx.link(r["subject"], href=r["href"], white_space="nowrap")),
           Column(N_("Assigned to"), "assignee"),
           Column(N_("Overdue by"), lambda r: rx.badge(r["overdue"], color_scheme="red")))


def overdue_page() -> rx.Component:
    s = OverdueState
    return page(
        data_table(s.rows, COLUMNS, id="overdue-table",
                   empty=empty_state(T("Nothing is overdue."), icon="circle-check", color_scheme="green")),
        title=T("Overdue tasks"), intro=T("Open order actions past their alarm hours."),
    )
