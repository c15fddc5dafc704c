"""The login page (Username, Password)."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import LoginState
from ordertrack.components.native_form import native_form


def login_page() -> rx.Component:
    """A centred card with a labelled form posting to the server (which sets the HttpOnly
    cookie); errors stay generic and come back in the URL."""
    return rx.center(
        rx.card(
            native_form(
                rx.vstack(
                    rx.hstack(rx.icon("package-check", size=28), rx.heading("Sign in to ordertrack", size="6")),
                    rx.text("Track orders, run queues and watch statuses live.", color_scheme="gray", size="2"),
                    rx.el.label("Username", html_for="username", class_name="rt-Text rt-r-weight-medium"),
                    rx.input(id="username", name="username", auto_complete="username",
                             auto_focus=LoginState.username == "", default_value=LoginState.username,
                             key=LoginState.username, required=True, size="3", width="100%"),
                    rx.el.label("Password", html_for="password", class_name="rt-Text rt-r-weight-medium"),
                    rx.input(id="password", name="password", type="password", auto_complete="current-password",
                             auto_focus=LoginState.username != "", required=True, size="3", width="100%"),
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
                    rx.button("Sign in", type="submit", size="3", width="100%"),
                    rx.link("New customer? Order a service", href="/order-form", size="2"),
                    spacing="3",
                    width="100%",
                ),
                action=routes.SIGN_IN,
                method="post",
            ),
            width="380px",
            size="4",
        ),
        min_height="100vh",
    )
