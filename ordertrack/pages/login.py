"""The login page (Username, Password)."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import LoginState
from ordertrack.components.forms import field, text_input
from ordertrack.components.layout import public_page
from ordertrack.components.native_form import native_form
from ordertrack.i18n.ui import T


def login_page() -> rx.Component:
    """A centred card with a labelled form posting to the server (which sets the HttpOnly
    cookie); errors stay generic and come back in the URL."""
    return public_page(
        T("Sign in to ordertrack"),
        rx.text(T("Track orders, run queues and watch statuses live."), color_scheme="gray", size="2"),
        native_form(
            rx.vstack(
                field(T("Username"), text_input("username", T("Username"), value=LoginState.username, placeholder="",
                                             id="username", auto_complete="username", required=True,
                                             auto_focus=LoginState.username == "", key=LoginState.username,
                                             size="3", width="100%"),
                      html_for="username", width="100%"),
                field(T("Password"), text_input("password", T("Password"), type="password", placeholder="",
                                             id="password", auto_complete="current-password", required=True,
                                             auto_focus=LoginState.username != "", size="3", width="100%"),
                      html_for="password", width="100%"),
                rx.cond(
                    LoginState.error != "",
                    rx.callout(LoginState.error, icon="triangle-alert", color_scheme="red", role="alert",
                               width="100%", id="login-error"),
                ),
                rx.cond(
                    LoginState.notice != "",
                    rx.callout(LoginState.notice, icon="info", color_scheme="gray", width="100%",
                               id="login-notice"),
                ),
                rx.button(T("Sign in"), type="submit", size="3", width="100%"),
                spacing="3",
                width="100%",
            ),
            action=routes.SIGN_IN,
            method="post",
            width="100%",
        ),
        rx.link(T("New customer? Order a service"), href="/order-form", size="2"),
        width="380px",
        lang=LoginState.lang,
        on_language=LoginState.set_language,
        spacing="3",
    )
