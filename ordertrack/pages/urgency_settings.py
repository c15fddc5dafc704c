"""Settings → Urgency colours: per object status, green or blue, and when it turns yellow and red."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_str, current_principal, guard
from ordertrack.components.layout import shell
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import OBJECT_WORKFLOW
from ordertrack.live import publish
from ordertrack.services import status_moves as svc
from ordertrack.services.errors import BadInput


class UrgencyState(AppState):
    rules: list[dict[str, str]] = []

    def _fetch(self) -> None:
        with session_scope() as session:
            rules = svc.urgency_rules(session)
        self.rules = [{"status": r.status, "label": OBJECT_WORKFLOW.label(r.status), "base": r.base.value,
                       "yellow": f"{r.yellow_after_hours:g}", "red": f"{r.red_after_hours:g}"} for r in rules]

    @rx.event
    @guard(Role.ADMIN)
    def load(self):
        """Page load."""
        self._fetch()

    @rx.event
    @guard(Role.ADMIN)
    def save(self, form_data: dict):
        """Save one status's rule; every wall recolours."""
        if not isinstance(form_data, dict):
            raise BadInput("Invalid form.")
        try:
            yellow = float(coerce_str(form_data.get("yellow"), name="Yellow after", max_len=10) or 0)
            red = float(coerce_str(form_data.get("red"), name="Red after", max_len=10) or 0)
        except ValueError:
            raise BadInput("Thresholds are numbers of hours.") from None
        with session_scope() as session:
            svc.save_rule(session, principal=current_principal(),
                          status=coerce_str(form_data.get("status"), name="Status", max_len=40),
                          base=coerce_str(form_data.get("base"), name="Colour", max_len=10), yellow=yellow, red=red)
        self._fetch()
        publish()
        return rx.toast.success("Saved.")


def _rule(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["label"], weight="medium"),
        rx.table.cell(rx.form(
            rx.hstack(
                rx.el.input(type="hidden", name="status", value=r["status"]),
                rx.el.select(rx.el.option("Green (checked, permanent)", value="green"),
                             rx.el.option("Blue (needs checking or work)", value="blue"),
                             name="base", default_value=r["base"], aria_label="Colour of " + r["label"],
                             class_name="ot-native-select"),
                rx.text("yellow after", size="2"),
                rx.input(name="yellow", type="number", min="0", step="1", default_value=r["yellow"], width="90px",
                         aria_label="Yellow after hours for " + r["label"]),
                rx.text("h, red after", size="2"),
                rx.input(name="red", type="number", min="0", step="1", default_value=r["red"], width="90px",
                         aria_label="Red after hours for " + r["label"]),
                rx.text("h", size="2"),
                rx.button("Save", size="1", type="submit", variant="soft"),
                align="center",
            ),
            on_submit=UrgencyState.save,
            reset_on_submit=False,
        )),
    )


def urgency_page() -> rx.Component:
    s = UrgencyState
    return shell(
        rx.vstack(
            rx.heading("Urgency colours", size="7"),
            rx.text("0 hours means never. Colours are computed when shown, so a change applies at once.",
                    color_scheme="gray"),
            rx.table.root(rx.table.body(rx.foreach(s.rules, _rule)), width="100%"),
            spacing="3",
            width="100%",
        ),
        user_name=s.user_name, role_label=s.user_role_label, nav=s.nav,
    )
