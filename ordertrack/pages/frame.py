"""The frame of every signed-in page: the shell with the signed-in user's navigation, and the
page itself only once its load handler admitted this user's role; a role the page refuses
sees why and where it can go instead (the guard decides, see ``auth.guard(page=...)``)."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState
from ordertrack.components.layout import refusal, shell
from ordertrack.components.tables import loading_state
from ordertrack.i18n.ui import T


def page(*children: rx.Component, title: str | rx.Var = "", intro: str | rx.Var = "", beside: Sequence[rx.Component] = (),
         wide: bool = False, spacing: str = "4") -> rx.Component:
    """A signed-in page: the shell (navigation of the user's role, sign-out) around ``children``.

    With a ``title``, the page's heading (``beside`` it: counts, tabs; under it the ``intro``
    line) above ``children``, stacked ``spacing`` apart; without, ``children`` as they are.

    The page's ``on_load`` must be a guarded page handler (``load``, or ``@guard(page=True)``):
    until it has admitted the user the frame shows a spinner, and if it refused the role, the
    refusal panel instead of the page (no empty tables or forms that look like real content).
    """
    if not isinstance(title, str) or title:
        has_intro = not isinstance(intro, str) or bool(intro)
        title, intro = (T(text) if isinstance(text, str) and text else text for text in (title, intro))
        heading = rx.heading(title, size="7")
        if beside:
            heading = rx.hstack(heading, *beside, align="center", spacing="3", wrap="wrap", width="100%")
        intro_line = [rx.text(intro, color_scheme="gray")] if has_intro else []
        children = (rx.vstack(heading, *intro_line, *children, spacing=spacing, width="100%"),)
    here = AppState.router.route_id
    refused = (AppState.refused_route != "") & (AppState.refused_route == here)
    admitted = (AppState.page_route != "") & (AppState.page_route == here)
    return shell(
        rx.cond(AppState.session_ended, session_ended_notice()),
        rx.cond(refused, refusal(AppState.nav), rx.cond(admitted, rx.fragment(*children), loading_state())),
        user_name=rx.cond(AppState.session_ended, "", AppState.user_name),  # signed out: nobody's name
        role_label=AppState.user_role_label, nav=AppState.nav, wide=wide,
        lang=AppState.lang, on_language=AppState.set_language,
    )


def session_ended_notice() -> rx.Component:
    """Above a live page whose session ended (signed out in another tab, expired, deactivated):
    what it shows has stopped updating, and where to sign in again."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("log-out")),
        rx.callout.text(T("You have been signed out, so this page no longer updates."), " ",
                        rx.link(T("Sign in again"), href=routes.LOGIN, weight="bold", id="session-ended-sign-in")),
        color_scheme="amber", role="alert", id="session-ended", margin_bottom="1em",
    )
