"""Translated text in pages: ``T("Track My Orders")`` becomes a lookup in the browser, in the
tab's language, against the catalog compiled into the page bundle (``assets/ot_i18n.js``).
Switching language re-renders the page without a reload; the server keeps no catalog per tab.

``LangState`` holds the tab's language; it is the parent of every ordertrack State (``AppState``
derives from it), so the guard sets it on every event from the user's preference.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.function import FunctionStringVar
from reflex_base.utils.imports import ImportVar
from reflex_base.vars.base import VarData

from ordertrack.i18n import DEFAULT, LANGUAGES

_CATALOG = {"$/public/ot_i18n.js": [ImportVar(tag="otT"), ImportVar(tag="otN")]}
_otT = FunctionStringVar.create("otT", _var_data=VarData(imports=_CATALOG))
_otN = FunctionStringVar.create("otN", _var_data=VarData(imports=_CATALOG))


class LangState(rx.State):
    """The language this tab shows (``en`` or ``ru``), and the anonymous visitor's choice."""

    lang: str = DEFAULT
    lang_cookie: str = rx.Cookie("", name="ot_lang", same_site="lax", max_age=365 * 24 * 3600)


def _args(values: dict[str, Any]) -> rx.Var | None:
    return rx.Var.create(values) if values else None


def T(message: str, **values: Any) -> rx.Var:  # noqa: N802 - reads like the gettext ``_`` it mirrors
    """``message`` (an English message id) in the tab's language; ``{name}`` placeholders are
    filled from ``values`` (plain values or Vars)."""
    args = _args(values)
    call = _otT.call(LangState.lang, message, args) if args is not None else _otT.call(LangState.lang, message)
    return call.to(str)


def Tv(message: rx.Var) -> rx.Var:  # noqa: N802
    """A message id held in a Var (a navigation label, a status label from a view) in the tab's
    language. The ids must be marked for the catalog where they are made (``N_``)."""
    return _otT.call(LangState.lang, message).to(str)


def Tn(one: str, many: str, n: rx.Var | int, **values: Any) -> rx.Var:  # noqa: N802
    """The plural form for ``n`` ("1 order", "2 заказа", "5 заказов"); ``{n}`` is ``n``."""
    args = _args(values)
    parts = (LangState.lang, one, many, n) + ((args,) if args is not None else ())
    return _otN.call(*parts).to(str)


def language_choices() -> list[tuple[str, str]]:
    """(code, name in that language) of every language, for the switch."""
    return list(LANGUAGES.items())
