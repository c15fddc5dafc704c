"""Notification settings (seed 02): who gets failed-order e-mails (reseller), the customers'
contact e-mails, the templates with a live preview, and the remedy table (support/admin)."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.components.forms import (
    field,
    form,
    hidden,
    inline,
    inline_form,
    text_area,
    text_input,
)
from ordertrack.components.tables import Column, data_table
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.pages.frame import page
from ordertrack.services import notifications, provisioning
from ordertrack.services.errors import BadInput

EDITORS = (Role.RESELLER, Role.SUPPORT, Role.ADMIN)
TEMPLATE_EDITORS = (Role.SUPPORT, Role.ADMIN)


class NotifySettingsState(AppState):
    """Loaded only for the roles that may edit (vars start empty)."""

    is_reseller: bool = False
    can_edit_templates: bool = False
    notify_me: bool = False
    notify_customers: bool = False
    contacts: list[dict[str, str]] = []
    templates: list[dict[str, str]] = []
    template_event: str = ""
    subject: str = ""
    body: str = ""
    remedies: list[dict[str, str]] = []

    def _fetch(self) -> None:
        principal = current_principal()
        with session_scope() as session:
            self.is_reseller = principal.role is Role.RESELLER
            if self.is_reseller:
                self.notify_me, self.notify_customers = provisioning.notification_settings(
                    session, principal=principal)
            self.contacts = [{"id": str(i), "name": n, "email": e}
                             for i, n, e in provisioning.customer_contacts(session, principal=principal)]
            self.can_edit_templates = principal.role in TEMPLATE_EDITORS
            if self.can_edit_templates:
                notifications.ensure_templates(session)
                rows = [notifications.template_for(session, e) for e in notifications.DEFAULT_TEMPLATES]
                self.templates = [{"event": t.event, "name": t.name, "subject": t.subject, "body": t.body}
                                  for t in rows]
                self.remedies = [{"code": c, "issue": i, "steps": s} for _, c, i, s in provisioning.remedies(session)]
        if self.can_edit_templates and not self.template_event and self.templates:
            self._pick(self.templates[0]["event"])

    def _pick(self, event: str) -> None:
        row = next((t for t in self.templates if t["event"] == event), None)
        if row is None:
            raise BadInput("Unknown template.")
        self.template_event, self.subject, self.body = row["event"], row["subject"], row["body"]

    @rx.var
    def preview_subject(self) -> str:
        return notifications.render(self.subject, "", notifications.SAMPLE_VARIABLES)[0]

    @rx.var
    def preview_body(self) -> str:
        return notifications.render("", self.body, notifications.SAMPLE_VARIABLES)[1]

    @rx.event
    @guard(*EDITORS)
    def load(self):
        """Page load."""
        self._fetch()

    @rx.event
    @guard(Role.RESELLER)
    def save_recipients(self, form_data: dict):
        """The reseller chooses whether failed-order e-mails also go to itself and/or its customers."""
        if not isinstance(form_data, dict):
            raise BadInput("Invalid form.")
        with session_scope() as session:
            provisioning.save_notification_settings(
                session, principal=current_principal(), reseller_too=form_data.get("notify_me") == "on",
                customer_too=form_data.get("notify_customers") == "on")
        self._fetch()
        return rx.toast.success("Notification settings saved.")

    @rx.event
    @guard(*EDITORS)
    def save_contact(self, form_data: dict):
        """Change one customer's contact e-mail (the recipient of its notifications)."""
        if not isinstance(form_data, dict):
            raise BadInput("Invalid form.")
        customer_id = coerce_int(form_data.get("customer_id"), name="Customer", minimum=1)
        email = coerce_str(form_data.get("email"), name="E-mail", max_len=320, required=True)
        with session_scope() as session:
            provisioning.set_contact_email(session, principal=current_principal(), customer_id=customer_id,
                                           email=email)
        self._fetch()
        return rx.toast.success("Contact e-mail saved.")

    @rx.event
    @guard(*TEMPLATE_EDITORS)
    async def pick_template(self, event: str):
        """Edit another template."""
        self._pick(coerce_str(event, name="Template", max_len=60))

    @rx.event
    @guard(*TEMPLATE_EDITORS)
    async def set_subject(self, value: str):
        """Typing in the subject updates the preview."""
        self.subject = coerce_str(value, name="Subject", max_len=300)

    @rx.event
    @guard(*TEMPLATE_EDITORS)
    async def set_body(self, value: str):
        """Typing in the body updates the preview."""
        self.body = coerce_str(value, name="Body", max_len=20000)

    @rx.event
    @guard(*TEMPLATE_EDITORS)
    def save_template(self):
        """Save the template being edited."""
        with session_scope() as session:
            notifications.update_template(session, event=self.template_event, subject=self.subject, body=self.body)
        event = self.template_event
        self._fetch()
        self._pick(event)
        return rx.toast.success("Template saved.")

    @rx.event
    @guard(*TEMPLATE_EDITORS)
    def save_remedy(self, form_data: dict):
        """Add or change a row of the remedy table."""
        if not isinstance(form_data, dict):
            raise BadInput("Invalid form.")
        with session_scope() as session:
            provisioning.save_remedy(
                session, principal=current_principal(),
                reason_code=coerce_str(form_data.get("code"), name="Reason code", max_len=80),
                issue=coerce_str(form_data.get("issue"), name="Issue", max_len=200),
                steps=coerce_str(form_data.get("steps"), name="Steps", max_len=4000),
            )
        self._fetch()
        return rx.toast.success("Remedy saved.")


def _contact_form(c: rx.Var) -> rx.Component:
    return inline_form(
        hidden("customer_id", c["id"]),
        text_input("email", "Contact e-mail of " + c["name"], value=c["email"], type="email", placeholder="",
                   width="280px"),
        on_submit=NotifySettingsState.save_contact,
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="4"), *children, spacing="3", width="100%"), width="100%")


def _recipients() -> rx.Component:
    s = NotifySettingsState
    return _section(
        "Failed-order notifications",
        form(
            rx.text("They always go to the support team. Also send them to:", color_scheme="gray"),
            rx.checkbox("Me (the reseller)", name="notify_me", default_checked=s.notify_me),
            rx.checkbox("My customers (their contact e-mail)", name="notify_customers",
                        default_checked=s.notify_customers),
            rx.button("Save", type="submit"),
            on_submit=s.save_recipients,
            spacing="3",
        ),
    )


def _contacts() -> rx.Component:
    return _section(
        "Customer contact information",
        rx.text("Failed-order notifications for a customer go to its contact e-mail.", color_scheme="gray"),
        data_table(NotifySettingsState.contacts, (Column("Customer", "name"), Column("Contact e-mail", _contact_form)),
                   header=False, empty=None, variant="ghost", row_props=lambda _c: {"align": "center"}),
    )


def _templates() -> rx.Component:
    s = NotifySettingsState
    return _section(
        "E-mail templates",
        rx.hstack(
            rx.foreach(s.templates, lambda t: rx.button(
                t["name"], size="1", variant=rx.cond(t["event"] == s.template_event, "solid", "soft"),
                on_click=s.pick_template(t["event"]))),
            wrap="wrap",
        ),
        rx.text("Variables: ${order_number} ${order_name} ${customer} ${reason} ${details} ${remedy} "
                "${resolution} ${order_link}", size="1", color_scheme="gray"),
        rx.grid(
            rx.vstack(
                field("Subject", text_input("", "Subject", value=s.subject, controlled=True, placeholder="",
                                            id="tpl-subject", on_change=s.set_subject.debounce(250), width="100%"),
                      html_for="tpl-subject", width="100%"),
                field("Body", text_area("", "Body", value=s.body, controlled=True, placeholder="", id="tpl-body",
                                        on_change=s.set_body.debounce(250), rows="12"),
                      html_for="tpl-body", width="100%"),
                rx.button("Save template", on_click=s.save_template),
                width="100%",
            ),
            rx.vstack(
                rx.text("Preview", weight="bold"),
                rx.text(s.preview_subject, weight="medium", id="tpl-preview-subject"),
                rx.text(s.preview_body, white_space="pre-wrap", size="2", id="tpl-preview-body"),
                padding="1em",
                background=rx.color("gray", 2),
                border_radius="var(--radius-3)",
                width="100%",
            ),
            columns="2",
            spacing="4",
            width="100%",
        ),
    )


REMEDY_COLUMNS = (Column("Reason code", lambda r: rx.code(r["code"])), Column("Description of issue", "issue"),
                  Column("Steps to remedy", lambda r: rx.text(r["steps"], white_space="pre-line")))


def _remedies() -> rx.Component:
    s = NotifySettingsState
    return _section(
        "Remedy table",
        data_table(s.remedies, REMEDY_COLUMNS, empty=None, variant="ghost"),
        rx.form(
            inline(
                text_input("code", "Reason code", placeholder="reason_code", required=True),
                text_input("issue", "Issue", placeholder="Description of issue", required=True),
                text_area("steps", "Steps", placeholder="Steps to remedy", required=True, rows="2", width=""),
                rx.button("Add or update", type="submit"),
                align="start",
            ),
            on_submit=s.save_remedy,
            reset_on_submit=True,
        ),
    )


def notify_settings_page() -> rx.Component:
    """The settings a reseller, support or an administrator may change."""
    s = NotifySettingsState
    return page(
        rx.cond(s.is_reseller, _recipients()),
        _contacts(),
        rx.cond(s.can_edit_templates, rx.vstack(_templates(), _remedies(), width="100%", spacing="4")),
        title="Notifications",
    )
