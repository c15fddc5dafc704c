"""The app shell: top bar with role navigation, user, colour mode and sign-out."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.components.native_form import native_form


def _nav_link(item: rx.Var) -> rx.Component:
    return rx.link(item["label"], href=item["href"], size="2", weight="medium", underline="none",
                   white_space="nowrap")


def shell(
    *children: rx.Component,
    user_name: rx.Var,
    role_label: rx.Var,
    nav: rx.Var,
    wide: bool = False,
) -> rx.Component:
    """Wrap a page's content in the shell."""
    return rx.box(
        rx.flex(
            rx.hstack(
                rx.link(
                    rx.hstack(rx.icon("package-check", size=22), rx.heading("ordertrack", size="5")),
                    href="/",
                    underline="none",
                    color="inherit",
                ),
                rx.flex(rx.foreach(nav, _nav_link), spacing="4", margin_left="1.5em", wrap="wrap", as_="nav",
                        min_width="0"),
                align="center",
                flex="1 1 auto",
                min_width="0",
            ),
            rx.hstack(
                rx.cond(
                    user_name != "",
                    rx.hstack(
                        rx.text(user_name, weight="medium", id="shell-user", white_space="nowrap"),
                        rx.badge(role_label, variant="outline", id="shell-role"),
                        align="center",
                    ),
                ),
                rx.color_mode.button(variant="ghost", aria_label="Toggle light/dark mode"),
                native_form(  # a native post: the server revokes the session and clears the cookie
                    rx.button(rx.icon("log-out", size=16), "Sign out", variant="soft", type="submit"),
                    action=routes.SIGN_OUT, method="post", margin="0",
                ),
                align="center",
                spacing="4",
                flex_shrink="0",
            ),
            justify="between",
            gap="1em",
            align="center",
            padding_x="1.5em",
            padding_y="0.8em",
            border_bottom="1px solid var(--gray-a5)",
            as_="header",
        ),
        rx.box(*children, padding="1.5em", max_width="100%" if wide else "1200px", margin_x="auto", as_="main"),
        min_height="100vh",
    )
