"""Findings of the security probe (issue #12) that need the running production server, each
refused here: credentials outside an HttpOnly cookie, a captured client token acting as its
user, /_upload trusting a header and reading bodies it will refuse, tracebacks from forged
events, and missing security headers."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session, create_engine, func, select

from ordertrack.db.message_models import Attachment
from ordertrack.db.models import Customer, Order, User
from ordertrack.pages.board import BoardState
from ordertrack.pages.order import OrderState
from ordertrack.pages.order.messages import MessagesState
from ordertrack.pages.order.moves import MovesState
from ordertrack.pages.orders import OrdersState
from tests.server_fixtures import login
from tests.wsclient import ReflexSocket, all_strings, sign_in

pytestmark = pytest.mark.browser
ORDER, BOARD, ORDERS = OrderState.get_full_name(), BoardState.get_full_name(), OrdersState.get_full_name()


def _own_order(server, username: str) -> str:
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return s.exec(select(Order.number).where(Order.customer_id == user.customer_id).order_by(Order.id)).first()


def _state_text(updates: list[dict], *states: str) -> list[str]:
    """Every string the server sent in the deltas of ``states`` (not the router echo of the request)."""
    return all_strings([(u.get("delta") or {}).get(name, {}) for u in updates for name in states])


def _raw_post(server, path: str, headers: dict[str, str], body: bytes = b"", wait: float = 5.0) -> tuple[int, float]:
    """Send a request whose body may be shorter than it claims; (status, seconds to the answer)."""
    host = urlsplit(server.url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host.netloc}", *[f"{k}: {v}" for k, v in headers.items()], "", ""]
    start = time.monotonic()
    with socket.create_connection((host.hostname, host.port), timeout=wait) as sock:
        sock.sendall("\r\n".join(lines).encode() + body)
        answer = sock.recv(4096).decode("latin-1")
    return int(answer.split()[1]), time.monotonic() - start


def test_the_session_cookie_is_httponly_strict_and_lives_as_long_as_the_session(server, page):
    body = b"username=customer&password=demo"
    request = urllib.request.Request(server.url + "/auth/login", data=body, method="POST",
                                     headers={"Origin": server.url})

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(Stay).open(request, timeout=20)
    assert answer.value.code == 303
    raw = answer.value.headers["Set-Cookie"]
    morsel = SimpleCookie(raw)["ot_session"]
    assert morsel["httponly"] and morsel["samesite"].lower() == "strict" and morsel["path"] == "/"
    assert int(morsel["max-age"]) == int(float(server.env["ORDERTRACK_SESSION_HOURS"]) * 3600)
    assert not morsel["secure"], "plain http here; Secure is set when the public URL is https"

    foreign = urllib.request.Request(server.url + "/auth/login", data=body, method="POST",
                                     headers={"Origin": "https://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(Stay).open(foreign, timeout=20)
    assert refused.value.code == 403, "another site cannot sign a browser in (login CSRF)"

    login(page, "customer")
    assert "ot_session" not in page.evaluate("document.cookie"), "page scripts never see the credential"
    assert any(c["name"] == "ot_session" and c["httpOnly"] for c in page.context.cookies())


def test_a_captured_client_token_without_the_cookie_acts_as_nobody(server):
    number = _own_order(server, "customer")
    victim = ReflexSocket(server.url, cookie=sign_in(server.url, "customer"))
    loaded = victim.emit(f"{ORDER}.load", path=f"/orders/{number}", query={"number": number})
    assert number in _state_text(loaded, ORDER)

    thief = ReflexSocket(server.url, token=victim.token)  # the victim's tab is still open
    stolen = thief.emit(f"{ORDER}.load", path=f"/orders/{number}", query={"number": number})
    assert "/login" in str(stolen) and number not in _state_text(stolen, ORDER)
    thief.close()

    victim.close()  # the victim's tab has closed
    time.sleep(0.5)
    thief = ReflexSocket(server.url, token=victim.token)
    for handler, path in ((f"{ORDER}.load", f"/orders/{number}"), (f"{BOARD}.load", "/board")):
        stolen = thief.emit(handler, path=path, query={"number": number})
        assert "/login" in str(stolen)
        assert number not in _state_text(stolen, ORDER, BOARD)
    thief.close()


def test_no_session_secret_in_the_state_files(server):
    cookie = sign_in(server.url, "support")
    sock = ReflexSocket(server.url, cookie=cookie)
    sock.emit(f"{ORDERS}.load", path="/orders")
    sock.close()
    time.sleep(1)
    folder = Path(server.env["REFLEX_STATES_WORKDIR"])
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    for path in files:
        assert cookie.encode() not in path.read_bytes(), f"{path} holds a session secret"
        assert path.stat().st_mode & 0o007 == 0, f"{path} is readable by every local user"
    db = Path(server.db_url.removeprefix("sqlite:///"))
    assert db.stat().st_mode & 0o007 == 0, "the SQLite file is not world-readable"


def _attachments(server) -> int:
    with Session(create_engine(server.db_url)) as s:
        return s.exec(select(func.count()).select_from(Attachment)).one()


def test_upload_is_refused_before_its_body_is_read_and_only_for_the_tabs_own_session(server):
    handler = f"{MessagesState.get_full_name()}.upload_attachments"
    with Session(create_engine(server.db_url)) as s:
        number = s.exec(select(Order.number).join(Customer, Customer.id == Order.customer_id)
                        .order_by(Order.id)).first()
    victim = ReflexSocket(server.url, cookie=sign_in(server.url, "support"))
    victim.emit(f"{ORDER}.load", path=f"/orders/{number}", query={"number": number})
    before = _attachments(server)
    fifty_mb = {"Content-Length": str(50 * 1024 * 1024), "Content-Type": "multipart/form-data; boundary=x",
                "reflex-client-token": victim.token, "reflex-event-handler": handler}

    status, seconds = _raw_post(server, "/_upload", fifty_mb)  # no cookie, and no body sent at all
    assert status in (401, 413) and seconds < 3, "refused at once, without waiting for 50 MB"

    attacker = sign_in(server.url, "operator")
    small = b'--x\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n' \
            b'Content-Type: text/plain\r\n\r\nhello\r\n--x--\r\n'
    headers = {**fifty_mb, "Content-Length": str(len(small)), "Cookie": f"ot_session={attacker}"}
    status, _ = _raw_post(server, "/_upload", headers, small)
    time.sleep(1)
    assert _attachments(server) == before, "another session's cookie uploads nothing into the victim's tab"

    status, _ = _raw_post(server, "/_upload", {**headers, "reflex-event-handler": f"{MovesState.get_full_name()}.confirm_move"}, small)
    assert status == 400, "a handler that takes no files is a 4xx, not a 500"
    status, _ = _raw_post(server, "/_upload", {**fifty_mb, "Cookie": f"ot_session={attacker}"})
    assert status == 413
    victim.close()


def test_forged_events_get_a_clear_answer_and_one_log_line(server):
    sock = ReflexSocket(server.url, cookie=sign_in(server.url, "support"))
    log_before = len(server.log.read_text().splitlines())
    answers = [
        sock.emit(f"{ORDERS}.setvar", {"var_name": "no_such_var", "value": 1}, path="/orders"),
        sock.emit(f"{ORDERS}.set_search", {"value": "\ud800"}, path="/orders"),
        sock.emit(f"{ORDERS}.set_search", {}, path="/orders"),
        sock.emit(f"{ORDERS}.set_search", {"value": "a", "extra": 1}, path="/orders"),
        sock.emit(f"{ORDERS}.go_to_page", {"page": 10**30}, path="/orders"),
    ]
    sock.close()
    text = [json.dumps(a) for a in answers]
    assert "could not be processed" in text[0]
    assert "not valid text" in text[1]
    assert "Invalid request" in text[2] and "Invalid request" in text[3]
    assert "too large" in text[4]
    time.sleep(0.5)
    new = server.log.read_text().splitlines()[log_before:]
    assert not any("Traceback" in line for line in new), "\n".join(new[-30:])


@pytest.mark.parametrize("path", ["/", "/login", "/ping", "/api/v1/orders", "/attachments/1", "/docs"])
def test_every_response_carries_the_security_headers(server, path):
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as answer:
            headers = answer.headers
    except urllib.error.HTTPError as error:
        headers = error.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]
