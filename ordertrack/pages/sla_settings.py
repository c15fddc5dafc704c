"""Settings → SLA targets (issue 14.1): the resolution target of each service type and priority
in business hours, the warning thresholds, and the situations that pause the clock.
Administrators edit; other staff read. A changed target applies to new orders (said on the page).
"""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import text_input
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.pages.frame import page
from ordertrack.services import sla
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput

PRIORITY_LABELS = {"low": N_("Low"), "normal": N_("Normal"), "high": N_("High"), "urgent": N_("Urgent")}


class SlaSettingsState(AppState):
    """The targets as a grid (one row per service type), the thresholds and the pause rules."""

    can_edit: bool = False
    rows: list[dict[str, str]] = []  # {"service", "label", "low", "normal", "high", "urgent", "<p>_default"}
    thresholds: str = ""
    rules: list[dict[str, str]] = []  # {"code", "label", "active": "on" | ""}
    version: int = 0
    calendar_text: str = ""

    def _fetch(self) -> None:
        principal = current_principal()
        with session_scope() as session:
            settings = sla.get_settings(session, principal=principal)
        self.can_edit = principal.role is Role.ADMIN
        rows: dict[str, dict[str, str]] = {}
        for t in settings.targets:
            row = rows.setdefault(t.service_type, {"service": t.service_type, "label": _(t.service_label)})
            row[t.priority] = f"{round(t.target_hours, 2):g}"
            row[f"{t.priority}_default"] = "yes" if t.default else ""
        self.rows = list(rows.values())
        self.thresholds = ", ".join(str(v) for v in settings.thresholds)
        self.rules = [{"code": r.code, "label": _(r.label), "active": "on" if r.active else ""} for r in settings.rules]
        self.version = settings.version
        cal = business_calendar()
        self.calendar_text = _("Business hours: {start}–{end} on working days ({zone}); weekends and public "
                               "holidays do not count.").format(start=cal.start.strftime("%H:%M"),
                                                               end=cal.end.strftime("%H:%M"), zone=cal.tz)

    @rx.event
    @guard(staff=True)
    def load(self):
        """Page load (staff read the settings; administrators edit them)."""
        self._fetch()

    @rx.event
    @guard(Role.ADMIN)
    def save_targets(self, form_data: dict):
        """Save every changed target of the grid (one transaction; nothing is saved if one is wrong)."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        current = {(r["service"], p): r[p] for r in self.rows for p in sla.PRIORITIES}
        changes = {}
        for (service, priority), old in current.items():
            value = coerce_str(form_data.get(f"{service}:{priority}"), name="Target", max_len=20)
            if value and value != old:
                changes[(service, priority)] = value.replace(",", ".")
        if not changes:
            return rx.toast.info(_("Nothing changed."))
        with session_scope() as session:
            for (service, priority), value in changes.items():
                sla.set_target(session, principal=current_principal(), service_type=service, priority=priority,
                               target_hours=value, now=get_clock().now())
        self._fetch()
        return rx.toast.success(_("Targets saved. They apply to orders created from now on."))

    @rx.event
    @guard(Role.ADMIN)
    def save_policy(self, form_data: dict):
        """Save the thresholds and pause rules; open orders follow at once."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        thresholds = coerce_str(form_data.get("thresholds"), name="Thresholds", max_len=200, required=True)
        version = coerce_int(form_data.get("version"), name="Version", minimum=0)
        codes = [r["code"] for r in self.rules if form_data.get(f"rule:{r['code']}") == "on"]
        with session_scope() as session:
            sla.set_policy(session, principal=current_principal(), thresholds=thresholds, pause_rules=codes,
                           expected_version=version, now=get_clock().now(), calendar=business_calendar())
        self._fetch()
        return rx.toast.success(_("Thresholds and pause rules saved."))


def _cell(row: rx.Var, priority: str) -> rx.Component:
    s = SlaSettingsState
    value = row[priority]
    label = T("Target in business hours for {service}, {priority} priority", service=row["label"],
              priority=T(PRIORITY_LABELS[priority]))
    return rx.cond(
        s.can_edit,
        rx.input(name=row["service"] + ":" + priority, aria_label=label, default_value=value, type="number",
                 min="0.25", step="0.25", width="90px", key=row["service"] + priority + value),
        rx.text(value, aria_label=label),
    )


def _targets() -> rx.Component:
    s = SlaSettingsState
    table = rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell(T("Service type")),
            *[rx.table.column_header_cell(T(PRIORITY_LABELS[p])) for p in sla.PRIORITIES],
        )),
        rx.table.body(rx.foreach(s.rows, lambda r: rx.table.row(
            rx.table.row_header_cell(r["label"]),
            *[rx.table.cell(_cell(r, p)) for p in sla.PRIORITIES],
            align="center", data_service=r["service"],
        ))),
        variant="surface", width="100%", id="sla-targets",
    )
    return rx.card(rx.vstack(
        rx.heading(T("Resolution targets"), size="4"),
        rx.text(T("Business hours from the order's creation until it is closed, per service type and priority."),
                color_scheme="gray", size="2"),
        rx.text(s.calendar_text, size="2", id="sla-calendar"),
        rx.form(
            rx.vstack(table, rx.cond(s.can_edit, rx.button(T("Save targets"), type="submit")), spacing="3",
                      width="100%"),
            on_submit=s.save_targets,
        ),
        spacing="3", width="100%",
    ), width="100%")


def _policy() -> rx.Component:
    s = SlaSettingsState
    return rx.card(rx.form(rx.vstack(
        rx.heading(T("Warnings and pauses"), size="4"),
        rx.el.input(type="hidden", name="version", value=s.version.to_string()),
        rx.vstack(
            rx.el.label(T("Warning thresholds (% of the target)"), html_for="sla-thresholds",
                        class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
            text_input("thresholds", T("Warning thresholds (% of the target)"), value=s.thresholds,
                       id="sla-thresholds", placeholder="50, 75, 100", width="220px", key=s.thresholds,
                       disabled=~s.can_edit),
            rx.text(T("The order's owner and the managers get one e-mail at each threshold; cards and the order "
                      "page change colour from the first one. 100 % is the breach."), size="1", color_scheme="gray"),
            spacing="1",
        ),
        rx.text(T("The clock pauses while the order waits on the customer:"), size="2", weight="medium"),
        rx.grid(
            rx.foreach(s.rules, lambda r: rx.checkbox(r["label"], name="rule:" + r["code"],
                                                       default_checked=r["active"] == "on", disabled=~s.can_edit,
                                                       key=r["code"] + r["active"])),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="2", width="100%",
        ),
        rx.cond(s.can_edit, rx.button(T("Save thresholds and pauses"), type="submit")),
        spacing="3", width="100%",
    ), on_submit=s.save_policy), width="100%")


def sla_settings_page() -> rx.Component:
    """Targets, thresholds and pause rules."""
    s = SlaSettingsState
    return page(rx.vstack(
        rx.heading(T("SLA targets"), size="7"),
        rx.callout(T("A change of target applies to new orders; open orders keep the target they got when they "
                     "were created. Thresholds and pause rules apply to open orders at once."),
                   icon="info", id="sla-note", width="100%"),
        rx.cond(~s.can_edit, rx.text(T("Only administrators change these settings."), color_scheme="gray")),
        _targets(),
        _policy(),
        spacing="4", width="100%",
    ))
