"""ASGI middleware around the whole app: security headers on every HTTP response, and the
gate in front of Reflex's ``/_upload`` endpoint.

``/_upload`` in Reflex 0.10 trusts the ``reflex-client-token`` header and reads the whole body
before the handler runs. Here, before a byte of the body is read: the declared size must fit
the attachment limits, the request must carry a live session cookie, and the handler it names
must be one of ours marked ``@guard(upload=True)``; then the tab is granted this one upload for
that session (``auth.grant_upload``), and the body is cut off if it grows past what it declared.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ordertrack import offload
from ordertrack.auth import grant_upload, upload_handler_names
from ordertrack.db.errors import DatabaseUnavailable
from ordertrack.sessions import resolve, secret_from_cookie_header
from ordertrack.settings import get_settings

log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

UPLOAD_PATH = "/_upload"
MAX_FILES = 5


def content_security_policy() -> str:
    """What pages may load: only this origin (the production build's scripts and styles),
    inline styles (Radix and Emotion write them), images from data: and blob: URLs; no framing.

    'unsafe-eval' is required by Reflex 0.10 itself: server-sent client actions (every
    ``rx.toast``, ``rx.call_script``) arrive as JavaScript source that its ``applyEvent``
    evaluates. The prerendered pages carry inline bootstrap scripts ('unsafe-inline')."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _security_headers() -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if get_settings().public_url.startswith("https://"):
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


def upload_limit() -> int:
    """The largest upload request body accepted: five files at the attachment limit, plus the
    multipart framing."""
    return MAX_FILES * get_settings().attachment_max_bytes + 64 * 1024


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *_security_headers()]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class SecurityMiddleware:
    """Wrap the app: ``api_transformer=[api, SecurityMiddleware]`` (see ``ordertrack.py``)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") == UPLOAD_PATH and scope.get("method") == "POST":
            receive = await self._gate_upload(scope, receive, send)
            if receive is None:
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers") or []}
                extra = [(k, v) for k, v in _security_headers() if k not in present]
                message = {**message, "headers": [*(message.get("headers") or []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _gate_upload(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """The receive channel to hand on, or None when the request was answered here."""
        try:
            declared = int(_header(scope, b"content-length"))
        except ValueError:
            await _plain(send, 411, "An upload must declare its size (Content-Length).")
            return None
        limit = upload_limit()
        if declared > limit:
            await _plain(send, 413, f"The upload is too large ({limit // (1024 * 1024)} MB at most).")
            return None
        secret = secret_from_cookie_header(_header(scope, b"cookie"))
        try:
            principal = await offload.run(resolve, secret) if secret else None
        except DatabaseUnavailable as exc:
            await _plain(send, 503, exc.message)
            return None
        if principal is None:
            await _plain(send, 401, "Sign in to upload files.")
            return None
        token, handler = _header(scope, b"reflex-client-token"), _header(scope, b"reflex-event-handler")
        if handler not in upload_handler_names():
            await _plain(send, 400, "That is not an upload.")
            return None
        if not token or len(token) > 100:
            await _plain(send, 400, "Missing client token.")
            return None
        grant_upload(token, secret)
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > declared:
                    log.warning("upload body longer than its Content-Length: cut off")
                    return {"type": "http.disconnect"}
            return message

        return capped


CLIENT_ERRORS = (AttributeError, KeyError, TypeError, ValueError, UnicodeError)


def backend_exception_handler(exception: Exception):
    """Errors that escape Reflex's own handlers (every ordertrack handler is wrapped by the
    guard): forged events such as ``setvar`` with a name that does not exist or arguments of
    the wrong shape. One log line, a clear toast, no traceback; anything else is a bug and is
    logged with its traceback."""
    import reflex as rx

    if isinstance(exception, CLIENT_ERRORS):
        log.warning("refused an event: %s: %s", type(exception).__name__, str(exception)[:200])
    else:
        log.error("event failed", exc_info=exception)
    return rx.toast.error("That request could not be processed.", id="backend_error")
