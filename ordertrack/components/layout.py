"""The app shell: top bar with role navigation, user, colour mode and sign-out; and the panel a
page shows instead of itself to a role that may not use it."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ordertrack import routes
from ordertrack.components.native_form import native_form
from ordertrack.i18n import N_
from ordertrack.i18n.ui import T, Tv, language_choices

_WIDE = ["none", "none", "flex"]  # from 48em (768 px) up
_NARROW = ["flex", "flex", "none"]  # below 768 px


def _nav_link(item: rx.Var) -> rx.Component:
    return rx.link(Tv(item["label"]), href=item["href"], size="2", weight="medium", underline="none",
                   white_space="nowrap")


def _menu_link(item: rx.Var) -> rx.Component:
    return rx.menu.item(Tv(item["label"]), on_select=rx.redirect(item["href"]))


def language_switch(lang: rx.Var, on_change: Any) -> rx.Component:
    """The language switch (English / Русский): ``on_change`` gets the chosen code."""
    return rx.select.root(
        rx.select.trigger(variant="ghost", aria_label=T("Language"), id="language-switch"),
        rx.select.content(*[rx.select.item(name, value=code) for code, name in language_choices()]),
        value=lang,
        on_change=on_change,
        size="2",
    )


def shell(
    *children: rx.Component,
    user_name: rx.Var,
    role_label: rx.Var,
    nav: rx.Var,
    lang: rx.Var,
    on_language: Any,
    wide: bool = False,
) -> rx.Component:
    """Wrap a page's content in the shell. From 768 px up the navigation is a row of links;
    below, a menu button opens it, and the user's name and role wrap onto their own line.

    Long because: one declarative component tree (header, navigation for wide and narrow screens,
    main), read top to bottom as the page looks.
    """
    menu = rx.menu.root(
        rx.menu.trigger(rx.icon_button(rx.icon("menu", size=20), variant="ghost", aria_label=T("Menu"),
                                       id="nav-menu-button")),
        rx.menu.content(rx.foreach(nav, _menu_link), id="nav-menu"),
    )
    return rx.box(
        rx.el.header(rx.flex(
            rx.hstack(
                rx.box(menu, display=_NARROW),
                rx.link(
                    rx.hstack(rx.icon("package-check", size=22), rx.text("ordertrack", size="5", weight="bold"),
                              align="center", spacing="2"),
                    href="/",
                    underline="none",
                    color="inherit",
                    id="home-logo",
                ),
                rx.flex(rx.foreach(nav, _nav_link), spacing="4", margin_left="1.5em", wrap="wrap", as_="nav",
                        aria_label=T("Main"), min_width="0", display=_WIDE, id="nav-bar"),
                align="center",
                flex="1 1 auto",
                min_width="0",
            ),
            rx.flex(
                rx.cond(
                    user_name != "",
                    rx.hstack(
                        rx.text(user_name, weight="medium", id="shell-user", white_space="nowrap",
                                overflow="hidden", text_overflow="ellipsis", max_width="14em"),
                        rx.badge(role_label, variant="outline", id="shell-role", white_space="nowrap"),
                        align="center",
                        min_width="0",
                    ),
                ),
                rx.hstack(
                    language_switch(lang, on_language),
                    rx.color_mode.button(variant="ghost", aria_label=T("Toggle light/dark mode")),
                    rx.cond(user_name != "", native_form(  # a native post: the server revokes the session
                        rx.button(rx.icon("log-out", size=16), rx.text(T("Sign out"), display=_WIDE),
                                  variant="soft", type="submit", aria_label=T("Sign out"), id="sign-out"),
                        action=routes.SIGN_OUT, method="post", margin="0",
                    )),
                    align="center",
                    spacing="3",
                ),
                align="center",
                gap="0.5em 1em",
                wrap="wrap",
                justify="end",
                min_width="0",
            ),
            justify="between",
            gap="0.5em 1em",
            align="center",
            wrap=rx.breakpoints(initial="wrap", sm="nowrap"),  # Radix: sm is 768 px
            padding_x=["0.75em", "1em", "1.5em"],
            padding_y="0.8em",
            border_bottom="1px solid var(--gray-a5)",
        )),
        rx.el.main(rx.box(*children, padding=["0.75em", "1em", "1.5em"], max_width="100%" if wide else "1200px",
                          margin_x="auto")),
        rx.script(src="/focus-return.js"),  # dialogs give the focus back to their opener
        min_height="100vh",
    )


def public_page(title: Any, *children: rx.Component, width: str, spacing: str = "4", lang: rx.Var | None = None,
                on_language: Any = None) -> rx.Component:
    """A page for visitors who need not be signed in (sign-in, the order form): a card in the
    middle of the screen with the product mark and ``title`` above ``children``; with ``lang``
    and ``on_language``, the language switch beside the title (a visitor's choice is a cookie)."""
    switch = [rx.spacer(), language_switch(lang, on_language)] if lang is not None else []
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("package-check", size=28), rx.heading(title, size="6"), *switch, align="center",
                          width="100%"),
                *children,
                spacing=spacing,
                width="100%",
            ),
            width=width,
            max_width="100%",
            size=rx.breakpoints(initial="2", sm="4"),
        ),
        min_height="100vh",
        padding="0.5em",
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


REFUSED_TITLE = N_("You don't have access to this page.")
REFUSED_TEXT = N_("Your role cannot use this page. These are the pages you can use:")
REFUSED_HOME = N_("Back to home")


def _page_link(item: rx.Var) -> rx.Component:
    return rx.link(Tv(item["label"]), href=item["href"], size="3", weight="medium", white_space="nowrap")


def refusal(nav: rx.Var) -> rx.Component:
    """Said instead of a page that this role may not use: why, the pages it can use (``nav``:
    a Var of ``{"label", "href"}``) and the way home."""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.icon("lock", size=22, color=rx.color("amber", 10)),
                      rx.heading(T(REFUSED_TITLE), size="5", as_="h1"), align="center", spacing="2"),
            rx.text(T(REFUSED_TEXT), color_scheme="gray"),
            rx.flex(rx.foreach(nav, _page_link), spacing="4", wrap="wrap", as_="nav",
                    aria_label=T("Pages you can use")),
            rx.button(rx.link(rx.icon("house", size=16), T(REFUSED_HOME), href=routes.HOME, underline="none"),
                      as_child=True, size="2"),
            spacing="4",
        ),
        size="3",
        width="100%",
        id="page-refused",
    )
