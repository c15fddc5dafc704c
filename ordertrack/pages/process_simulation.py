"""The designer's dry-run: "Simulate" replays the last N orders of the process's service types
through its draft (virtual clock, nothing written) and shows, per order, the predicted
completion, the timers that would fire, the notifications that would go out and SLA breaches,
with totals next to those of the active version."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_int, current_principal, guard
from ordertrack.db.engine import session_scope
from ordertrack.domain import simulate as sim
from ordertrack.domain.roles import Role
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.services import process_simulation
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput

DESIGNERS = (Role.ADMIN, Role.MANAGER)
TIMER_WORDS = {
    "complete": N_("{task}: the 24-hour wait completes it"),
    "expire": N_("{task}: expires after 48 hours"),
    "escalate": N_("{task}: escalated after 2 business hours"),
    "alarm": N_("{task}: past its alarm hours"),
}
OUTCOME_WORDS = {
    "completed": N_("Completed"),
    "switched": N_("Continues in another process"),
    "stuck": N_("Does not complete: a step has no way forward"),
    "looping": N_("Does not complete: the steps loop"),
}


def _when(at) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else "—"


def _hours(h: float | None) -> str:
    return f"{h:.1f}" if h is not None else "—"


def _totals(t: sim.Totals | None) -> dict[str, str]:
    if t is None:
        return {}
    return {"orders": str(t.orders), "completed": str(t.completed), "not_completed": str(t.not_completed),
            "average": _hours(t.average_hours), "timers": str(t.timers), "notifications": str(t.notifications),
            "breaches": str(t.sla_breaches)}


class ProcessSimulationState(AppState):
    """The dry-run of the process whose editor is open (its id from the URL)."""

    count: str = str(sim.DEFAULT_ORDERS)
    running: bool = False
    shown: bool = False
    rows: list[dict[str, str]] = []
    draft_totals: dict[str, str] = {}
    active_totals: dict[str, str] = {}
    active_version: str = ""
    scope: str = ""

    @rx.event
    @guard(*DESIGNERS)
    async def clear(self):
        """Another process opened: no result of the last one stays on screen."""
        self.shown, self.rows, self.running = False, [], False

    @rx.event
    @guard(*DESIGNERS)
    async def start(self, form_data: dict):
        """Simulate: check the number, show the spinner, then replay."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        n = coerce_int(form_data.get("count", ""), name=_("Past orders"), minimum=1, maximum=sim.MAX_ORDERS)
        self.count, self.running = str(n), True
        return ProcessSimulationState.run(str(n))

    @rx.event
    @guard(*DESIGNERS)
    def run(self, count: str):
        """Replay the last ``count`` orders through the draft and the active version (reads only)."""
        try:
            n = coerce_int(count, name=_("Past orders"), minimum=1, maximum=sim.MAX_ORDERS)
            pid = coerce_int(self.router.page.params.get("pid", "0"), name="Process", minimum=1)
            with session_scope() as session:
                result = process_simulation.simulate(session, principal=current_principal(), process_id=pid,
                                                     count=n, calendar=business_calendar())
                session.rollback()  # a dry-run: nothing of it is ever kept
        finally:
            self.running = False
        active = {r.order_id: r for r in result.active}
        self.rows = [{
            "number": r.number, "name": r.name, "started": _when(r.started_at),
            "outcome": _(OUTCOME_WORDS[r.outcome]), "done": "1" if r.completed else "",
            "completion": _when(r.ended_at) if r.completed else "—", "hours": _hours(r.business_hours),
            "actual": _when(r.actual_end),
            "active": _when(active[r.order_id].ended_at) if r.order_id in active and active[r.order_id].completed
            else "—",
            "timers": "; ".join(_(TIMER_WORDS[f.kind]).format(task=f.task) + f" ({_when(f.at)})" for f in r.timers)
            or "—",
            "notifications": "; ".join(f"{_(n.event)} → {_(n.to)}" + (f" ({n.detail})" if n.detail else "")
                                       for n in r.notifications) or "—",
            "sla": ("—" if r.sla_breached is None else
                    (_("Breached ({hours} of {target} h)") if r.sla_breached else _("Met ({hours} of {target} h)"))
                    .format(hours=_hours(r.business_hours), target=_hours(r.sla_hours))),
            "breached": "1" if r.sla_breached else "",
            "assumed": str(r.assumed),
        } for r in reversed(result.draft)]
        self.draft_totals = _totals(result.draft_totals)
        self.active_totals = _totals(result.active_totals)
        self.active_version = str(result.active_version) if result.active_version else ""
        self.scope = ", ".join(result.service_types)
        self.shown = True


def _total_row(label: rx.Var, key: str) -> rx.Component:
    s = ProcessSimulationState
    return rx.table.row(
        rx.table.row_header_cell(label),
        rx.table.cell(s.draft_totals[key], data_total="draft-" + key),
        rx.table.cell(rx.cond(s.active_version != "", s.active_totals[key], "—"), data_total="active-" + key),
    )


def _order_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(r["number"], weight="medium"), rx.text(r["name"], size="1", color="gray"),
                                spacing="0")),
        rx.table.cell(r["started"]),
        rx.table.cell(rx.cond(r["done"] == "1", rx.text(r["completion"]),
                              rx.badge(r["outcome"], color_scheme="amber"))),
        rx.table.cell(r["hours"]),
        rx.table.cell(r["active"]),
        rx.table.cell(r["actual"]),
        rx.table.cell(rx.text(r["timers"], size="1")),
        rx.table.cell(rx.text(r["notifications"], size="1")),
        rx.table.cell(rx.cond(r["breached"] == "1", rx.badge(r["sla"], color_scheme="red"),
                              rx.text(r["sla"], size="1"))),
        rx.table.cell(r["assumed"]),
        data_order=r["number"],
    )


def simulation_section() -> rx.Component:
    """The "Simulate" card of the process editor."""
    s = ProcessSimulationState
    return rx.card(rx.vstack(
        rx.heading(T("Dry-run on past orders"), size="3"),
        rx.text(T("Replays the last orders of this process's service types through the draft with a virtual "
                  "clock: each order's real task times where it has them, the tasks' timers and alarm hours "
                  "elsewhere. Nothing is saved and no e-mail is sent."), size="2", color="gray"),
        rx.form(
            rx.hstack(
                rx.el.label(T("Past orders"), html_for="sim-count"),
                rx.input(id="sim-count", name="count", type="number", min=1, max=sim.MAX_ORDERS,
                         default_value=s.count, width="7em", required=True),
                rx.button(rx.icon("play", size=14), T("Simulate"), type="submit", loading=s.running),
                align="center",
            ),
            on_submit=s.start,
            reset_on_submit=False,
        ),
        rx.cond(s.shown, rx.cond(
            s.rows.length() > 0,
            rx.vstack(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(""), rx.table.column_header_cell(T("Draft")),
                        rx.table.column_header_cell(rx.cond(s.active_version != "",
                                                            T("Active version {n}", n=s.active_version),
                                                            T("No active version"))))),
                    rx.table.body(
                        _total_row(T("Orders"), "orders"),
                        _total_row(T("Completed"), "completed"),
                        _total_row(T("Not completed"), "not_completed"),
                        _total_row(T("Average business hours to completion"), "average"),
                        _total_row(T("Timers that would fire"), "timers"),
                        _total_row(T("Notifications that would go out"), "notifications"),
                        _total_row(T("SLA breaches"), "breaches"),
                    ),
                    variant="surface", id="simulation-totals",
                ),
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        T("Order"), T("Started"), T("Predicted completion"), T("Business hours"),
                        T("Active version"), T("Really reached validation"), T("Timers that would fire"), T("Notifications"), T("SLA"),
                        T("Tasks without own timing"))])),
                    rx.table.body(rx.foreach(s.rows, _order_row)),
                    width="100%", variant="ghost", size="1", id="simulation-orders",
                ), overflow_x="auto", width="100%"),
                spacing="3", width="100%",
            ),
            rx.text(T("No past orders of this process's service types."), size="2", id="simulation-empty"),
        )),
        spacing="2", width="100%",
    ), width="100%", id="simulation")
