"""The move dialog: comment (required or optional), a warning for irreversible moves, confirm."""

from __future__ import annotations

import reflex as rx

from ordertrack.i18n import N_
from ordertrack.i18n.ui import T


def transition_dialog(
    *,
    title: rx.Var,
    subtitle: rx.Var,
    open: rx.Var,
    needs_comment: rx.Var,
    irreversible: rx.Var,
    error: rx.Var,
    on_submit: rx.EventHandler,
    on_cancel: rx.EventHandler,
    ask_channel: rx.Var | bool = False,
) -> rx.Component:
    """A dialog that submits ``{"comment": ...}`` (and ``"channel"`` when ``ask_channel``: how
    the customer approved, for staff recording an approval) to ``on_submit``."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(subtitle),
            rx.form(
                rx.vstack(
                    rx.cond(
                        irreversible,
                        rx.callout(T("This cannot be undone: nothing can leave this status."), icon="octagon-alert",
                                   color_scheme="red", width="100%"),
                    ),
                    rx.cond(
                        ask_channel,
                        rx.el.fieldset(
                            rx.el.legend(T("How did the customer approve?"), style={"marginBottom": "0.4em"}),
                            rx.radio_group.root(
                                rx.hstack(
                                    *[rx.el.label(rx.hstack(rx.radio_group.item(value=value), rx.text(T(text)),
                                                            align="center", spacing="2"))
                                      for value, text in (("email", N_("By e-mail")), ("telephone", N_("By telephone")))],
                                    spacing="5",
                                ),
                                name="channel",
                            ),
                            id="approval-channel",
                            style={"border": "none", "padding": "0", "margin": "0"},
                        ),
                    ),
                    rx.el.label(rx.cond(needs_comment, T("Comment (required)"), T("Comment (optional)")),
                                html_for="move-comment"),
                    rx.text_area(id="move-comment", name="comment", rows="3", width="100%", auto_focus=True),
                    rx.cond(error != "", rx.text(error, color_scheme="red", role="alert")),
                    rx.hstack(
                        rx.button(T("Cancel"), type="button", variant="soft", color_scheme="gray", on_click=on_cancel),
                        rx.button(T("Confirm"), type="submit", color_scheme=rx.cond(irreversible, "red", "indigo")),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
                reset_on_submit=True,
            ),
        ),
        open=open,
        on_open_change=lambda _open: on_cancel(),
    )
