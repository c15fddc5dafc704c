"""Clients and installed objects with their statuses (seed 04): a status icon per row opens
the status window — current status, history (date, status, user, comment), the next allowed
statuses only, a comment, and "Change status to …"."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import error_line, field, form, select, submit_row, text_area
from ordertrack.components.layout import dialog
from ordertrack.components.tables import Column, data_table
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import CLIENT_WORKFLOW, OBJECT_WORKFLOW
from ordertrack.i18n import N_, _
from ordertrack.i18n.format import datetime_text
from ordertrack.i18n.ui import T
from ordertrack.live import publish, watch
from ordertrack.pages.frame import page
from ordertrack.services import status_moves as svc
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings

COLOUR_SCHEME = {"green": "green", "blue": "blue", "yellow": "amber", "red": "red", "": "gray"}
CLIENT_VIEWERS = (Role.ADMIN, Role.PARTNER, Role.RESELLER, Role.SUPPORT, Role.OPERATOR, Role.MANAGER,
                  Role.TECH_SUPPORT, Role.MODERATOR, Role.INSTALLER)
OBJECT_VIEWERS = tuple(svc.OBJECT_VIEWERS)


def _fmt(at) -> str:
    return datetime_text(at, tz=get_settings().business_tz)  # "01/12/2026, 14:30", "01.12.2026, 14:30"


def _row(s: svc.Subject) -> dict[str, str]:
    return {"id": str(s.id), "name": s.name, "detail": s.detail, "status": s.status, "label": s.status_label,
            "since": _fmt(s.status_since), "colour": s.colour, "scheme": COLOUR_SCHEME[s.colour],
            "blink": "1" if s.blinking else "", "can": "1" if s.moves else ""}


class StatusesState(AppState):
    """The list of one kind (clients or objects) and the status window."""

    kind: str = ""
    rows: list[dict[str, str]] = []
    f_status: str = "any"
    open: bool = False
    subject: dict[str, str] = {}
    history_rows: list[dict[str, str]] = []
    moves: list[dict[str, str]] = []
    chosen: str = ""
    error: str = ""
    _version: int = 0
    _watcher: str = ""
    _watch_path: str = ""

    def _fetch(self) -> None:
        principal, now = current_principal(), get_clock().now()
        with session_scope() as session:
            if self.kind == "customer":
                items = svc.list_clients(session, principal=principal, now=now)
            else:
                items = svc.list_objects(session, principal=principal, now=now,
                                         status="" if self.f_status == "any" else self.f_status)
        self.rows = [_row(s) for s in items]
        if self.open and self.subject:
            self._open(int(self.subject["id"]))

    def _open(self, entity_id: int) -> None:
        principal, now = current_principal(), get_clock().now()
        with session_scope() as session:
            subject = svc.get_subject(session, principal=principal, kind=self.kind, entity_id=entity_id, now=now)
            rows = svc.history(session, principal=principal, kind=self.kind, entity_id=entity_id)
        self.subject = {**_row(subject), "permanent": "1" if subject.permanent else ""}
        self._version = subject.version
        self.history_rows = [{"at": _fmt(r.at), "status": r.status, "user": r.user, "comment": r.comment}
                             for r in rows]
        self.moves = [{"target": m.target, "label": m.label, "comment": "1" if m.needs_comment else "",
                       "irreversible": "1" if m.irreversible else "",
                       "id": m.target, "name": OBJECT_WORKFLOW.label(m.target) if self.kind != "customer"
                       else CLIENT_WORKFLOW.label(m.target)} for m in subject.moves]
        if self.chosen not in {m.target for m in subject.moves}:
            self.chosen = subject.moves[0].target if subject.moves else ""

    @rx.var
    def chosen_label(self) -> str:
        return next((m["label"] for m in self.moves if m["target"] == self.chosen), "")

    @rx.var
    def chosen_irreversible(self) -> bool:
        return any(m["target"] == self.chosen and m["irreversible"] == "1" for m in self.moves)

    @rx.event
    @guard(*CLIENT_VIEWERS, page=True)
    def load_clients(self):
        """Page load: clients."""
        self.kind, self.open = "customer", False
        self._fetch()

    @rx.event
    @guard(*OBJECT_VIEWERS, page=True)
    def load_objects(self):
        """Page load: installed objects."""
        self.kind, self.open = "object", False
        self._fetch()

    @rx.event(background=True)
    @guard(background=True)
    async def watch(self):
        """Statuses and colours stay current."""
        await watch(self, refresh=self._fetch)

    @rx.event
    @guard()
    def set_status_filter(self, value: str):
        """Filter objects by status."""
        value = coerce_str(value, name="Status", max_len=40)
        if value != "any" and not OBJECT_WORKFLOW.has(value):
            raise BadInput(_("Unknown status."))
        self.f_status = value
        self._fetch()

    @rx.event
    @guard()
    def open_status(self, entity_id: str):
        """Click on a status icon: the status window."""
        if self.kind not in ("customer", "object"):
            raise BadInput(_("Nothing to open."))
        self.error, self.chosen = "", ""
        self._open(coerce_int(entity_id, name="Row", minimum=1))
        self.open = True

    @rx.event
    @guard()
    async def close_status(self):
        """Close the window."""
        self.open = False

    @rx.event
    @guard()
    async def choose(self, target: str):
        """Pick the next status."""
        target = coerce_str(target, name="Status", max_len=40)
        if target not in {m["target"] for m in self.moves}:
            raise BadInput(_("That status is not available."))
        self.chosen = target

    @rx.event
    @guard()
    def change(self, form_data: dict):
        """Change status to the chosen one (the engine checks role, window and comment)."""
        if not isinstance(form_data, dict) or not self.subject or not self.chosen:
            raise BadInput(_("Choose the next status."))
        comment = coerce_str(form_data.get("comment"), name=_("Comment"), max_len=4000)
        needs = any(m["target"] == self.chosen and m["comment"] == "1" for m in self.moves)
        if needs and not comment:
            self.error = _("A comment is required.")
            return None
        with session_scope() as session:
            svc.change_status(session, principal=current_principal(), kind=self.kind,
                              entity_id=int(self.subject["id"]), target=self.chosen,
                              expected_version=self._version, now=get_clock().now(), comment=comment)
        name = next((m["name"] for m in self.moves if m["target"] == self.chosen), self.chosen)
        self.open = False
        self._fetch()
        publish()
        return rx.toast.success(f"{self.subject['name']}: {name}.")


def status_icon(r: rx.Var) -> rx.Component:
    """The clickable status icon of a row."""
    return rx.button(
        rx.icon("circle-dot", size=14), r["label"], size="1", variant="soft", color_scheme=r["scheme"],
        on_click=StatusesState.open_status(r["id"]), class_name=rx.cond(r["blink"] == "1", "ot-blink", ""),
        aria_label=T("Status of {name}: {status}", name=r["name"], status=r["label"]), data_status=r["status"],
    )


HISTORY_COLUMNS = (Column(N_("Date"), "at"), Column(N_("Status"), "status"), Column(N_("User"), "user"),
                   Column(N_("Comment"), "comment"))


def _change_form() -> rx.Component:
    s = StatusesState
    return form(
        field(T("Next status"), select("target", T("Next status"), s.moves, value=s.chosen, on_change=s.choose,
                                    id="sw-next"), html_for="sw-next"),
        rx.cond(s.chosen_irreversible, rx.callout(
            T("Decommissioned is permanent: once set, the object can never leave it."),
            icon="octagon-alert", color_scheme="red")),
        field(T("Comment"), text_area("comment", T("Comment"), id="sw-comment", rows="2", placeholder=""),
              html_for="sw-comment"),
        error_line(s.error),
        submit_row(s.chosen_label, on_cancel=s.close_status, danger=s.chosen_irreversible),
        on_submit=s.change,
        reset=True,
    )


def status_window() -> rx.Component:
    """The status change window."""
    s = StatusesState
    return dialog(
        s.subject["name"],
        rx.text(T("Current status:"), " ", rx.text.strong(s.subject["label"], id="sw-current"), " ",
                T("since {time}", time=s.subject["since"])),
        data_table(s.history_rows, HISTORY_COLUMNS, empty=None, size="1", variant="ghost", id="sw-history"),
        rx.cond(
            s.subject["permanent"] == "1",
            rx.callout(T("This status is permanent: it cannot be changed."), icon="lock", color_scheme="gray"),
            rx.cond(
                s.moves.length() == 0,
                rx.callout(T("You may not change this status now."), icon="info", color_scheme="gray"),
                _change_form(),
            ),
        ),
        open=s.open,
        on_close=s.close_status,
        max_width="680px",
    )


LIST_COLUMNS = (Column(N_("Status"), status_icon), Column(N_("Name"), lambda r: rx.text(r["name"], weight="medium")),
                Column(N_("Details"), "detail"), Column(N_("Since"), "since"))
STATUS_FILTER = [(st.key, st.label) for st in OBJECT_WORKFLOW.statuses]


def _list(title: str, empty: str, with_filter: bool) -> rx.Component:
    s = StatusesState
    return page(
        *([select("", T("Status filter"), STATUS_FILTER, none=T("All statuses"), none_value="any", value=s.f_status,
                  on_change=s.set_status_filter)] if with_filter else []),
        data_table(s.rows, LIST_COLUMNS, empty=T(empty), id="status-list",
                   row_props=lambda r: {"data_name": r["name"]}),
        status_window(),
        title=T(title),
    )


def clients_page() -> rx.Component:
    return _list(N_("Clients"), N_("No clients to show."), False)


def objects_page() -> rx.Component:
    return _list(N_("Installed objects"), N_("No installed objects to show."), True)
