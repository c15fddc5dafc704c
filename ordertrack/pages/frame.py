"""The frame of every signed-in page: the shell with the signed-in user's navigation, and the
page's heading."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx

from ordertrack.auth import AppState
from ordertrack.components.layout import shell


def page(*children: rx.Component, title: str = "", intro: str = "", beside: Sequence[rx.Component] = (),
         wide: bool = False, spacing: str = "4") -> rx.Component:
    """A signed-in page: the shell (navigation of the user's role, sign-out) around ``children``.

    With a ``title``, the page's heading (``beside`` it: counts, tabs; under it the ``intro``
    line) above ``children``, stacked ``spacing`` apart; without, ``children`` as they are.
    """
    if title:
        heading = rx.heading(title, size="7")
        if beside:
            heading = rx.hstack(heading, *beside, align="center", spacing="3", wrap="wrap", width="100%")
        intro_line = [rx.text(intro, color_scheme="gray")] if intro else []
        children = (rx.vstack(heading, *intro_line, *children, spacing=spacing, width="100%"),)
    return shell(*children, user_name=AppState.user_name, role_label=AppState.user_role_label, nav=AppState.nav,
                 wide=wide)
