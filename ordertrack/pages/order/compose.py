"""The compose dialog of the order's Messages section: To (or a template for comments), subject,
body, Client Viewable, assign the order, subscribe, attachments. It takes Vars and event handlers,
so it knows no State."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ordertrack.components.forms import select
from ordertrack.services.messages import TEMPLATES

UPLOAD_ID = "attach"


def _labelled(label: str, html_for: str, control: rx.Component, **props: Any) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=html_for), control, spacing="1", **props)


def _attachments(pending_files: rx.Var, on_upload: Any) -> list[rx.Component]:
    return [
        rx.text("Attachments", weight="medium", size="2"),
        rx.upload(rx.button("Choose File", type="button", variant="soft", size="1"), id=UPLOAD_ID,
                  multiple=True, max_files=5, max_size=5 * 1024 * 1024, border="none", padding="0"),
        rx.hstack(rx.foreach(rx.selected_files(UPLOAD_ID), lambda n: rx.badge(n, variant="outline")), wrap="wrap"),
        rx.button("Upload", type="button", size="1", variant="soft", on_click=on_upload),
        rx.hstack(rx.foreach(pending_files, lambda f: rx.badge(rx.icon("paperclip", size=12), f["name"], " ",
                                                               f["size"], color_scheme="green")),
                  wrap="wrap", id="pending-files"),
    ]


def compose_dialog(*, compose: rx.Var, owners: rx.Var, pending_files: rx.Var, error: rx.Var, open: rx.Var,
                   on_submit: Any, on_cancel: Any, on_upload: Any) -> rx.Component:
    """The dialog for ``compose`` ({"kind", "title", "to", "subject", "body"}); submits the form to
    ``on_submit``; ``on_upload`` sends the chosen files (``UPLOAD_ID``)."""
    comment = compose["kind"] == "comment"
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(compose["title"]),
            rx.form(
                rx.vstack(
                    rx.cond(compose["kind"] != "comment", _labelled("To", "m-to", rx.input(
                        id="m-to", name="to", type="email", default_value=compose["to"], width="100%"),
                        width="100%")),
                    rx.cond(comment, _labelled("Template", "m-template", select(
                        "template", "Template", [(k, v[0] or "— none —") for k, v in TEMPLATES.items()],
                        id="m-template"))),
                    rx.el.label("Subject", html_for="m-subject"),
                    rx.input(id="m-subject", name="subject", default_value=compose["subject"], width="100%"),
                    rx.el.label("Body", html_for="m-body"),
                    rx.text_area(id="m-body", name="body", default_value=compose["body"], rows="6", width="100%"),
                    rx.cond(comment, rx.checkbox("Client Viewable", name="client_viewable")),
                    rx.el.label(rx.cond(comment, "Comment and assign order to", "Respond and assign order to"),
                                html_for="m-assign"),
                    rx.el.select(rx.el.option("— keep the owner —", value="none"),
                                 rx.foreach(owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                                 id="m-assign", name="assign_to", class_name="ot-native-select"),
                    rx.checkbox("Subscribe to order", name="subscribe"),
                    *_attachments(pending_files, on_upload),
                    rx.cond(error != "", rx.text(error, color_scheme="red", role="alert")),
                    rx.hstack(
                        rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=on_cancel),
                        rx.button(rx.cond(comment, "Add Comment", "Send Followup"), type="submit"),
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
