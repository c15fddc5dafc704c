"""Notification settings (seed 02): who gets failed-order e-mails (reseller), the customers'
contact e-mails and mail languages, the templates of each language with a live preview filled
with real data (plain text and HTML), and the remedy table (support/admin)."""

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
from ordertrack.i18n import LANGUAGES, N_, _
from ordertrack.i18n.ui import T
from ordertrack.pages.frame import page
from ordertrack.services import mail_templates, notifications, provisioning
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings

EDITORS = (Role.RESELLER, Role.SUPPORT, Role.ADMIN)
TEMPLATE_EDITORS = (Role.SUPPORT, Role.ADMIN)


class NotifySettingsState(AppState):
    """Loaded only for the roles that may edit (vars start empty)."""

    is_reseller: bool = False
    can_edit_templates: bool = False
    notify_me: bool = False
    notify_customers: bool = False
    contacts: list[dict[str, str]] = []
    templates: list[dict[str, str]] = []  # one per event and language
    events: list[dict[str, str]] = []  # {"event", "name"}: the buttons
    template_event: str = ""
    template_language: str = "en"
    subject: str = ""
    body: str = ""
    variables: list[dict[str, str]] = []  # the picked template's variables with their meaning
    sample: dict[str, str] = {}  # real values for the preview
    remedies: list[dict[str, str]] = []

    def _fetch(self) -> None:
        principal = current_principal()
        with session_scope() as session:
            self.is_reseller = principal.role is Role.RESELLER
            if self.is_reseller:
                self.notify_me, self.notify_customers = provisioning.notification_settings(
                    session, principal=principal)
            rows = provisioning.customer_contacts(session, principal=principal)
            languages = notifications.contact_languages(session, customer_ids=[i for i, _n, _e in rows])
            self.contacts = [{"id": str(i), "name": n, "email": e, "language": languages.get(i, "")}
                             for i, n, e in rows]
            self.can_edit_templates = principal.role in TEMPLATE_EDITORS
            if self.can_edit_templates:
                notifications.ensure_templates(session)
                self.templates = [
                    {"event": t.event, "language": t.language, "name": t.name, "subject": t.subject, "body": t.body}
                    for e in mail_templates.TEMPLATES for t in
                    (notifications.template_for(session, e, lang) for lang in LANGUAGES)]
                self.events = [{"event": e, "name": _(spec.name)} for e, spec in mail_templates.TEMPLATES.items()]
                self.sample = notifications.preview_variables(session, base_url=get_settings().public_url)
                self.remedies = [{"code": c, "issue": i, "steps": s} for _, c, i, s in provisioning.remedies(session)]
        if self.can_edit_templates and self.templates:
            self._pick(self.template_event or self.templates[0]["event"], self.template_language)

    def _pick(self, event: str, language: str) -> None:
        row = next((t for t in self.templates if t["event"] == event and t["language"] == language), None)
        if row is None:
            raise BadInput(_("Unknown template."))
        self.template_event, self.template_language = row["event"], row["language"]
        self.subject, self.body = row["subject"], row["body"]
        self.variables = [{"name": "{{ " + v + " }}", "help": _(mail_templates.VARIABLE_HELP.get(v, v))}
                          for v in mail_templates.TEMPLATES[event].variables]

    def _preview(self) -> tuple[str, str, str]:
        """(subject, text, error) of the template being edited, filled with the real values."""
        try:
            subject, text = notifications.render(self.subject, self.body, self.sample, self.template_language)
        except BadInput as exc:
            return "", "", str(exc)
        return subject, text, ""

    @rx.var
    def preview_subject(self) -> str:
        return self._preview()[0]

    @rx.var
    def preview_body(self) -> str:
        return self._preview()[1]

    @rx.var
    def preview_error(self) -> str:
        return self._preview()[2]

    @rx.var
    def preview_html(self) -> str:
        subject, text, error = self._preview()
        return "" if error else notifications.html_part(subject, text, self.template_language)

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
            raise BadInput(_("Invalid form."))
        with session_scope() as session:
            provisioning.save_notification_settings(
                session, principal=current_principal(), reseller_too=form_data.get("notify_me") == "on",
                customer_too=form_data.get("notify_customers") == "on")
        self._fetch()
        return rx.toast.success(_("Notification settings saved."))

    @rx.event
    @guard(*EDITORS)
    def save_contact(self, form_data: dict):
        """Change one customer's contact e-mail (the recipient of its notifications)."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        customer_id = coerce_int(form_data.get("customer_id"), name="Customer", minimum=1)
        email = coerce_str(form_data.get("email"), name="E-mail", max_len=320, required=True)
        with session_scope() as session:
            provisioning.set_contact_email(session, principal=current_principal(), customer_id=customer_id,
                                           email=email)
        self._fetch()
        return rx.toast.success(_("Contact e-mail saved."))

    @rx.event
    @guard(*TEMPLATE_EDITORS)
    async def pick_template(self, event: str):
        """Edit another template (same language)."""
        self._pick(coerce_str(event, name="Template", max_len=60), self.template_language)

    @rx.event
    @guard(*TEMPLATE_EDITORS)
    async def pick_language(self, language: str | list[str]):
        """Edit the same template in another language."""
        language = coerce_str(language, name="Language", max_len=8)
        if language not in LANGUAGES:
            raise BadInput(_("Unknown language."))
        self._pick(self.template_event, language)

    @rx.event
    @guard(*EDITORS)
    def save_contact_language(self, form_data: dict):
        """Choose the language of one customer contact's mail ("" follows its reseller)."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        customer_id = coerce_int(form_data.get("customer_id"), name="Customer", minimum=1)
        language = coerce_str(form_data.get("language"), name="Language", max_len=8)
        with session_scope() as session:
            notifications.set_contact_language(session, principal=current_principal(), customer_id=customer_id,
                                               language=language)
        self._fetch()
        return rx.toast.success(_("Mail language saved."))

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
        """Save the template being edited (checked first: a broken template is not saved)."""
        with session_scope() as session:
            notifications.update_template(session, event=self.template_event, subject=self.subject, body=self.body,
                                          language=self.template_language)
        self._fetch()
        return rx.toast.success(_("Template saved."))

    @rx.event
    @guard(*TEMPLATE_EDITORS)
    def reset_template(self):
        """Put the built-in text of the template being edited back."""
        with session_scope() as session:
            notifications.reset_template(session, event=self.template_event, language=self.template_language)
        self._fetch()
        return rx.toast.success(_("The built-in text is back."))

    @rx.event
    @guard(*TEMPLATE_EDITORS)
    def save_remedy(self, form_data: dict):
        """Add or change a row of the remedy table."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        with session_scope() as session:
            provisioning.save_remedy(
                session, principal=current_principal(),
                reason_code=coerce_str(form_data.get("code"), name="Reason code", max_len=80),
                issue=coerce_str(form_data.get("issue"), name="Issue", max_len=200),
                steps=coerce_str(form_data.get("steps"), name="Steps", max_len=4000),
            )
        self._fetch()
        return rx.toast.success(_("Remedy saved."))


LANGUAGE_CHOICES = [("", N_("As its reseller")), *LANGUAGES.items()]


def _contact_form(c: rx.Var) -> rx.Component:
    return inline_form(
        hidden("customer_id", c["id"]),
        text_input("email", T("Contact e-mail of {name}", name=c["name"]), value=c["email"], type="email",
                   placeholder="", width="280px"),
        on_submit=NotifySettingsState.save_contact,
        submit=T("Save"),
    )


def _language_form(c: rx.Var) -> rx.Component:
    return inline_form(
        hidden("customer_id", c["id"]),
        rx.el.select(
            *[rx.el.option(T(label) if value == "" else label, value=value) for value, label in LANGUAGE_CHOICES],
            name="language", default_value=c["language"], aria_label=T("Mail language of {name}", name=c["name"]),
            class_name="ot-native-select", key=c["id"] + c["language"],
        ),
        on_submit=NotifySettingsState.save_contact_language,
        submit=T("Save"),
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(T(title), size="4"), *children, spacing="3", width="100%"), width="100%")


def _recipients() -> rx.Component:
    s = NotifySettingsState
    return _section(
        N_("Failed-order notifications"),
        form(
            rx.text(T("They always go to the support team. Also send them to:"), color_scheme="gray"),
            rx.checkbox(T("Me (the reseller)"), name="notify_me", default_checked=s.notify_me),
            rx.checkbox(T("My customers (their contact e-mail)"), name="notify_customers",
                        default_checked=s.notify_customers),
            rx.button(T("Save"), type="submit"),
            on_submit=s.save_recipients,
            spacing="3",
        ),
    )


def _contacts() -> rx.Component:
    return _section(
        N_("Customer contact information"),
        rx.text(T("Notifications for a customer go to its contact e-mail, in its mail language (unless chosen: "
                  "its reseller's)."), color_scheme="gray"),
        data_table(NotifySettingsState.contacts,
                   (Column(T("Customer"), "name"), Column(T("Contact e-mail"), _contact_form),
                    Column(T("Mail language"), _language_form)),
                   empty=T("No customers yet."), variant="ghost", row_props=lambda _c: {"align": "center"},
                   id="contacts"),
    )


def _preview() -> rx.Component:
    s = NotifySettingsState
    return rx.vstack(
        rx.hstack(rx.text(T("Preview"), weight="bold"),
                  rx.text(T("filled with the newest order's data"), size="1", color_scheme="gray"), align="baseline"),
        rx.cond(
            s.preview_error != "",
            rx.callout(s.preview_error, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
            rx.vstack(
                rx.text(s.preview_subject, weight="medium", id="tpl-preview-subject"),
                rx.tabs.root(
                    rx.tabs.list(rx.tabs.trigger(T("Plain text"), value="text"),
                                 rx.tabs.trigger(T("HTML"), value="html")),
                    rx.tabs.content(rx.text(s.preview_body, white_space="pre-wrap", size="2", id="tpl-preview-body",
                                            padding_top="0.5em"), value="text"),
                    rx.tabs.content(rx.el.iframe(src_doc=s.preview_html, sandbox="", title=T("HTML preview"),
                                                 id="tpl-preview-html",
                                                 style={"width": "100%", "height": "360px", "border": "none"}),
                                    value="html"),
                    default_value="text",
                    width="100%",
                ),
                width="100%",
            ),
        ),
        padding="1em",
        background=rx.color("gray", 2),
        border_radius="var(--radius-3)",
        width="100%",
    )


def _reset_button() -> rx.Component:
    s = NotifySettingsState
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(T("Restore the built-in text"), variant="soft", color_scheme="gray")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(T("Restore the built-in text?")),
            rx.alert_dialog.description(T("Your changes to this template in this language are lost.")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(T("Cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(T("Restore"), color_scheme="red", on_click=s.reset_template)),
                justify="end", spacing="2", margin_top="1em",
            ),
        ),
    )


def _templates() -> rx.Component:
    s = NotifySettingsState
    return _section(
        N_("E-mail templates"),
        rx.hstack(
            rx.foreach(s.events, lambda t: rx.button(
                t["name"], size="1", variant=rx.cond(t["event"] == s.template_event, "solid", "soft"),
                on_click=s.pick_template(t["event"]))),
            wrap="wrap",
        ),
        rx.hstack(
            rx.text(T("Language"), size="2", weight="medium"),
            rx.segmented_control.root(
                *[rx.segmented_control.item(name, value=code) for code, name in LANGUAGES.items()],
                value=s.template_language, on_change=s.pick_language, size="1", aria_label=T("Template language"),
            ),
            align="center",
        ),
        rx.text(T("Write {{ name }} to fill in a value; {% if name %}…{% endif %} leaves out a line when it is "
                  "empty. Every mail is sent as plain text and as HTML, in the recipient's language."),
                size="1", color_scheme="gray"),
        rx.hstack(rx.foreach(s.variables, lambda v: rx.tooltip(rx.code(v["name"], size="1"), content=v["help"])),
                  wrap="wrap", spacing="1"),
        rx.grid(
            rx.vstack(
                field(T("Subject"), text_input("", T("Subject"), value=s.subject, controlled=True, placeholder="",
                                               id="tpl-subject", on_change=s.set_subject.debounce(250),
                                               width="100%"),
                      html_for="tpl-subject", width="100%"),
                field(T("Body"), text_area("", T("Body"), value=s.body, controlled=True, placeholder="",
                                           id="tpl-body", on_change=s.set_body.debounce(250), rows="14"),
                      html_for="tpl-body", width="100%"),
                rx.hstack(rx.button(T("Save template"), on_click=s.save_template,
                                    disabled=s.preview_error != ""), _reset_button(), spacing="2"),
                width="100%",
            ),
            _preview(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
    )


def _remedies() -> rx.Component:
    s = NotifySettingsState
    columns = (Column(T("Reason code"), lambda r: rx.code(r["code"])), Column(T("Description of issue"), "issue"),
               Column(T("Steps to remedy"), lambda r: rx.text(r["steps"], white_space="pre-line")))
    return _section(
        N_("Remedy table"),
        data_table(s.remedies, columns, empty=None, variant="ghost"),
        rx.form(
            inline(
                text_input("code", T("Reason code"), placeholder="reason_code", required=True),
                text_input("issue", T("Issue"), placeholder=T("Description of issue"), required=True),
                text_area("steps", T("Steps"), placeholder=T("Steps to remedy"), required=True, rows="2", width=""),
                rx.button(T("Add or update"), type="submit"),
                align="start",
            ),
            on_submit=s.save_remedy,
            reset_on_submit=True,
        ),
    )


def notify_settings_page() -> rx.Component:
    """The settings a reseller, support or an administrator may change."""
    s = NotifySettingsState
    return page(rx.vstack(
        rx.heading(T("Notifications"), size="7"),
        rx.cond(s.is_reseller, _recipients()),
        _contacts(),
        rx.cond(s.can_edit_templates, rx.vstack(_templates(), _remedies(), width="100%", spacing="4")),
        spacing="4", width="100%",
    ))
