"""The overdue tasks report: open process tasks past their alarm hours (seed 05)."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.layout import shell
from ordertrack.db.engine import session_scope
from ordertrack.live import watch
from ordertrack.services import processes


class OverdueState(AppState):
    rows: list[dict[str, str]] = []
    _watcher: str = ""
    _watch_path: str = ""

    def _fetch(self) -> None:
        with session_scope() as session:
            report = processes.overdue_tasks(session, principal=current_principal(), now=get_clock().now())
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


def overdue_page() -> rx.Component:
    s = OverdueState
    return shell(
        rx.vstack(
            rx.heading("Overdue tasks", size="7"),
            rx.text("Open order actions past their alarm hours.", color_scheme="gray"),
            rx.cond(
                s.rows.length() == 0,
                rx.callout("Nothing is overdue.", icon="circle-check", color_scheme="green", width="100%"),
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                                   ("Task", "Process", "Order", "Assigned to", "Overdue by")])),
                    rx.table.body(rx.foreach(s.rows, lambda r: rx.table.row(
                        rx.table.cell(r["task"]), rx.table.cell(r["process"]),
                        rx.table.cell(rx.link(r["subject"], href=r["href"])), rx.table.cell(r["assignee"]),
                        rx.table.cell(rx.badge(r["overdue"], color_scheme="red"))))),
                    width="100%", variant="surface", id="overdue-table",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        user_name=s.user_name, role_label=s.user_role_label, nav=s.nav,
    )
