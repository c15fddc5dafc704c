"""Order page section: Messages. Follow-ups and replies (e-mailed through the outbox with their
attachments), comments (internal or Client Viewable), the compose dialog and subscribing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import reflex as rx
from sqlmodel import Session

from ordertrack import offload
from ordertrack.auth import coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.db.models import Customer
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.pages.order.common import Snapshot, fmt, size_words
from ordertrack.pages.order.compose import UPLOAD_ID, compose_dialog
from ordertrack.pages.order.state import OrderState
from ordertrack.services import attachments, messages, order_views
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings

KIND_LABELS = {"followup": N_("Follow-up"), "reply": N_("Reply"), "comment": N_("Comment")}
TITLES = {"followup": N_("Post a Follow-up"), "reply": N_("Reply"), "comment": N_("Add a Comment")}
QUOTED_TITLES = {"followup": N_("Post a Follow-up & Quote"), "reply": N_("Reply & Quote"),
                 "comment": N_("Add a Comment & Quote")}
SUBJECT = N_("Order {number}: {name}")
REPLY_SUBJECT = "Re: {subject}"
BODY_REQUIRED = N_("The message needs a body.")
NOT_ATTACHED = N_("Not attached: {names} ({reason}).")
TOO_BIG = N_("larger than 5 MB or too many files")
TOO_MANY = N_("{name}: attach at most 5 files to a message.")
MAX_FILES = 5


def read(session: Session, snap: Snapshot) -> dict[str, Any]:
    """The messages (newest first) and attachments the principal may see, and the subscription."""
    principal = snap.principal
    found = messages.list_messages(session, principal=principal, order_id=snap.order_id)
    files = attachments.of_messages(session, message_ids=[m.id for m in found])
    return {
        "subscribed": messages.is_subscribed(session, principal=principal, order_id=snap.order_id),
        "contact_email": session.get(Customer, snap.customer_id).contact_email if principal.is_staff else "",
        "message_files": [{"message": str(mid), "name": f.name, "href": f"/attachments/{f.id}",
                           "size": size_words(f.size)} for mid, fs in files.items() for f in fs],
        "messages": [
            {"id": str(m.id), "kind": KIND_LABELS[m.kind], "author": m.author, "to": m.to, "subject": m.subject,
             "body": m.body, "at": fmt(m.at), "internal": "" if m.client_viewable else "1"}
            for m in found
        ],
    }


class MessagesState(OrderState):
    """The messages of the order and the compose dialog (staff write, customers read).

    Pending uploads (issue #12.5) belong to the dialog that is open and to this order: opening,
    closing or cancelling a dialog and (re)loading the page discard them (rows and files), an
    upload with no dialog open is refused, and the service checks again on sending that each one
    is its sender's unsent upload on this very order.
    """

    messages: list[dict[str, str]] = []
    message_files: list[dict[str, str]] = []
    subscribed: bool = False
    contact_email: str = ""
    compose_open: bool = False
    compose: dict[str, str] = {}
    compose_error: str = ""
    owners: list[dict[str, str]] = []
    pending_files: list[dict[str, str]] = []
    upload_error: str = ""
    _pending_ids: list[int] = []
    _pending_order: int = 0

    def _read(self, session: Session, snap: Snapshot) -> dict[str, Any]:
        return read(session, snap)

    def _opened(self) -> None:
        self._drop_pending()
        self.compose_open = False

    def _drop_pending(self) -> None:
        """Forget (and delete) the uploads of the dialog that was open: no later message takes them."""
        ids = list(self._pending_ids)
        self._pending_ids, self.pending_files, self._pending_order = [], [], 0
        self.upload_error = ""
        principal = current_principal()
        if ids and principal is not None:
            with session_scope() as session:
                attachments.discard(session, principal=principal, attachment_ids=ids,
                                    folder=Path(get_settings().attachments_dir))

    @rx.event
    @guard(staff=True)
    def open_compose(self, kind: str, quote_id: str):
        """Open the Follow-up / Reply / Reply & Quote / Comment form (with no files of an earlier one)."""
        kind = coerce_str(kind, name="Kind", max_len=20)
        if kind not in messages.KINDS:
            raise BadInput("Unknown message kind.")
        quote_id = coerce_str(quote_id, name="Message", max_len=20)
        quoted = next((m for m in self.messages if m["id"] == quote_id), None) if quote_id else None
        if quote_id and quoted is None:
            raise BadInput("That message is gone.")
        self._drop_pending()
        with session_scope() as session:
            self.owners = [{"id": str(i), "name": n} for i, n in order_views.staff_users(session)]
        self.compose = {
            "kind": kind,
            "title": (QUOTED_TITLES if quoted else TITLES)[kind],
            "to": self.contact_email if kind != "comment" else "",
            "subject": REPLY_SUBJECT.format(subject=quoted["subject"]) if quoted
            else _(SUBJECT).format(number=self.number, name=self.name),
            "body": "\n\n" + "\n".join("> " + line for line in quoted["body"].splitlines()) if quoted else "",
            "template": "none",
        }
        self.compose_error = ""
        self._pending_order = self._order_id
        self.compose_open = True

    @rx.event
    @guard(staff=True)
    def close_compose(self):
        """Close the form without sending: its uploads are discarded."""
        self.compose_open = False
        self._drop_pending()

    @rx.event
    @guard(staff=True)
    async def choose_template(self, template: str):
        """A comment template was chosen: its text fills the body (which stays editable)."""
        template = coerce_str(template, name="Template", max_len=20)
        if template not in messages.TEMPLATES or not self.compose_open:
            raise BadInput("Unknown template.")
        subject, body = messages.TEMPLATES[template]
        self.compose = {**self.compose, "template": template, "body": _(body) if body else "",
                        "subject": _(subject) if subject else self.compose.get("subject", "")}

    @rx.event
    @guard(staff=True)
    async def files_rejected(self, rejected: list):
        """Files the browser refused before uploading (too big, too many): say which, in the dialog."""
        names = []
        for entry in rejected if isinstance(rejected, list) else []:
            file = entry.get("file") if isinstance(entry, dict) else None
            name = file.get("path") or file.get("name") if isinstance(file, dict) else None
            names.append(coerce_str(name, name="File", max_len=200).lstrip("./") if isinstance(name, str) else "?")
        self.upload_error = _(NOT_ATTACHED).format(names=", ".join(names[:10]) or "?", reason=_(TOO_BIG))

    @rx.event
    @guard(staff=True, upload=True)
    async def upload_attachments(self, files: list[rx.UploadFile]):
        """Attach the chosen files to the message being written, as soon as they are chosen (size
        and type checked on the server); a refused file is named in the dialog, never dropped silently."""
        if not self._order_id or not self.compose_open or self._pending_order != self._order_id \
                or not isinstance(files, list):
            raise BadInput(N_("Open a message form to attach files."))
        self.upload_error = ""
        settings = get_settings()
        order_id, principal = self._order_id, current_principal()

        def store(name: str, data: bytes):
            with session_scope() as session:
                return attachments.store(session, principal=principal, order_id=order_id,
                                         filename=name, data=data, folder=Path(settings.attachments_dir),
                                         max_bytes=settings.attachment_max_bytes, now=get_clock().now())

        refused = []
        for file in files:
            if len(self._pending_ids) >= MAX_FILES:
                refused.append(_(TOO_MANY).format(name=attachments.safe_name(file.name or "file")))
                continue
            data = await file.read()
            try:
                view = await offload.run(store, file.name or "file", data)
            except BadInput as exc:
                refused.append(_(exc.message))
                continue
            self._pending_ids = [*self._pending_ids, view.id]
            self.pending_files = [*self.pending_files, {"id": str(view.id), "name": view.name,
                                                        "size": size_words(view.size)}]
        self.upload_error = " ".join(refused)

    @rx.event
    @guard(staff=True)
    def remove_pending(self, attachment_id: str):
        """Take one uploaded file off the message being written."""
        aid = coerce_int(attachment_id, name="Attachment", minimum=1)
        if aid not in self._pending_ids:
            raise BadInput(N_("That file is not attached to this message."))
        with session_scope() as session:
            attachments.discard(session, principal=current_principal(), attachment_ids=[aid],
                                folder=Path(get_settings().attachments_dir))
        self._pending_ids = [i for i in self._pending_ids if i != aid]
        self.pending_files = [f for f in self.pending_files if f["id"] != str(aid)]

    @rx.event
    @guard(staff=True)
    def send_message(self, form_data: dict):
        """Send the follow-up/reply as e-mail, or add the comment."""
        if not isinstance(form_data, dict) or not self.compose or not self._order_id or not self.compose_open:
            raise BadInput("Nothing to send.")
        kind = self.compose["kind"]
        body = coerce_str(form_data.get("body"), name="Body", max_len=20000)
        template = coerce_str(form_data.get("template"), name="Template", max_len=20) or "none"
        if template not in messages.TEMPLATES:
            raise BadInput("Unknown template.")
        if not body and template != "none":
            body = messages.TEMPLATES[template][1]
        if not body:
            self.compose_error = _(BODY_REQUIRED)
            return None
        assign = coerce_str(form_data.get("assign_to"), name="Assign to", max_len=10)
        settings = get_settings()
        pending = list(self._pending_ids) if self._pending_order == self._order_id else []
        with session_scope() as session:
            messages.post(
                session, principal=current_principal(), order_id=self._order_id, kind=kind, body=body,
                to=coerce_str(form_data.get("to"), name="To", max_len=320),
                subject=coerce_str(form_data.get("subject"), name="Subject", max_len=300),
                client_viewable=form_data.get("client_viewable") == "on",
                assign_to=None if assign in ("", "none") else coerce_int(assign, name="Assign to", minimum=1),
                subscribe=form_data.get("subscribe") == "on", now=get_clock().now(), calendar=business_calendar(),
                base_url=settings.public_url, expected_version=self._version,
                attachment_ids=pending, attachments_dir=settings.attachments_dir,
            )
        self._pending_ids, self.pending_files, self._pending_order = [], [], 0
        self.compose_open = False
        return self._changed(_("Comment added.") if kind == "comment" else _("Sent."))

    @rx.event
    @guard(staff=True)
    def toggle_subscription(self):
        """Subscribe to (or unsubscribe from) copies of every follow-up, e-mail and comment."""
        subscribed = not self.subscribed
        with session_scope() as session:
            messages.set_subscription(session, principal=current_principal(), order_id=self._order_id,
                                      subscribed=subscribed)
        return [OrderState.refresh, rx.toast.success(_("Subscribed.") if subscribed else _("Unsubscribed."))]


def _attachment(m: rx.Var, f: rx.Var) -> rx.Component:
    return rx.cond(
        f["message"] == m["id"],
        rx.link(rx.hstack(rx.icon("paperclip", size=12), f["name"], " (", f["size"], ")"), href=f["href"],
                is_external=True, size="1"),
    )


def _message(m: rx.Var) -> rx.Component:
    s = MessagesState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(T(m["kind"]), variant="soft"),
                rx.cond(m["internal"] == "1", rx.badge(T("internal"), color_scheme="gray")),
                rx.text(rx.cond(m["author"] == "", T("Support team"), m["author"]), weight="medium", size="2"),
                rx.cond(m["to"] != "", rx.text(T("to {address}", address=m["to"]), size="1", color_scheme="gray")),
                rx.spacer(),
                rx.text(m["at"], size="1", color_scheme="gray"),
                rx.cond(s.can_edit, rx.hstack(
                    rx.button(T("Reply"), size="1", variant="ghost", on_click=s.open_compose("reply", "")),
                    rx.button(T("Reply & Quote"), size="1", variant="ghost", on_click=s.open_compose("reply", m["id"])),
                )),
                width="100%",
                align="center",
            ),
            rx.text(m["subject"], weight="bold", size="2"),
            rx.text(m["body"], size="2", white_space="pre-wrap"),
            rx.hstack(rx.foreach(s.message_files, lambda f: _attachment(m, f)), wrap="wrap"),
            spacing="1",
            width="100%",
        ),
        width="100%",
        data_message=m["body"],
    )


def section() -> rx.Component:
    """Messages: the buttons to write (staff), the list, and the compose dialog."""
    s = MessagesState
    return rx.vstack(
        rx.hstack(
            rx.heading(T("Messages"), size="4"),
            rx.cond(s.can_edit, rx.hstack(
                rx.button(T("Post a Follow-up"), size="1", variant="soft", on_click=s.open_compose("followup", "")),
                rx.button(T("Add a Comment"), size="1", variant="soft", on_click=s.open_compose("comment", "")),
                rx.button(rx.cond(s.subscribed, T("Unsubscribe"), T("Subscribe")), size="1", variant="ghost",
                          on_click=s.toggle_subscription),
            )),
            align="center",
        ),
        rx.cond(s.messages.length() == 0, rx.text(T("No messages yet."), color_scheme="gray", size="2"),
                rx.vstack(rx.foreach(s.messages, _message), width="100%", spacing="2", id="order-messages")),
        compose_dialog(
            compose=s.compose, owners=s.owners, pending_files=s.pending_files, error=s.compose_error,
            open=s.compose_open, on_submit=s.send_message, on_cancel=s.close_compose,
            on_upload=s.upload_attachments(rx.upload_files(upload_id=UPLOAD_ID)),
            on_rejected=s.files_rejected, on_remove=s.remove_pending, on_template=s.choose_template,
            upload_error=s.upload_error,
        ),
        width="100%",
    )
