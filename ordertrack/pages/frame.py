"""The frame of every signed-in page: the shell with the signed-in user's navigation."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState
from ordertrack.components.layout import shell


def page(*children: rx.Component, wide: bool = False) -> rx.Component:
    """A signed-in page: the shell (navigation of the user's role, sign-out) around ``children``."""
    return shell(*children, user_name=AppState.user_name, role_label=AppState.user_role_label, nav=AppState.nav,
                 wide=wide)
