"""Sign-in and sign-out over plain HTTP: the only places the session cookie is set or cleared.

The browser's credential is an HttpOnly, SameSite=Strict cookie (Secure when the public URL is
https) that lives exactly as long as the server-side session. Page scripts never see it, and it
is never part of Reflex's state: the guard reads it from the headers of the tab's websocket
connection (``auth.AppState._secret``), and uploads from their own request (``security``).
The sign-in form posts here natively; success and failure both answer with a redirect, so the
next page load opens a websocket that carries (or no longer carries) the cookie.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ordertrack import routes, sessions
from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.domain.ratelimit import minutes_until
from ordertrack.services import accounts, ratelimit
from ordertrack.services.errors import DatabaseUnavailable, LoginFailed, LoginLocked
from ordertrack.sessions import COOKIE, secret_from_cookie_header
from ordertrack.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def client_address(request: Request) -> str:
    """The client's address, through Reflex's ``trusted_proxy_hops`` as the websocket does it."""
    from reflex.config import get_config

    address = request.client.host if request.client else "0.0.0.0"
    hops = get_config().trusted_proxy_hops
    if hops:
        forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",") if ip.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return address


def allowed_origins() -> set[str]:
    """The origins pages are served from (the same list the websocket's CORS check uses)."""
    from reflex.config import get_config

    origins = get_config().cors_allowed_origins
    return {o.rstrip("/") for o in ([origins] if isinstance(origins, str) else origins)}


def _same_origin(request: Request) -> bool:
    """A form post from one of our own pages (login CSRF: another site cannot sign a browser in)."""
    origin = request.headers.get("origin") or ""
    if not origin:
        referer = urlsplit(request.headers.get("referer") or "")
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else ""
    allowed = allowed_origins()
    return "*" in allowed or origin.rstrip("/") in allowed


def _back_to_login(**params: str) -> RedirectResponse:
    return RedirectResponse(f"{routes.LOGIN}?{urlencode(params)}", status_code=303)


def set_session_cookie(response: Response, secret: str) -> None:
    """Put the session secret where only the server reads it."""
    settings = get_settings()
    response.set_cookie(COOKIE, secret, max_age=int(settings.session_hours * 3600), path="/", httponly=True,
                        samesite="strict", secure=settings.public_url.startswith("https://"))


@router.post(routes.SIGN_IN)
def sign_in(request: Request, username: Annotated[str, Form(max_length=200)] = "",
            password: Annotated[str, Form(max_length=400)] = "") -> Response:
    """Check the credentials; on success set the cookie and go home, else back to the form."""
    if not _same_origin(request):
        return Response("Sign in from this site's own sign-in page.", status_code=403, media_type="text/plain")
    settings = get_settings()
    name = username.strip()[:80]
    now = get_clock().now()
    try:
        with session_scope() as session:
            secret, principal = accounts.login(
                session, username=name, password=password[:200], client_address=client_address(request),
                now=now, session_hours=settings.session_hours, limiter=ratelimit.shared_limiter(),
                limits=accounts.login_limits(settings))
    except LoginLocked as exc:
        return _back_to_login(error="locked", minutes=str(minutes_until(exc.retry_at, now)), user=name)
    except LoginFailed:
        return _back_to_login(error="invalid", user=name)
    except DatabaseUnavailable:
        return _back_to_login(error="unavailable", user=name)
    response = RedirectResponse(routes.HOME, status_code=303)
    set_session_cookie(response, secret)
    log.info("signed in: %s from %s", principal.username, client_address(request))
    return response


@router.post(routes.SIGN_OUT)
def sign_out(request: Request) -> Response:
    """End the session on the server, clear the cookie, show the sign-in form."""
    secret = secret_from_cookie_header(request.headers.get("cookie", ""))
    if secret:
        try:
            with session_scope() as session:
                accounts.logout(session, secret=secret)
        except DatabaseUnavailable:
            return _back_to_login(error="unavailable")
        sessions.forget(secret)
    response = _back_to_login(signed_out="1")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
