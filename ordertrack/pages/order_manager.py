"""Order Manager (seed 03): a side panel that can be pinned open — View by Order Queue or by
Order Status, each expanding to its steps with order counts; a step lists its orders."""

from __future__ import annotations

from pathlib import Path

import reflex as rx

from ordertrack import offload
from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components import order_columns as oc
from ordertrack.components.forms import field, form, submit_row, text_area, text_input
from ordertrack.components.layout import dialog
from ordertrack.components.tables import Column, data_table, empty_state
from ordertrack.db.engine import session_scope
from ordertrack.i18n import _
from ordertrack.i18n.ui import T, Tn
from ordertrack.live import watch
from ordertrack.pages.frame import page
from ordertrack.pages.order.compose import attachments_field
from ordertrack.services import attachments, intake, order_manager
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings

LINK_UPLOAD_ID = "link-attach"


class OrderManagerState(AppState):
    """Panel counts and the orders of the chosen step."""

    view: str = "queue"
    panel_open: bool = True
    pinned: str = rx.LocalStorage("1", name="ot_om_pinned")
    nodes: list[dict[str, str]] = []
    steps: list[dict[str, str]] = []
    chosen_title: str = ""
    rows: list[dict[str, str]] = []
    total: int = 0
    drafts: list[dict[str, str]] = []
    link_open: bool = False
    link_for: dict[str, str] = {}
    link_files: list[dict[str, str]] = []
    link_upload_error: str = ""
    _link_files: list[dict[str, str]] = []  # kept on the server: paths of this dialog's files
    _chosen: tuple[str, str] = ("", "")
    _watcher: str = ""
    _watch_path: str = ""

    def _fetch(self) -> None:
        principal = current_principal()
        with session_scope() as session:
            nodes = (order_manager.by_queue if self.view == "queue" else order_manager.by_status)(
                session, principal=principal)
            node, step = self._chosen
            listed = order_manager.orders_in(session, principal=principal, view=self.view, node=node, step=step) \
                if node else None
        self.nodes = [{"key": n.key, "label": n.label, "total": str(n.total)} for n in nodes]
        self.steps = [{"node": n.key, "key": s.key, "label": s.label, "count": str(s.count),
                       "chosen": "1" if (n.key, s.key) == self._chosen else ""} for n in nodes for s in n.steps]
        with session_scope() as session:
            self.drafts = [{"id": str(d.id), "company": d.company, "email": d.email or "—",
                            "has_email": "1" if "@" in (d.email or "") else "", "service": d.service,
                            "step": _("step {n} of 3").format(n=d.step),
                            "updated": d.updated_at.strftime("%Y-%m-%d %H:%M")}
                           for d in intake.unfinished(session, principal=principal)]
        if listed is not None:
            self.total = listed.total
            self.rows = [oc.order_row(c) for c in listed.cards]

    @rx.event
    @guard(staff=True)
    def load(self):
        """Page load."""
        self.panel_open = self.pinned == "1" or self.panel_open
        self._fetch()

    @rx.event(background=True)
    @guard(staff=True, background=True)
    async def watch(self):
        """Counts and lists stay current."""
        await watch(self, refresh=self._fetch)

    @rx.event
    @guard(staff=True)
    def set_view(self, view: str):
        """View by Order Queue or by Order Status."""
        view = coerce_str(view, name="View", max_len=10)
        if view not in ("queue", "status"):
            raise BadInput(_("Unknown view."))
        self.view, self._chosen, self.rows, self.chosen_title, self.total = view, ("", ""), [], "", 0
        self._fetch()

    @rx.event
    @guard(staff=True)
    def choose(self, node: str, step: str):
        """List the orders of one step."""
        node = coerce_str(node, name="Queue", max_len=40)
        step = coerce_str(step, name="Step", max_len=40)
        match = next((s for s in self.steps if s["node"] == node and s["key"] == step), None)
        if match is None:
            raise BadInput(_("Unknown step."))
        title = next(n["label"] for n in self.nodes if n["key"] == node)
        self._chosen, self.chosen_title = (node, step), f"{title} › {match['label']}"
        if self.pinned != "1":
            self.panel_open = False
        self._fetch()

    def _drop_link_files(self) -> None:
        """Forget (and delete) the files of the dialog that was open."""
        files, self._link_files, self.link_files, self.link_upload_error = list(self._link_files), [], [], ""
        if files:
            attachments.discard_mail_files(files, folder=Path(get_settings().attachments_dir))

    @rx.event
    @guard(staff=True)
    def open_link_dialog(self, draft_id: str):
        """Send Order Links: write the e-mail (only for an unfinished order with an e-mail address).
        From is the address the mail really comes from."""
        draft_id = coerce_str(draft_id, name="Order", max_len=20)
        draft = next((d for d in self.drafts if d["id"] == draft_id), None)
        if draft is None:
            raise BadInput(_("That unfinished order is gone."))
        if draft["has_email"] != "1":
            raise BadInput(_("This unfinished order has no e-mail address yet."))
        self._drop_link_files()
        self.link_for = {**draft, "from": get_settings().mail_from}
        self.link_open = True

    @rx.event
    @guard(staff=True)
    def close_link_dialog(self):
        """Close without sending: the files chosen are discarded."""
        self.link_open = False
        self._drop_link_files()

    @rx.event
    @guard(staff=True, upload=True)
    async def upload_link_files(self, files: list[rx.UploadFile]):
        """Attach files to the order link mail as soon as they are chosen (checked on the server)."""
        if not self.link_open or not self.link_for or not isinstance(files, list):
            raise BadInput("Open Send Order Links to attach files.")
        settings, principal, refused = get_settings(), current_principal(), []
        for file in files:
            if len(self._link_files) >= 5:
                refused.append(f"{attachments.safe_name(file.name or 'file')}: attach at most 5 files.")
                continue
            data = await file.read()
            try:
                kept = await offload.run(lambda d=data, n=file.name or "file": attachments.store_for_mail(
                    principal=principal, filename=n, data=d, folder=Path(settings.attachments_dir),
                    max_bytes=settings.attachment_max_bytes))
            except BadInput as exc:
                refused.append(exc.message)
                continue
            self._link_files = [*self._link_files, kept]
            self.link_files = [*self.link_files, {"id": str(len(self._link_files) - 1), "name": kept["name"],
                                                  "size": f"{max(1, int(kept['size']) // 1024)} KB"}]
        self.link_upload_error = " ".join(refused)

    @rx.event
    @guard(staff=True)
    def remove_link_file(self, index: str):
        """Take one file off the order link mail."""
        i = coerce_int(index, name="File", minimum=0, maximum=max(0, len(self._link_files) - 1))
        if i >= len(self._link_files):
            raise BadInput("That file is not attached.")
        attachments.discard_mail_files([self._link_files[i]], folder=Path(get_settings().attachments_dir))
        self._link_files = [f for n, f in enumerate(self._link_files) if n != i]
        self.link_files = [{**f, "id": str(n)} for n, f in enumerate(
            [f for n, f in enumerate(self.link_files) if n != i])]

    @rx.event
    @guard(staff=True)
    async def link_files_rejected(self, rejected: list):
        """Files the browser refused before uploading (too big, too many)."""
        self.link_upload_error = "Not attached: larger than 5 MB or too many files."

    @rx.event
    @guard(staff=True)
    def send_link(self, form_data: dict):
        """E-mail the client a signed link to continue the order."""
        if not isinstance(form_data, dict) or not self.link_for:
            raise BadInput(_("Nothing to send."))
        settings = get_settings()
        with session_scope() as session:
            intake.send_link(session, principal=current_principal(),
                             draft_id=coerce_int(self.link_for["id"], name="Order", minimum=1),
                             sender=current_principal().display_name,
                             subject=coerce_str(form_data.get("subject"), name="Subject", max_len=300),
                             message=coerce_str(form_data.get("message"), name="Message", max_len=5000),
                             now=get_clock().now(), secret=settings.signing_key(), base_url=settings.public_url,
                             files=list(self._link_files))
        self._link_files, self.link_files = [], []  # the outbox sends them now
        self.link_open = False
        return rx.toast.success(_("Order link sent to {email}.").format(email=self.link_for["email"]))

    @rx.event
    @guard(staff=True)
    async def toggle_panel(self):
        """Show or hide the panel."""
        self.panel_open = not self.panel_open

    @rx.event
    @guard(staff=True)
    async def toggle_pin(self):
        """Keep the panel open (remembered in this browser)."""
        self.pinned = "" if self.pinned == "1" else "1"
        self.panel_open = True


def _node(n: rx.Var) -> rx.Component:
    s = OrderManagerState
    return rx.accordion.item(
        header=rx.hstack(rx.text(n["label"]), rx.spacer(), rx.badge(n["total"], variant="soft")),
        content=rx.vstack(
            rx.foreach(s.steps, lambda st: rx.cond(
                st["node"] == n["key"],
                rx.button(
                    rx.hstack(rx.text(st["label"]), rx.spacer(), rx.text(st["count"]), width="100%"),
                    variant=rx.cond(st["chosen"] == "1", "soft", "ghost"), size="1", width="100%",
                    on_click=s.choose(n["key"], st["key"]), data_step=st["label"],
                ),
            )),
            spacing="1",
            width="100%",
        ),
        value=n["key"],
    )


def _panel() -> rx.Component:
    s = OrderManagerState
    return rx.vstack(
        rx.hstack(
            rx.text(T("Order Queue Manager"), weight="bold"),
            rx.spacer(),
            rx.icon_button(rx.icon("pin", size=14), variant=rx.cond(s.pinned == "1", "solid", "ghost"), size="1",
                           aria_label=T("Pin the panel"), on_click=s.toggle_pin),
            width="100%",
        ),
        rx.radio_group.root(
            rx.vstack(
                rx.radio_group.item(T("View by Order Queue"), value="queue"),
                rx.radio_group.item(T("View by Order Status"), value="status"),
            ),
            value=s.view,
            on_change=s.set_view,
        ),
        rx.accordion.root(rx.foreach(s.nodes, _node), type="multiple", collapsible=True, width="100%",
                          variant="ghost"),
        width="320px",
        min_width="320px",
        padding="1em",
        border_right=f"1px solid {rx.color('gray', 5)}",
        id="om-panel",
    )


DRAFT_COLUMNS = (Column(T("Company"), "company"), Column(T("E-mail"), "email"), Column(T("Service"), "service"),
                 Column(T("Progress"), "step"), Column(T("Last change"), "updated"),
                 Column("", lambda d: rx.cond(
                     d["has_email"] == "1",
                     rx.button(T("Send Order Links"), size="1", variant="soft",
                               on_click=OrderManagerState.open_link_dialog(d["id"])),
                     rx.text(T("no e-mail address yet"), size="1", color_scheme="gray"))))
ORDER_COLUMNS = (Column(T("Order ID"), oc.order_link), oc.NAME, oc.CUSTOMER, oc.PHASE, oc.STATUS, oc.PRIORITY)


def _link_dialog() -> rx.Component:
    s = OrderManagerState
    return dialog(
        [T("Send Order Link to {email}", email=s.link_for["email"])],
        form(
            field(T("From"), rx.text(s.link_for["from"], id="sl-from", size="2"), html_for="sl-from"),
            field(T("Subject"), text_input("subject", T("Subject"), value=T("Continue your order"), id="sl-subject",
                                        placeholder="", width="100%"), html_for="sl-subject"),
            field(T("Message"), text_area("message", T("Message"), id="sl-message", rows="4", placeholder="",
                                       value=T("You started an order with us. Use the link below to "
                                               "continue where you left off.")), html_for="sl-message"),
            attachments_field(s.link_files, on_upload=s.upload_link_files(rx.upload_files(upload_id=LINK_UPLOAD_ID)),
                              on_rejected=s.link_files_rejected, on_remove=s.remove_link_file,
                              upload_error=s.link_upload_error, upload_id=LINK_UPLOAD_ID),
            submit_row(T("Send Mail"), on_cancel=s.close_link_dialog),
            on_submit=s.send_link,
        ),
        open=s.link_open,
        on_close=s.close_link_dialog,
    )


def _drafts() -> rx.Component:
    s = OrderManagerState
    return rx.cond(
        s.drafts.length() > 0,
        rx.vstack(
            rx.heading(T("Unfinished web orders"), size="4"),
            data_table(s.drafts, DRAFT_COLUMNS, empty=None, row_props=lambda d: {"data_draft": d["company"]}),
            _link_dialog(),
            width="100%",
        ),
    )


def order_manager_page() -> rx.Component:
    """The Order Manager."""
    s = OrderManagerState
    return page(
        rx.hstack(
            rx.cond(s.panel_open, _panel()),
            rx.vstack(
                rx.hstack(
                    rx.icon_button(rx.icon(rx.cond(s.panel_open, "panel-left-close", "panel-left-open"), size=16),
                                   variant="soft", aria_label=T("Toggle the order queue panel"),
                                   on_click=s.toggle_panel),
                    rx.heading(T("Order Manager"), size="7"),
                    align="center",
                ),
                rx.cond(
                    s.chosen_title == "",
                    empty_state(T("Choose a queue or a status step in the panel to list its orders."), icon="list"),
                    rx.vstack(
                        rx.text(s.chosen_title, " · ", Tn("{n} order", "{n} orders", s.total), weight="medium", id="om-title"),
                        data_table(s.rows, ORDER_COLUMNS, empty=None, id="om-orders"),
                        width="100%",
                    ),
                ),
                _drafts(),
                width="100%",
                spacing="3",
            ),
            align="start",
            width="100%",
            spacing="4",
        ),
        wide=True,
    )
