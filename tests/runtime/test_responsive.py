"""A worker keeps answering while its database hangs and while sign-ins hash passwords:
nothing blocking runs on the event loop (``ordertrack.offload``), and a user whose action needs
the database hears so within 5 s, in words, with nothing changed.

The production backend runs on a scratch PostgreSQL database reached through a loopback proxy
that can stop forwarding (connections stay open, no answer ever comes)."""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from ordertrack.db.errors import UNAVAILABLE
from ordertrack.pages.order_manager import OrderManagerState
from ordertrack.pages.orders import OrdersState
from tests.runtime.servers import app_env, backend, prepare, timed_get
from tests.runtime.tcpproxy import TcpProxy, free_port
from tests.wsclient import ReflexSocket, sign_in

pytestmark = pytest.mark.postgres
ORDERS = OrdersState.get_full_name()
MANAGER = OrderManagerState.get_full_name()
QUICK = 0.2  # seconds: what "still answering" means


@pytest.fixture(scope="module")
def app(tmp_path_factory, scratch_pg):
    tmp = tmp_path_factory.mktemp("responsive")
    prepare(app_env(scratch_pg, 0, tmp))
    proxy = TcpProxy(5432)
    port = free_port()
    env = app_env(scratch_pg.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), port, tmp,
                  ORDERTRACK_SCHEDULER="off")
    try:
        with backend(env, port, tmp / "server.log") as base:
            yield base, proxy, tmp / "server.log"
    finally:
        proxy.close()


def _trivial(sock: ReflexSocket) -> float:
    seconds, _ = sock.first_answer(f"{MANAGER}.toggle_panel", path="/manager")
    return seconds


def test_a_hanging_database_freezes_nothing_else(app):
    base, proxy, log = app
    cookie = sign_in(base, "operator")
    tab_a, tab_b = ReflexSocket(base, cookie=cookie), ReflexSocket(base, cookie=cookie)
    try:
        assert any(ORDERS in (u.get("delta") or {}) for u in tab_a.emit(f"{ORDERS}.load", path="/orders"))
        _trivial(tab_b)
        log_before = len(log.read_text().splitlines())

        proxy.hang()
        answer: dict = {}

        def needs_the_database():
            start = time.monotonic()
            updates = tab_a.emit(f"{ORDERS}.set_search", {"value": "SO-"}, path="/orders", wait=15)
            answer.update(seconds=time.monotonic() - start, text=str(updates))

        waiting = threading.Thread(target=needs_the_database)
        waiting.start()
        time.sleep(0.5)  # the event is now stuck on the database
        pings = [timed_get(base + "/ping") for _ in range(5)]
        trivial = [_trivial(tab_b) for _ in range(5)]
        waiting.join(20)

        assert max(pings) < QUICK, f"/ping took {pings} while the database hung"
        assert statistics.median(trivial) < QUICK and max(trivial) < 2 * QUICK, \
            f"a UI event on another tab took {trivial}"
        assert UNAVAILABLE in answer["text"], "the user must be told the database is not answering"
        assert answer["seconds"] < 5.5, f"the refusal took {answer['seconds']:.1f} s"
        new_lines = log.read_text().splitlines()[log_before:]
        assert not any("Traceback" in line for line in new_lines)
    finally:
        proxy.forward()
    deadline = time.monotonic() + 30  # hung connections drain once it answers again
    while True:
        updates = tab_a.emit(f"{ORDERS}.set_search", {"value": ""}, path="/orders", wait=10)
        if UNAVAILABLE not in str(updates) and any(ORDERS in (u.get("delta") or {}) for u in updates):
            break
        assert time.monotonic() < deadline, "the app did not recover when the database came back"
        time.sleep(1)
    tab_a.close()
    tab_b.close()


def test_ten_sign_ins_hashing_freeze_nothing_else(app):
    base, _, _ = app
    tab = ReflexSocket(base, cookie=sign_in(base, "operator"))
    _trivial(tab)
    results: list[int] = []

    def sign_in_once(user: str):
        try:
            results.append(bool(sign_in(base, user)))
        except AssertionError:
            results.append(False)

    users = ["support", "operator", "installer", "techsupport", "moderator", "manager", "admin", "customer",
             "customer2", "reseller"]
    threads = [threading.Thread(target=sign_in_once, args=(user,)) for user in users]
    for t in threads:
        t.start()
    pings, trivial = [], []
    while any(t.is_alive() for t in threads):
        pings.append(timed_get(base + "/ping"))
        trivial.append(_trivial(tab))
    for t in threads:
        t.join()
    tab.close()
    assert results == [True] * 10, f"every sign-in should have been let in: {results}"
    assert len(pings) >= 5, "the sign-ins were over before enough was measured"
    # A blocked loop answers nothing for seconds (7.3 s before this change); on a 2-core machine
    # the test's own client and the hashing share the CPU, so allow the odd late sample.
    quick = sum(p < QUICK for p in pings) / len(pings)
    assert quick >= 0.9 and max(pings) < 1.0, f"/ping took {pings} while 10 sign-ins hashed"
    assert statistics.median(trivial) < QUICK and max(trivial) < 1.0, \
        f"a UI event took {trivial} while 10 sign-ins hashed"
