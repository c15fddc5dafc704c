"""Login state and the guard every State handler starts with.

Any browser can call any public handler of any State with any arguments, so identity is
never taken from a public var: the browser holds only a session secret (a cookie); the
guard hashes it, loads the server-side session row, checks expiry, role and tenant, and
translates service errors into toasts. ``tests/security`` fails if a handler lacks it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import reflex as rx

from ordertrack import routes
from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.domain.access import Principal
from ordertrack.domain.engine import TransitionRefused
from ordertrack.domain.roles import STAFF_ROLES, Role
from ordertrack.services import accounts, ratelimit
from ordertrack.services.errors import BadInput, LoginFailed, ServiceError
from ordertrack.settings import get_settings

GUARD_ATTR = "__ordertrack_guard__"
_current: ContextVar[Principal | None] = ContextVar("ordertrack_principal", default=None)

_NAV_COMMON = (("Home", routes.HOME), ("Track My Orders", routes.BOARD), ("All orders", routes.ORDERS),
               ("Requests", routes.REQUESTS))
_OBJ = (("Objects", routes.OBJECTS),)
_NAV_EXTRA: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.CUSTOMER: _OBJ,
    Role.PARTNER: (("Clients", routes.CLIENTS),),
    Role.INSTALLER: _OBJ,
    Role.TECH_SUPPORT: (("Objects", routes.OBJECTS), ("Wall", routes.WALL), ("Failed orders", routes.FAILURES)),
    Role.MODERATOR: (("Objects", routes.OBJECTS), ("Wall", routes.WALL)),
    Role.SUPPORT: (("Order Manager", routes.MANAGER), ("Failed orders", routes.FAILURES),
                   ("Notifications", routes.NOTIFY_SETTINGS)),
    Role.OPERATOR: (("Order Manager", routes.MANAGER), ("Overdue tasks", routes.OVERDUE),
                    ("Failed orders", routes.FAILURES)),
    Role.ADMIN: (("Order Manager", routes.MANAGER), ("Failed orders", routes.FAILURES), ("Clients", routes.CLIENTS),
                 ("Objects", routes.OBJECTS), ("Wall", routes.WALL), ("Processes", routes.PROCESSES),
                 ("Notifications", routes.NOTIFY_SETTINGS), ("Urgency", routes.URGENCY), ("Outbox", routes.OUTBOX)),
    Role.MANAGER: (("Order Manager", routes.MANAGER), ("Overdue tasks", routes.OVERDUE), ("Wall", routes.WALL),
                   ("Objects", routes.OBJECTS),
                   ("Processes", routes.PROCESSES)),
    Role.RESELLER: (("Notifications", routes.NOTIFY_SETTINGS),),
}
NAV: dict[Role, tuple[tuple[str, str], ...]] = {role: _NAV_COMMON + _NAV_EXTRA.get(role, ()) for role in Role}


def current_principal() -> Principal:
    """The principal the guard admitted for the running handler."""
    principal = _current.get()
    if principal is None:  # only reachable if a handler skipped the guard
        raise RuntimeError("handler ran without the guard")
    return principal


MAX_INT = 2**31 - 1


def coerce_int(value: Any, *, name: str = "value", minimum: int | None = None, maximum: int = MAX_INT) -> int:
    """An int from browser input (within ±2**31, what every database column takes), or BadInput."""
    if isinstance(value, bool):
        raise BadInput(f"{name} must be a whole number.")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise BadInput(f"{name} must be a whole number.") from None
    if minimum is not None and number < minimum:
        raise BadInput(f"{name} must be at least {minimum}.")
    if not -MAX_INT <= number <= maximum:
        raise BadInput(f"{name} is too large.")
    return number


def coerce_str(value: Any, *, name: str = "value", max_len: int = 200, required: bool = False) -> str:
    """A stripped str from browser input, or BadInput with a message."""
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise BadInput(f"{name} must be text.")
    text = str(value).strip()
    if required and not text:
        raise BadInput(f"{name} is required.")
    if len(text) > max_len:
        raise BadInput(f"{name} is too long ({max_len} characters at most).")
    return text


def _resolve(secret: str) -> Principal | None:
    with session_scope() as session:
        return accounts.resolve(session, secret=secret, now=get_clock().now())


@contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    """Run a block (e.g. a background refresh) as ``principal``."""
    token = _current.set(principal)
    try:
        yield
    finally:
        _current.reset(token)


def resolve_secret(secret: str) -> Principal | None:
    """The principal of a session secret right now (None: signed out or expired)."""
    return _resolve(secret)


def guard(*roles: Role, public: bool = False, staff: bool = False, background: bool = False) -> Callable:
    """Wrap a State handler: resolve the session, check the role, translate errors.

    Args:
        roles: roles admitted (none given: any logged-in user).
        public: admit anonymous callers too (login form).
        staff: admit every staff role.
        background: the handler is a background task (it may not write state outside
            ``async with self``, so the shell is not touched here).
    """
    allowed = frozenset(roles) | (STAFF_ROLES if staff else frozenset())

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        async def wrapper(self: AppState, *args: Any, **kwargs: Any) -> Any:
            principal = _resolve(self.session_secret)
            if principal is None and not public:
                if background:
                    return None
                self._clear_user()
                return [rx.redirect(routes.LOGIN), rx.toast.info("Please sign in.")]
            if principal is not None and allowed and principal.role not in allowed:
                return None if background else rx.toast.error("You are not allowed to do that.")
            if principal is not None and not background:
                self._show_user(principal)
            if not background:
                from ordertrack import fanout

                fanout.left_page(self.router.session.client_token, self.router.page.path)
            token = _current.set(principal)
            try:
                result = fn(self, *args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
                return result
            except TransitionRefused as exc:
                return rx.toast.error(exc.reason)
            except ServiceError as exc:
                return rx.toast.error(exc.message)
            finally:
                _current.reset(token)

        setattr(wrapper, GUARD_ATTR, {"roles": allowed, "public": public, "background": background})
        return wrapper

    return decorate


class AppState(rx.State):
    """The signed-in user as the shell shows it. Never trusted: the guard re-checks."""

    session_secret: str = rx.Cookie("", name="ot_session", same_site="strict", max_age=60 * 60 * 24)
    user_name: str = ""
    user_role: str = ""
    user_role_label: str = ""
    nav: list[dict[str, str]] = []

    def _show_user(self, principal: Principal) -> None:
        if self.user_name != principal.display_name:
            self.user_name = principal.display_name
        if self.user_role != principal.role.value:
            self.user_role = principal.role.value
            self.user_role_label = principal.role.label
            self.nav = [{"label": label, "href": href} for label, href in NAV[principal.role]]

    def _clear_user(self) -> None:
        self.user_name = self.user_role = self.user_role_label = ""
        self.nav = []

    @rx.event
    @guard()
    async def load_shell(self):
        """On every protected page: redirect to login unless signed in."""
        return

    @rx.event
    @guard()
    async def logout(self):
        """End the session on the server and in the browser."""
        with session_scope() as session:
            accounts.logout(session, secret=self.session_secret)
        self.session_secret = ""
        self._clear_user()
        return [rx.redirect(routes.LOGIN), rx.toast.success("Signed out.")]


class LoginState(AppState):
    """The login form."""

    error: str = ""
    busy: bool = False

    @rx.event
    @guard(public=True)
    async def redirect_if_signed_in(self):
        """On the login page: a signed-in user goes home."""
        if _current.get() is not None:
            return rx.redirect(routes.HOME)
        return None

    @rx.event
    @guard(public=True)
    async def submit(self, form_data: dict):
        """Check the credentials; one generic error for every failure; a lockout (counted per
        account name and per client address, before the password is checked) when repeated."""
        if not isinstance(form_data, dict):
            raise BadInput("Invalid form.")
        username = coerce_str(form_data.get("username"), name="Username", max_len=80)
        password = coerce_str(form_data.get("password"), name="Password", max_len=200)
        settings = get_settings()
        try:
            with session_scope() as session:
                secret, principal = accounts.login(
                    session,
                    username=username,
                    password=password,
                    client_address=self.router.session.client_ip,  # trusted_proxy_hops applied by Reflex
                    now=get_clock().now(),
                    session_hours=settings.session_hours,
                    limiter=ratelimit.shared_limiter(),
                    limits=accounts.login_limits(settings),
                )
        except LoginFailed as exc:  # LoginLocked too: its message says when to retry
            self.error = exc.message
            return None
        self.error = ""
        self.session_secret = secret
        self._show_user(principal)
        return [rx.redirect(routes.HOME), rx.toast.success(f"Welcome, {principal.display_name}.")]
