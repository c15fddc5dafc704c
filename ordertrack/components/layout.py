"""The app shell: top bar with role navigation, user, colour mode and sign-out; and the panel a
page shows instead of itself to a role that may not use it."""

from __future__ import annotations

from typing import Any

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


def public_page(title: str, *children: rx.Component, width: str, spacing: str = "4") -> rx.Component:
    """A page for visitors who need not be signed in (sign-in, the order form): a card in the
    middle of the screen with the product mark and ``title`` above ``children``."""
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("package-check", size=28), rx.heading(title, size="6"), align="center"),
                *children,
                spacing=spacing,
                width="100%",
            ),
            width=width,
            max_width="100%",
            size="4",
        ),
        min_height="100vh",
    )


def dialog(title: Any, *children: rx.Component, open: rx.Var, on_close: Any, **props: Any) -> rx.Component:
    """A modal dialog: its title (text, a Var, or a list of them), ``children``; ``open`` shows it,
    and closing it any way (Escape, outside click) calls ``on_close`` (a handler taking no
    arguments). ``props`` go to the dialog's content (``max_width``)."""
    parts = title if isinstance(title, (list, tuple)) else [title]
    return rx.dialog.root(
        rx.dialog.content(rx.dialog.title(*parts), *children, **props),
        open=open,
        on_open_change=lambda _open: on_close(),
    )


REFUSED_TITLE = "You don't have access to this page."
REFUSED_TEXT = "Your role cannot use this page. These are the pages you can use:"
REFUSED_HOME = "Back to home"


def _page_link(item: rx.Var) -> rx.Component:
    return rx.link(item["label"], href=item["href"], size="3", weight="medium", white_space="nowrap")


def refusal(nav: rx.Var) -> rx.Component:
    """Said instead of a page that this role may not use: why, the pages it can use (``nav``:
    a Var of ``{"label", "href"}``) and the way home."""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.icon("lock", size=22, color=rx.color("amber", 10)),
                      rx.heading(REFUSED_TITLE, size="5", as_="h1"), align="center", spacing="2"),
            rx.text(REFUSED_TEXT, color_scheme="gray"),
            rx.flex(rx.foreach(nav, _page_link), spacing="4", wrap="wrap", as_="nav",
                    aria_label="Pages you can use"),
            rx.button(rx.link(rx.icon("house", size=16), REFUSED_HOME, href=routes.HOME, underline="none"),
                      as_child=True, size="2"),
            spacing="4",
        ),
        size="3",
        width="100%",
        id="page-refused",
    )
