"""A plain HTML form that the browser submits itself (Reflex's ``rx.el.form`` always cancels
the native submit to send an event instead). For the forms that must reach the server as
ordinary HTTP posts: sign-in and sign-out, where the answer sets or clears an HttpOnly cookie."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    """``<form action=... method=post>`` without Reflex's submit handler."""

    tag = "form"
    action: rx.Var[str]
    method: rx.Var[str]


native_form = NativeForm.create
