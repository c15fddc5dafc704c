"""Login state and the guard every State handler starts with.

Any browser can call any public handler of any State with any arguments, so identity is
never taken from a public var: the browser holds only a session secret (a cookie); the
guard hashes it, loads the server-side session row, checks expiry, role and tenant, and
translates service errors into toasts. ``tests/security`` fails if a handler lacks it.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

import reflex as rx

from ordertrack import i18n, offload, routes, sessions
from ordertrack.db.engine import session_scope
from ordertrack.domain.access import Principal
from ordertrack.domain.engine import TransitionRefused
from ordertrack.domain.roles import STAFF_ROLES, Role
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import LangState
from ordertrack.live import fanout
from ordertrack.principal import (
    acting_as,
    admitted,
    current_principal,
    reset_admitted,
    set_admitted,
)
from ordertrack.services import accounts
from ordertrack.services.errors import BadInput, UserFacingError

__all__ = ["GUARD_ATTR", "AppState", "LoginState", "acting_as", "coerce_int", "coerce_str", "current_principal",
           "guard"]

log = logging.getLogger(__name__)
GUARD_ATTR = "__ordertrack_guard__"
_NAV_COMMON = (("Home", routes.HOME), ("Track My Orders", routes.BOARD), ("All orders", routes.ORDERS),
               ("Requests", routes.REQUESTS))
_OBJ = (("Objects", routes.OBJECTS),)
_NAV_EXTRA: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.CUSTOMER: _OBJ,
    Role.PARTNER: (("Clients", routes.CLIENTS),
                   ("SLA", routes.SLA)),
    Role.INSTALLER: _OBJ,
    Role.TECH_SUPPORT: (("Objects", routes.OBJECTS), ("Wall", routes.WALL), ("Failed orders", routes.FAILURES)),
    Role.MODERATOR: (("Objects", routes.OBJECTS), ("Wall", routes.WALL)),
    Role.SUPPORT: (("Order Manager", routes.MANAGER), ("Failed orders", routes.FAILURES),
                   ("Notifications", routes.NOTIFY_SETTINGS)),
    Role.OPERATOR: (("Order Manager", routes.MANAGER), ("Overdue tasks", routes.OVERDUE),
                    ("Failed orders", routes.FAILURES)),
    Role.ADMIN: (("Order Manager", routes.MANAGER), ("Failed orders", routes.FAILURES), ("Clients", routes.CLIENTS),
                 ("Objects", routes.OBJECTS), ("Wall", routes.WALL), ("Processes", routes.PROCESSES),
                 ("Notifications", routes.NOTIFY_SETTINGS), ("Urgency", routes.URGENCY), ("Outbox", routes.OUTBOX),
                 ("SLA targets", routes.SLA_SETTINGS), ("Service types", routes.SERVICE_TYPES),
                 ("SLA", routes.SLA)),
    Role.MANAGER: (("Order Manager", routes.MANAGER), ("Overdue tasks", routes.OVERDUE), ("Wall", routes.WALL),
                   ("Objects", routes.OBJECTS),
                   ("Processes", routes.PROCESSES),
                   ("SLA", routes.SLA)),
    Role.RESELLER: (("Notifications", routes.NOTIFY_SETTINGS),
                    ("SLA", routes.SLA)),
}
NAV: dict[Role, tuple[tuple[str, str], ...]] = {role: _NAV_COMMON + _NAV_EXTRA.get(role, ()) for role in Role}
_NAV_LABELS = (  # for the catalog: the shell shows each label in the tab's language (i18n.ui.Tv)
    N_("All orders"), N_("Clients"), N_("Failed orders"), N_("Home"),
    N_("Notifications"), N_("Objects"), N_("Order Manager"), N_("Outbox"),
    N_("Overdue tasks"), N_("Processes"), N_("Requests"), N_("Service types"), N_("Track My Orders"),
    N_("Urgency"), N_("Wall"),
)


MAX_INT = 2**31 - 1


def coerce_int(value: Any, *, name: str = "value", minimum: int | None = None, maximum: int = MAX_INT) -> int:
    """An int from browser input (within ±2**31, what every database column takes), or BadInput."""
    if isinstance(value, bool):
        raise BadInput(_("{name} must be a whole number.").format(name=_(name)))
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise BadInput(_("{name} must be a whole number.").format(name=_(name))) from None
    if minimum is not None and number < minimum:
        raise BadInput(_("{name} must be at least {minimum}.").format(name=_(name), minimum=minimum))
    if not -MAX_INT <= number <= maximum:
        raise BadInput(_("{name} is too large.").format(name=_(name)))
    return number


def coerce_str(value: Any, *, name: str = "value", max_len: int = 200, required: bool = False) -> str:
    """A stripped str from browser input, or BadInput with a message."""
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise BadInput(_("{name} must be text.").format(name=_(name)))
    text = str(value).strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(_("{name} contains characters that are not valid text.").format(name=_(name))) from None
    if required and not text:
        raise BadInput(_("{name} is required.").format(name=_(name)))
    if len(text) > max_len:
        raise BadInput(_("{name} is too long ({max_len} characters at most).").format(name=_(name), max_len=max_len))
    return text


_UI_CACHE_SECONDS = 60.0  # async handlers only change what a tab shows; they read no data
_ADMITTED = object()
_UPLOAD_GRANT_SECONDS = 120.0
_upload_grants: dict[str, tuple[str, float]] = {}  # client token -> (sha256 of the secret, until)


def grant_upload(client_token: str, secret: str) -> None:
    """An upload request to ``/_upload`` for this tab carried this session's cookie (``security``)."""
    now = time.monotonic()
    for token in [t for t, (_hash, until) in _upload_grants.items() if until < now]:
        _upload_grants.pop(token, None)
    _upload_grants[client_token] = (sessions.hash_of(secret), now + _UPLOAD_GRANT_SECONDS)


@functools.cache
def upload_handler_names() -> frozenset[str]:
    """Full names of the handlers that take files (``@guard(upload=True)``), as ``/_upload``
    requests name them."""
    names: set[str] = set()

    def walk(cls: type[rx.State]) -> None:
        for name, handler in cls.event_handlers.items():
            if getattr(handler.fn, GUARD_ATTR, {}).get("upload"):
                names.add(f"{cls.get_full_name()}.{name}")
        for sub in cls.get_substates():
            walk(sub)

    walk(rx.State)
    return frozenset(names)


def _upload_secret(state: AppState) -> str:
    """The secret of an upload event: the upload request's own cookie, if it is the same
    session as the tab's websocket (a captured client token alone, or with another session's
    cookie, uploads nothing)."""
    grant = _upload_grants.pop(state.router.session.client_token, None)
    secret = state._secret()
    if grant is None or grant[1] < time.monotonic() or not secret or grant[0] != sessions.hash_of(secret):
        return ""
    return secret


def language_of(state: AppState, principal: Principal | None) -> str:
    """The tab's language: the user's saved choice, else the visitor's cookie, else the browser's
    Accept-Language (ru* → Russian, anything else → English)."""
    return (principal.language if principal is not None else None) or i18n.normalize(state.lang_cookie) \
        or i18n.negotiate(state.router.headers.accept_language)


def _admit(state: AppState, principal: Principal | None, allowed: frozenset, public: bool, background: bool,
           page: bool = False) -> Any:
    """``_ADMITTED``, or what the handler answers instead (a redirect to sign in, a refusal).
    Every answer, and the handler after it, speaks the tab's language.

    A page's load handler (``page``) also tells the frame whether to show the page or say that
    this role may not use it (``AppState.page_route`` / ``refused_route``), instead of a toast
    over an empty page."""
    language = language_of(state, principal)
    i18n.activate(language)  # in this handler's own context (a copy per event)
    if not background and state.lang != language:
        state.lang = language
    if principal is None and not public:
        if background:
            return None
        state._clear_user()
        return [rx.redirect(routes.LOGIN), rx.toast.info(_("Please sign in."))]
    refused = principal is not None and bool(allowed) and principal.role not in allowed
    if page and not background:
        state._enter_page(admitted=not refused)
    if refused:
        if background:
            return None
        if page:
            state._show_user(principal)
            return None
        return rx.toast.error(_("You are not allowed to do that."))
    if principal is not None and not background:
        state._show_user(principal)
    return _ADMITTED


def _run_blocking(state: AppState, fn: Callable, args: tuple, kwargs: dict, allowed: frozenset, public: bool,
                  page: bool) -> Any:
    """A synchronous handler with its session check, in one trip to the blocking-work pool."""
    principal = sessions.resolve(state._secret())
    answer = _admit(state, principal, allowed, public, False, page)
    if answer is not _ADMITTED:
        return answer
    set_admitted(principal)  # this runs in a copy of the caller's context
    return fn(state, *args, **kwargs)


def guard(*roles: Role, public: bool = False, staff: bool = False, background: bool = False,
          upload: bool = False, page: bool | None = None) -> Callable:
    """Wrap a State handler: resolve the session, check the role, translate errors.

    A plain ``def`` handler may block (database, hashing): it runs, session check included,
    in the worker's bounded thread pool (``offload``) with a deadline. An ``async def``
    handler runs on the event loop and must not block: it awaits ``offload.run`` for such
    work (uploads, background watchers). UI-only handlers (open a dialog, switch a tab) are
    ``async`` and admit a session this worker confirmed within the last minute, so they keep
    answering while the database does not.

    Args:
        roles: roles admitted (none given: any logged-in user).
        public: admit anonymous callers too (login form).
        staff: admit every staff role.
        background: the handler is a background task (it may not write state outside
            ``async with self``, so the shell is not touched here).
        upload: the handler receives files through ``/_upload``: it is authorised by the
            upload request's own cookie, which must be the tab's session.
        page: the handler is a page's ``on_load`` (default: handlers named ``load``). A role it
            refuses sees the frame's "no access" panel instead of the page, not a toast over
            empty content; an admitted role sees the page (``pages/frame.py``).
    """
    allowed = frozenset(roles) | (STAFF_ROLES if staff else frozenset())

    def decorate(fn: Callable) -> Callable:
        is_async = inspect.iscoroutinefunction(fn)
        is_page = fn.__name__ == "load" if page is None else page
        if (background or upload) and not is_async:
            raise TypeError(f"background and upload handler {fn.__qualname__} must be async")

        @functools.wraps(fn)
        async def wrapper(self: AppState, *args: Any, **kwargs: Any) -> Any:
            if not background:
                fanout.left_page(self.router.session.client_token, self.router.page.path)
            try:
                if not is_async:
                    return await offload.run(_run_blocking, self, fn, args, kwargs, allowed, public, is_page)
                secret = _upload_secret(self) if upload else self._secret()
                principal = (None if upload else sessions.cached(secret, max_age=_UI_CACHE_SECONDS)) or (
                    await offload.run(sessions.resolve, secret) if secret else None)
                if upload and principal is None:  # never touch the tab's state for a refused upload
                    with i18n.use(self.lang):
                        return rx.toast.error(_("Sign in again to upload files."))
                answer = _admit(self, principal, allowed, public, background, is_page)
                if answer is not _ADMITTED:
                    return answer
                token = set_admitted(principal)
                try:
                    return await fn(self, *args, **kwargs)
                finally:
                    reset_admitted(token)
            except Exception as exc:  # noqa: BLE001 - every failure becomes one clear answer
                if background:
                    _log_failure(fn, exc)
                    return None
                with i18n.use(self.lang):
                    return rx.toast.error(_refusal(fn, exc))

        setattr(wrapper, GUARD_ATTR, {"roles": allowed, "public": public, "background": background,
                                      "upload": upload, "page": is_page})
        return wrapper

    return decorate


_FAILED = N_("Something went wrong on our side; please try again. If it keeps happening, tell support.")


def _log_failure(fn: Callable, error: Exception) -> None:
    if isinstance(error, TransitionRefused | UserFacingError):
        return
    if isinstance(error, TypeError) and _arity_error(error, fn):
        log.warning("refused %s: %s", fn.__qualname__, error)
    else:
        log.error("handler %s failed", fn.__qualname__, exc_info=error)


def _refusal(fn: Callable, error: Exception) -> str:
    """What the user reads when a handler fails, in the current language (service messages
    were written in it already; ``_`` leaves them as they are)."""
    _log_failure(fn, error)
    if isinstance(error, TransitionRefused):
        return _(error.reason)
    if isinstance(error, UserFacingError):
        return _(error.message)
    if isinstance(error, TypeError) and _arity_error(error, fn):
        return _("Invalid request.")
    return _(_FAILED)


def _arity_error(error: TypeError, fn: Callable) -> bool:
    """Whether ``error`` was raised by calling ``fn`` itself with arguments it does not take."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name in ("_run_blocking", "wrapper") and \
        fn.__name__ in str(error)


class AppState(LangState):
    """The signed-in user as the shell shows it. Never trusted: the guard re-checks.

    No credential lives here: the session secret is an HttpOnly cookie, read from the headers
    of this tab's websocket connection (set by the server, see ``signin``).
    """

    user_name: str = ""
    user_role: str = ""
    user_role_label: str = ""
    nav: list[dict[str, str]] = []
    page_route: str = ""  # the route whose page load admitted this user: the frame shows that page
    refused_route: str = ""  # the route whose page load refused this user's role: the frame says so
    session_ended: bool = False  # set by live pushes when this tab's session ends (live.fanout)

    def _secret(self) -> str:
        """The session secret of this tab's connection ("" when signed out)."""
        return sessions.secret_from_cookie_header(self.router.headers.cookie)

    def _show_user(self, principal: Principal) -> None:
        if self.session_ended:  # signed in again
            self.session_ended = False
        if self.user_name != principal.display_name:
            self.user_name = principal.display_name
        if self.user_role_label != principal.role.label:  # the role's name in the tab's language
            self.user_role_label = principal.role.label
        if self.user_role != principal.role.value:
            self.user_role = principal.role.value
            self.nav = [{"label": label, "href": href} for label, href in NAV[principal.role]]

    def _clear_user(self) -> None:
        self.user_name = self.user_role = self.user_role_label = ""
        self.nav = []

    def _enter_page(self, *, admitted: bool) -> None:
        """A page's load was admitted (show it) or refused for this role (say so instead)."""
        route = self.router.route_id
        page_route, refused_route = (route, "") if admitted else ("", route)
        if self.page_route != page_route:
            self.page_route = page_route
        if self.refused_route != refused_route:
            self.refused_route = refused_route

    @rx.event
    @guard(public=True)
    def set_language(self, code: str):
        """The header's language switch: saved for a signed-in user, in a cookie for a visitor;
        the page reloads in the new language (server-made text included)."""
        language = i18n.normalize(coerce_str(code, name="Language", max_len=8))
        if language is None:
            raise BadInput(_("Unknown language."))
        principal = admitted()
        if principal is not None:
            with session_scope() as session:
                accounts.set_language(session, principal=principal, language=language)
            sessions.forget(self._secret())
        self.lang_cookie = language
        self.lang = language
        return rx.call_script("window.location.reload()")


LOGIN_ERRORS = {
    "invalid": N_("Wrong username or password."),
    "unavailable": N_("The database is not answering; nothing was changed. Try again in a moment."),
}


class LoginState(AppState):
    """The sign-in page: the form posts to ``/auth/login`` (HTTP); errors come back in the URL."""

    error: str = ""
    notice: str = ""
    username: str = ""  # typed before a refused attempt: filled in again

    @rx.event
    @guard(public=True)
    async def redirect_if_signed_in(self):
        """On the login page: a signed-in user goes home; otherwise show why we are here."""
        if admitted() is not None:
            return rx.redirect(routes.HOME)
        params = self.router.page.params
        code = str(params.get("error", ""))
        self.error = _(LOGIN_ERRORS[code]) if code in LOGIN_ERRORS else ""
        if code == "locked":
            minutes = coerce_int(params.get("minutes", 1), name="Minutes", minimum=1, maximum=24 * 60)
            self.error = accounts.locked_message(minutes)
        self.username = coerce_str(params.get("user", ""), name="Username", max_len=80) if self.error else ""
        self.notice = _("You are signed out.") if params.get("signed_out") and not self.error else ""
        return None
