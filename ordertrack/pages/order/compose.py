"""The compose dialog of the order's Messages section: To (or a template for comments), subject,
body, Client Viewable, assign the order, subscribe, attachments. It takes Vars and event handlers,
so it knows no State.

Choosing a file uploads it at once (no second click); the files of the dialog are listed with a
button to take each off; a file the browser or the server refuses is named in the dialog."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ordertrack.i18n.ui import T
from ordertrack.services.messages import TEMPLATES

UPLOAD_ID = "attach"


def _labelled(label: rx.Var, html_for: str, control: rx.Component, **props: Any) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=html_for), control, spacing="1", **props)


def _pending(f: rx.Var, on_remove: Any) -> rx.Component:
    return rx.badge(
        rx.icon("paperclip", size=12), f["name"], " ", f["size"],
        rx.icon_button(rx.icon("x", size=10), size="1", variant="ghost", type="button",
                       aria_label=T("Remove {name}", name=f["name"]), on_click=on_remove(f["id"])),
        color_scheme="green", data_file=f["name"],
    )


def attachments_field(pending_files: rx.Var, *, on_upload: Any, on_rejected: Any, on_remove: Any,
                      upload_error: rx.Var, upload_id: str = UPLOAD_ID) -> rx.Component:
    """Choose or drop files (they upload at once), the files attached so far, and what was refused."""
    return rx.vstack(
        rx.text(T("Attachments"), weight="medium", size="2"),
        rx.upload(
            rx.hstack(rx.button(rx.icon("paperclip", size=14), T("Choose files"), type="button", variant="soft",
                                size="1"),
                      rx.text(T("or drop them here (at most 5, 5 MB each); they upload at once"), size="1",
                              color_scheme="gray"),
                      align="center"),
            id=upload_id, multiple=True, max_files=5, max_size=5 * 1024 * 1024, border="none", padding="0",
            on_drop=on_upload, on_drop_rejected=on_rejected,
        ),
        rx.hstack(rx.foreach(pending_files, lambda f: _pending(f, on_remove)), wrap="wrap", id="pending-files"),
        rx.cond(upload_error != "", rx.text(upload_error, color_scheme="red", size="2", role="alert",
                                            id="upload-error")),
        spacing="1",
        width="100%",
    )


def compose_dialog(*, compose: rx.Var, owners: rx.Var, pending_files: rx.Var, error: rx.Var, open: rx.Var,
                   on_submit: Any, on_cancel: Any, on_upload: Any, on_rejected: Any, on_remove: Any,
                   on_template: Any, upload_error: rx.Var) -> rx.Component:
    """The dialog for ``compose`` ({"kind", "title", "to", "subject", "body", "template"}); submits
    the form to ``on_submit``; ``on_upload`` receives the files as soon as they are chosen
    (``UPLOAD_ID``), ``on_rejected`` the ones the browser refused; ``on_template`` the template
    chosen (it fills subject and body)."""
    comment = compose["kind"] == "comment"
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T(compose["title"])),
            rx.form(
                rx.vstack(
                    rx.cond(compose["kind"] != "comment", _labelled(T("To"), "m-to", rx.input(
                        id="m-to", name="to", type="email", default_value=compose["to"], width="100%"),
                        width="100%")),
                    rx.cond(comment, _labelled(T("Template"), "m-template", rx.el.select(
                        *[rx.el.option(T(v[0]) if v[0] else T("— none —"), value=k) for k, v in TEMPLATES.items()],
                        id="m-template", name="template", value=compose["template"], class_name="ot-native-select",
                        on_change=on_template))),
                    rx.el.label(T("Subject"), html_for="m-subject"),
                    rx.input(id="m-subject", name="subject", default_value=compose["subject"], width="100%",
                             key=compose["template"]),
                    rx.el.label(T("Body"), html_for="m-body"),
                    rx.text_area(id="m-body", name="body", default_value=compose["body"], rows="6", width="100%",
                                 key=compose["template"]),
                    rx.cond(comment, rx.checkbox(T("Client Viewable"), name="client_viewable")),
                    rx.el.label(rx.cond(comment, T("Comment and assign order to"), T("Respond and assign order to")),
                                html_for="m-assign"),
                    rx.el.select(rx.el.option(T("— keep the owner —"), value="none"),
                                 rx.foreach(owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                                 id="m-assign", name="assign_to", class_name="ot-native-select"),
                    rx.checkbox(T("Subscribe to order"), name="subscribe"),
                    attachments_field(pending_files, on_upload=on_upload, on_rejected=on_rejected,
                                      on_remove=on_remove, upload_error=upload_error),
                    rx.cond(error != "", rx.text(error, color_scheme="red", role="alert")),
                    rx.hstack(
                        rx.button(T("Cancel"), type="button", variant="soft", color_scheme="gray", on_click=on_cancel),
                        rx.button(rx.cond(comment, T("Add Comment"), T("Send Followup")), type="submit"),
                        justify="end", width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=on_submit,
            ),
            max_width="600px",
        ),
        open=open,
        on_open_change=lambda _o: on_cancel(),
    )
