"""The login page (Username, Password)."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import LoginState


def login_page() -> rx.Component:
    """A centred card with a labelled form; errors stay generic."""
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(rx.icon("package-check", size=28), rx.heading("Sign in to ordertrack", size="6")),
                    rx.text("Track orders, run queues and watch statuses live.", color_scheme="gray", size="2"),
                    rx.el.label("Username", html_for="username", class_name="rt-Text rt-r-weight-medium"),
                    rx.input(id="username", name="username", auto_complete="username", auto_focus=True,
                             required=True, size="3", width="100%"),
                    rx.el.label("Password", html_for="password", class_name="rt-Text rt-r-weight-medium"),
                    rx.input(id="password", name="password", type="password", auto_complete="current-password",
                             required=True, size="3", width="100%"),
                    rx.cond(
                        LoginState.error != "",
                        rx.callout(LoginState.error, icon="triangle-alert", color_scheme="red", role="alert",
                                   width="100%", id="login-error"),
                    ),
                    rx.button("Sign in", type="submit", size="3", width="100%", loading=LoginState.busy),
                    rx.link("New customer? Order a service", href="/order-form", size="2"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=LoginState.submit,
                reset_on_submit=False,
            ),
            width="380px",
            size="4",
        ),
        min_height="100vh",
    )
