"""A raw client of Reflex's socket protocol (Engine.IO 4 / Socket.IO on ``/_event``), used to
forge events the way any browser could: any handler, any arguments."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookies import SimpleCookie
from typing import Any

from websockets.sync.client import connect

NS = "/_event"


def _update(frame: str) -> dict[str, Any] | None:
    """The state update a frame carries (None for any other frame)."""
    if not frame.startswith(f"42{NS},"):
        return None
    name, data = json.loads(frame[len(f"42{NS},"):])[:2]
    if isinstance(data, str):
        data = json.loads(data)
    return data if name == "event" else None


def sign_in(base_url: str, username: str, password: str = "demo") -> str:
    """Sign in through the HTTP form endpoint as a browser does; the session cookie's value."""
    body = urllib.parse.urlencode({"username": username, "password": password}).encode()
    request = urllib.request.Request(base_url + "/auth/login", data=body, method="POST",
                                     headers={"Origin": base_url,
                                              "Content-Type": "application/x-www-form-urlencoded"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(request, timeout=30)
    except urllib.error.HTTPError as answer:
        cookie = SimpleCookie(answer.headers.get("Set-Cookie", "")).get("ot_session")
        if answer.code == 303 and cookie is not None and cookie.value:
            return cookie.value
        raise AssertionError(f"sign-in of {username} failed: {answer.code} {answer.headers.get('Location')}") from None
    raise AssertionError(f"sign-in of {username} did not redirect")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class ReflexSocket:
    """One connection with its own client token (and, if given, the session cookie the
    browser would send with the websocket handshake)."""

    def __init__(self, base_url: str, token: str | None = None, *, cookie: str | None = None) -> None:
        self.token = token or str(uuid.uuid4())
        self.cookie = cookie
        ws_url = base_url.replace("http", "ws", 1) + f"/_event/?token={self.token}&EIO=4&transport=websocket"
        headers = {"Cookie": f"ot_session={cookie}"} if cookie else None
        self.ws = connect(ws_url, open_timeout=10, max_size=None, additional_headers=headers)
        opening = self.ws.recv(timeout=10)
        assert opening.startswith("0"), opening
        self.ws.send(f"40{NS},")
        while True:
            frame = self._recv(10)
            if frame.startswith(f"40{NS}"):
                break
        self.deltas: list[dict[str, Any]] = []

    def _recv(self, timeout: float) -> str:
        while True:
            frame = self.ws.recv(timeout=timeout)
            if frame == "2":
                self.ws.send("3")
                continue
            return frame

    def emit(self, handler: str, payload: dict | None = None, *, path: str = "/", query: dict | None = None,
             wait: float = 10.0, quiet: float = 0.3) -> list[dict[str, Any]]:
        """Send one event and collect the updates until the final one (or ``wait`` seconds)."""
        event = {
            "name": handler,
            "payload": payload or {},
            "router_data": {"pathname": path, "asPath": path, "query": query or {}},
        }
        self.ws.send(f"42{NS}," + json.dumps(["event", event]))
        updates: list[dict[str, Any]] = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            # After the first update, a short quiet period ends the exchange (Reflex 0.10 sends no
            # "final" marker); before it, wait up to ``wait``.
            timeout = quiet if updates else max(0.05, deadline - time.monotonic())
            try:
                frame = self._recv(timeout)
            except TimeoutError:
                break
            data = _update(frame)
            if data is None:
                continue
            updates.append(data)
            if data.get("final"):
                break
        self.deltas += [u.get("delta") or {} for u in updates]
        return updates

    def first_answer(self, handler: str, payload: dict | None = None, *, path: str = "/",
                     wait: float = 10.0) -> tuple[float, dict[str, Any]]:
        """Send one event; seconds until its first update arrives, and that update."""
        event = {"name": handler, "payload": payload or {},
                 "router_data": {"pathname": path, "asPath": path, "query": {}}}
        start = time.monotonic()
        self.ws.send(f"42{NS}," + json.dumps(["event", event]))
        while True:
            left = wait - (time.monotonic() - start)
            if left <= 0:
                raise TimeoutError(f"no answer to {handler} within {wait} s")
            data = _update(self._recv(left))
            if data is not None:
                return time.monotonic() - start, data

    def listen(self, seconds: float) -> list[dict[str, Any]]:
        """Collect the updates the server pushes (without an event of ours) for ``seconds``."""
        updates: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self._recv(left)
            except TimeoutError:
                break
            if (data := _update(frame)) is not None:
                updates.append(data)
        self.deltas += [u.get("delta") or {} for u in updates]
        return updates

    def close(self) -> None:
        self.ws.close()


def all_strings(value: Any) -> list[str]:
    """Every string inside a delta, flattened."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *all_strings(v)]]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in all_strings(v)]
    return []
