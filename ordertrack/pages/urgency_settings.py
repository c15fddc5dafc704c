"""Settings → Urgency colours: per object status, green or blue, and when it turns yellow and red."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_str, current_principal, guard
from ordertrack.components.forms import hidden, inline_form, select, text_input
from ordertrack.components.tables import Column, data_table
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import OBJECT_WORKFLOW
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.live import publish
from ordertrack.pages.frame import page
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
            raise BadInput(_("Invalid form."))
        try:
            yellow = float(coerce_str(form_data.get("yellow"), name=_("Yellow after"), max_len=10) or 0)
            red = float(coerce_str(form_data.get("red"), name=_("Red after"), max_len=10) or 0)
        except ValueError:
            raise BadInput(_("Thresholds are numbers of hours.")) from None
        with session_scope() as session:
            svc.save_rule(session, principal=current_principal(),
                          status=coerce_str(form_data.get("status"), name=_("Status"), max_len=40),
                          base=coerce_str(form_data.get("base"), name=_("Colour"), max_len=10), yellow=yellow,
                          red=red)
        self._fetch()
        publish()
        return rx.toast.success(_("Saved."))


BASES = (("green", N_("Green (checked, permanent)")), ("blue", N_("Blue (needs checking or work)")))


def _hours(name: str, label: rx.Var, value: rx.Var) -> rx.Component:
    return text_input(name, label, value=value, type="number", min="0", step="1", width="90px", placeholder="")


def _rule_form(r: rx.Var) -> rx.Component:
    return inline_form(
        hidden("status", r["status"]),
        select("base", T("Colour of {status}", status=r["label"]), BASES, value=r["base"]),
        rx.text(T("yellow after"), size="2"),
        _hours("yellow", T("Yellow after hours for {status}", status=r["label"]), r["yellow"]),
        rx.text(T("h, red after"), size="2"),
        _hours("red", T("Red after hours for {status}", status=r["label"]), r["red"]),
        rx.text(T("h"), size="2"),
        on_submit=UrgencyState.save,
    )


COLUMNS = (Column(N_("Status"), lambda r: rx.text(r["label"], weight="medium")), Column(N_("Colours"), _rule_form))


def urgency_page() -> rx.Component:
    s = UrgencyState
    return page(
        data_table(s.rules, COLUMNS, header=False, empty=None, variant="ghost",
                   row_props=lambda _r: {"align": "center"}),
        title=T("Urgency colours"),
        intro=T("0 hours means never. Colours are computed when shown, so a change applies at once."),
        spacing="3",
    )
