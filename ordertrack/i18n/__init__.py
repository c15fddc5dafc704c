"""Languages: English and Russian. Every user-visible string is a message id in English, looked
up in the viewer's language.

Python-side text (toasts, validation messages, workflow refusals, e-mails, live views) calls
``_()``/``ngettext()``, which read the language of the running handler (``use``/``activate``;
the guard sets it from the user's saved preference, else the ``ot_lang`` cookie, else the
browser's Accept-Language). Text written into pages is wrapped in ``ordertrack.i18n.ui.T``,
which looks the id up in the browser (catalogs compiled into the page bundle). Catalogs are
gettext ``.po`` files under ``ordertrack/locale``; ``make`` compiles them (``.mo`` for Python,
``assets/ot_i18n.js`` for pages). Standard library only: the domain may use it too.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path

LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский"}
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("ordertrack_language", default=DEFAULT)


def normalize(value: object) -> str | None:
    """A supported language code for ``value`` ("ru", "ru-RU", "RU_ru" → "ru"), or None."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """The language for a browser's Accept-Language header: Russian when it prefers any ru*
    over English, English otherwise."""
    best, best_q = DEFAULT, -1.0
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = normalize(tag)
        if code is not None and q > best_q:
            best, best_q = code, q
    return best


def current() -> str:
    """The language of the running handler."""
    return _language.get()


def activate(language: str | None) -> Token:
    """Use ``language`` (or the default) from here on in this context; the token resets it."""
    return _language.set(normalize(language) or DEFAULT)


@contextmanager
def use(language: str | None) -> Iterator[None]:
    """Run a block in ``language`` (e.g. an e-mail in its recipient's language)."""
    token = activate(language)
    try:
        yield
    finally:
        _language.reset(token)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``language`` (English, or a missing catalog: the ids themselves)."""
    if language == DEFAULT:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the current language (Russian has three)."""
    return translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (labels kept as data)."""
    return message


gettext = _
