"""Settings → Service types (issue #16.5): the types orders are routed by, as rows. Administrators
add them, rename them (in English and Russian), order them, stop offering them, and delete
those no order or process uses; other roles see the frame's refusal."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import hidden, inline, inline_form, select, text_input
from ordertrack.components.tables import Column, data_table
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.live import publish
from ordertrack.pages.frame import page
from ordertrack.services import service_types as svc
from ordertrack.services.errors import BadInput

OFFERED = (("on", N_("Offered")), ("off", N_("Not offered")))


def _field(form_data: dict, name: str, label: str, max_len: int) -> str:
    return coerce_str(form_data.get(name), name=_(label), max_len=max_len)


class ServiceTypesState(AppState):
    """Every service type with its use (vars start empty; ``load`` fills them for administrators)."""

    rows: list[dict[str, str]] = []

    def _fetch(self) -> None:
        with session_scope() as session:
            found = svc.admin_list(session, principal=current_principal())
        self.rows = [{"key": r.view.key, "label": r.view.label, "label_ru": r.view.label_ru,
                      "order": str(r.view.sort_order), "active": "on" if r.view.active else "off",
                      "state": _("Offered") if r.view.active else _("Not offered"),
                      "use": _("orders: {orders}, processes: {processes}").format(orders=r.orders,
                                                                                 processes=r.processes),
                      "unused": "" if r.orders or r.processes else "1"} for r in found]

    @rx.event
    @guard(Role.ADMIN)
    def load(self):
        """Page load."""
        self._fetch()

    @rx.event
    @guard(Role.ADMIN)
    def add(self, form_data: dict):
        """Add an active service type."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        key = _field(form_data, "key", N_("Key"), 40)
        with session_scope() as session:
            svc.add(session, principal=current_principal(), key=key,
                    label_en=_field(form_data, "label", N_("English name"), 100),
                    label_ru=_field(form_data, "label_ru", N_("Russian name"), 100),
                    sort_order=_field(form_data, "order", N_("Sort order"), 10), now=get_clock().now())
        self._fetch()
        publish()
        return rx.toast.success(_("Service type “{key}” added.").format(key=key.lower()))

    @rx.event
    @guard(Role.ADMIN)
    def save(self, form_data: dict):
        """Rename, reorder, offer or stop offering one type (its key stays)."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        offered = _field(form_data, "active", N_("Offered"), 3)
        if offered not in ("on", "off"):
            raise BadInput(_("Choose whether the type is offered."))
        with session_scope() as session:
            svc.update(session, principal=current_principal(), key=_field(form_data, "key", N_("Key"), 40),
                       label_en=_field(form_data, "label", N_("English name"), 100),
                       label_ru=_field(form_data, "label_ru", N_("Russian name"), 100),
                       sort_order=_field(form_data, "order", N_("Sort order"), 10), active=offered == "on",
                       now=get_clock().now())
        self._fetch()
        publish()
        return rx.toast.success(_("Saved."))

    @rx.event
    @guard(Role.ADMIN)
    def remove(self, key: str):
        """Delete a type no order or process uses."""
        key = coerce_str(key, name=_("Key"), max_len=40)
        with session_scope() as session:
            svc.remove(session, principal=current_principal(), key=key)
        self._fetch()
        publish()
        return rx.toast.success(_("Service type “{key}” deleted.").format(key=key))


def _names_form(r: rx.Var) -> rx.Component:
    return inline_form(
        hidden("key", r["key"]),
        text_input("label", T("English name of {key}", key=r["key"]), value=r["label"], width="200px",
                   placeholder=T("English name")),
        text_input("label_ru", T("Russian name of {key}", key=r["key"]), value=r["label_ru"], width="200px",
                   placeholder=T("Russian name")),
        text_input("order", T("Sort order of {key}", key=r["key"]), value=r["order"], type="number", min="0",
                   width="90px", placeholder=""),
        select("active", T("Offered: {key}", key=r["key"]), OFFERED, value=r["active"]),
        on_submit=ServiceTypesState.save,
        key=r["key"] + r["label"] + r["label_ru"] + r["order"] + r["active"],
    )


def _delete(r: rx.Var) -> rx.Component:
    return rx.cond(r["unused"] == "1",
                   rx.button(T("Delete"), size="1", variant="soft", color_scheme="red",
                             aria_label=T("Delete {key}", key=r["key"]),
                             on_click=ServiceTypesState.remove(r["key"])),
                   rx.text(T("in use: deactivate instead"), size="1", color_scheme="gray"))


COLUMNS = (
    Column(N_("Key"), lambda r: rx.code(r["key"])),
    Column(N_("Names, order and offer"), _names_form),
    Column(N_("Used by"), lambda r: rx.text(r["use"], size="2")),
    Column("", _delete),
)


def _add_form() -> rx.Component:
    return inline_form(
        text_input("key", T("Key"), width="140px", required=True),
        text_input("label", T("English name"), width="200px", required=True),
        text_input("label_ru", T("Russian name"), width="200px"),
        text_input("order", T("Sort order"), type="number", min="0", width="110px"),
        on_submit=ServiceTypesState.add,
        submit=N_("Add service type"),
        reset=True,
        id="st-add",
    )


def service_types_page() -> rx.Component:
    """Settings → Service types (administrators)."""
    s = ServiceTypesState
    return page(
        inline(_add_form()),
        data_table(s.rows, COLUMNS, id="service-types-table",
                   row_props=lambda r: {"data-key": r["key"], "align": "center"}),
        title=T("Service types"),
        intro=T("Orders are routed to order queues by service type. A key never changes; a type that orders or "
                "processes use can stop being offered, not be deleted. Without a Russian name the English one "
                "is shown."),
        spacing="3",
    )
