"""Rules of the live push registry (``ordertrack.live.fanout``) without a server: one computation
and one packet per view key, nothing re-sent when a view did not change, tabs forgotten when
they leave the page."""

from __future__ import annotations

import asyncio
import threading

import pytest

from ordertrack.domain.access import Principal
from ordertrack.domain.roles import Role
from ordertrack.live import fanout

ALICE = Principal(user_id=1, username="a", display_name="A", role=Role.CUSTOMER, customer_id=1)
BOB = Principal(user_id=2, username="b", display_name="B", role=Role.CUSTOMER, customer_id=2)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(fanout, "_views", {})
    monkeypatch.setattr(fanout, "_last", {})
    sent: list[tuple[str, dict, list[str]]] = []

    async def send(state, values, sids):
        sent.append((state, values, sorted(sids)))

    monkeypatch.setattr(fanout.push, "send", send)
    monkeypatch.setattr(fanout, "_resellers_of", lambda customers: {10} if 2 in customers else set())  # Bob's
    monkeypatch.setattr(fanout, "_namespace", lambda: type("NS", (), {"token_to_sid": {}})())
    monkeypatch.setattr(fanout, "_live_views", lambda _map: ([
        (f"sid-{token}", view) for token, views in fanout._views.items() for view in views.values()], {}))
    return sent


def _push_all(changed: set[int] | None = None) -> int:
    """Run one push round in a thread of its own (the browser tests' Playwright keeps an event
    loop running in the main thread of the same pytest session)."""
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(asyncio.run(fanout.push_all(changed))))
    worker.start()
    worker.join(10)
    return result[0]


def _view(principal: Principal, data: dict, calls: list, key="board") -> fanout.View:
    def compute():
        calls.append(principal.username)
        return dict(data)

    return fanout.View(state="board_state", key=(fanout.scope_of(principal), key), path="/board",
                       secret="s" * 32, principal=principal, compute=compute)


def test_one_computation_and_packet_per_key_and_nothing_resent_when_unchanged(registry):
    alice_board, bob_board, calls = {"cards": ["SO-1"]}, {"cards": ["SO-9"]}, []
    for token in ("t1", "t2", "t3"):
        fanout.show(token, _view(ALICE, alice_board, calls))
    fanout.show("t4", _view(BOB, bob_board, calls))

    assert _push_all() == 2
    assert sorted(calls) == ["a", "b"], "each key is computed once, whatever its number of tabs"
    assert sorted((v["cards"], sids) for _, v, sids in registry) == [
        (["SO-1"], ["sid-t1", "sid-t2", "sid-t3"]), (["SO-9"], ["sid-t4"])]

    registry.clear()
    bob_board["cards"] = ["SO-9", "SO-10"]  # only Bob's tenant changed
    assert _push_all() == 1
    assert registry == [("board_state", {"cards": ["SO-9", "SO-10"]}, ["sid-t4"])]


def test_leaving_the_page_or_hiding_stops_the_pushes(registry):
    calls: list = []
    fanout.show("t1", _view(ALICE, {"cards": []}, calls))
    fanout.show("t2", _view(ALICE, {"cards": []}, calls))
    fanout.left_page("t1", "/board")  # still on the board: kept
    fanout.left_page("t2", "/orders")  # navigated away: forgotten
    assert _push_all() == 1
    assert registry[0][2] == ["sid-t1"]
    fanout.hide("t1")
    assert fanout.registered() == 0


def test_a_change_of_one_customer_recomputes_staff_views_and_that_tenant_only(registry):
    calls: list = []
    staff = Principal(user_id=3, username="m", display_name="M", role=Role.MANAGER)
    bobs_reseller = Principal(user_id=4, username="r", display_name="R", role=Role.RESELLER, reseller_id=10)
    other_reseller = Principal(user_id=5, username="q", display_name="Q", role=Role.RESELLER, reseller_id=11)
    fanout.show("t1", _view(ALICE, {"cards": ["SO-1"]}, calls))
    fanout.show("t2", _view(BOB, {"cards": ["SO-9"]}, calls))
    fanout.show("t3", _view(staff, {"cards": ["SO-1", "SO-9"]}, calls))
    fanout.show("t4", _view(bobs_reseller, {"cards": ["SO-9"]}, calls))
    fanout.show("t5", _view(other_reseller, {"cards": []}, calls))
    assert _push_all(changed={2}) == 3  # Bob's customer changed
    assert sorted(calls) == ["b", "m", "r"], "other tenants' boards cannot have changed: not even computed"
    calls.clear()
    assert _push_all(changed=None) == 2  # anything may have changed: all computed, the two not yet sent go out
    assert sorted(calls) == ["a", "b", "m", "q", "r"]


def test_changes_accumulate_until_taken_and_an_unknown_change_means_everything():
    from ordertrack.live import bus as realtime

    realtime.take_dirty()
    realtime._mark("3,4")
    realtime._mark("7")
    assert realtime.take_dirty() == {3, 4, 7}
    assert realtime.take_dirty() == set()
    realtime._mark("3")
    realtime._mark("*")
    realtime._mark("5")
    assert realtime.take_dirty() is None


def test_a_tab_showing_one_customers_data_is_refreshed_only_by_changes_that_concern_it(monkeypatch):
    """An order page's watcher (``live.watch`` with ``customer``) skips changes of other
    customers' data, refreshes for its own customer's and for "anything may have changed"."""
    from ordertrack.live import bus

    start = bus.current()
    refreshed = _followed(monkeypatch, ("3", "3,4", "7", "5", "*"), customer=7)
    assert refreshed == [start + 3, start + 5], "only the change of customer 7 and the unknown one"
    assert bus.changed_since(start) is None, "an unknown change since: anything"
    assert bus.changed_since(start + 3) is None
    assert bus.changed_since(start + 1) is None


def test_changed_since_names_the_customers_of_the_changes_it_still_knows(monkeypatch):
    from ordertrack.live import bus

    monkeypatch.setattr(bus, "_recent", bus.deque(maxlen=3))
    start = bus.current()
    for payload in ("3", "4,5", "6"):
        bus._wake(payload)
    assert bus.changed_since(start) == {3, 4, 5, 6}
    assert bus.changed_since(start + 1) == {4, 5, 6}
    assert bus.changed_since(start + 3) == frozenset()
    bus._wake("8")  # the oldest falls out of the log: from before it, nobody can tell
    assert bus.changed_since(start) is None
    assert bus.changed_since(start + 1) == {4, 5, 6, 8}


def test_tabs_get_only_the_vars_that_changed_and_a_new_tab_gets_the_whole_view(registry):
    board, calls = {"planning": ["SO-1"], "execution": ["SO-2"], "totals": {"planning": 1}}, []
    fanout.show("t1", _view(ALICE, board, calls))
    assert _push_all() == 1
    assert registry == [("board_state", board, ["sid-t1"])], "a tab new to the view gets all of it"

    registry.clear()
    board["execution"] = ["SO-2", "SO-3"]  # a card arrived in one column
    fanout.show("t2", _view(ALICE, board, calls))  # another tab opened the same board meanwhile
    assert _push_all() == 2
    assert sorted(registry, key=lambda r: r[2]) == [
        ("board_state", {"execution": ["SO-2", "SO-3"]}, ["sid-t1"]),  # only the changed column
        ("board_state", board, ["sid-t2"]),  # the newcomer: everything, once
    ]

    registry.clear()
    assert _push_all() == 0, "nothing changed: nothing is sent to anyone"
    fanout.show("t1", _view(ALICE, board, calls))  # t1 came back to the board (same socket)
    board["planning"] = []
    assert _push_all() == 2
    assert sorted(registry, key=lambda r: r[2]) == [
        ("board_state", board, ["sid-t1"]), ("board_state", {"planning": []}, ["sid-t2"])]


class _Tab:
    """What ``live.watch`` uses of a page's State: its lock, route, token, session and vars."""

    def __init__(self) -> None:
        from types import SimpleNamespace

        self.router = SimpleNamespace(page=SimpleNamespace(path="/orders/[number]"),
                                      session=SimpleNamespace(client_token="tab-1"))
        self._watcher = self._watch_path = ""
        self.lang = "en"
        self.read_at = -1
        self.refreshed: list[int] = []
        self._lock = asyncio.Lock()

    async def __aenter__(self):
        await self._lock.acquire()
        return self

    async def __aexit__(self, *exc):
        self._lock.release()

    def _secret(self) -> str:
        return "secret"


def test_a_tab_skips_the_changes_it_has_already_read_but_not_the_later_ones(monkeypatch):
    """The tab that made a change re-reads its page at once; its watcher then skips that change
    (one read, not two) and still refreshes for the next one and on the idle tick."""
    from ordertrack import sessions
    from ordertrack.domain.access import SYSTEM
    from ordertrack.live import bus, watch

    monkeypatch.setattr(bus, "is_connected", lambda token: True)
    monkeypatch.setattr(sessions, "resolve", lambda secret: SYSTEM)
    tab = _Tab()

    def refresh() -> None:  # the page's read: it has seen every change so far
        tab.read_at = bus.current()
        tab.refreshed.append(tab.read_at)

    async def scenario() -> None:
        monkeypatch.setattr(bus, "_loop", asyncio.get_running_loop())
        task = asyncio.create_task(watch(tab, refresh=refresh, idle_seconds=0.5, read_at=lambda: tab.read_at))
        await asyncio.sleep(0.05)
        bus._wake("7")
        tab.read_at = bus.current()  # this tab's own move: it re-read the page itself
        await asyncio.sleep(0.1)
        skipped = list(tab.refreshed)
        bus._wake("7")  # someone else's change
        await asyncio.sleep(0.1)
        after_other = list(tab.refreshed)
        await asyncio.sleep(0.6)  # the idle tick refreshes though nothing changed
        task.cancel()
        return skipped, after_other, list(tab.refreshed)

    start = bus.current()
    result: list = []
    worker = threading.Thread(target=lambda: result.append(asyncio.run(scenario())))  # a loop of its own
    worker.start()
    worker.join(10)
    skipped, after_other, final = result[0]
    assert skipped == [], "the change the tab had already read"
    assert after_other == [start + 2], "another change after it"
    assert len(final) == 2 and final[-1] == start + 2, "the idle tick"


def test_an_order_page_skips_changes_that_name_only_other_orders(monkeypatch):
    """A move or note on one order (``publish(customers=..., orders=...)``) refreshes that order's
    open pages, not the pages of the customer's other orders; a change that does not name its
    orders (or names none of its customers) still refreshes them all."""
    from ordertrack.live import bus

    start = bus.current()
    refreshed = _followed(monkeypatch, ("3;18", "3;18,19", "3;17", "4;17", "3", "*"), customer=3, order=17)
    assert refreshed == [start + 3, start + 5, start + 6], "its own order's, its customer's unnamed, anything"
    assert bus._customers("3,4;17") == {3, 4} and bus._orders("3,4;17") == {17}
    assert bus._orders("3,4") is None and bus._orders("*;17") is None


def _followed(monkeypatch, payloads: tuple[str, ...], *, customer: int = 0, order: int = 0) -> list[int]:
    """Run an order page's watcher (``live.watch`` on a stand-in tab showing ``customer`` and
    ``order``) in a loop of its own (as _push_all: Playwright's loop runs in the main thread)
    while changes with ``payloads`` arrive; the change numbers it refreshed at."""
    from ordertrack import sessions
    from ordertrack.domain.access import SYSTEM
    from ordertrack.live import bus, watch

    monkeypatch.setattr(bus, "is_connected", lambda token: True)
    monkeypatch.setattr(sessions, "resolve", lambda secret: SYSTEM)
    tab = _Tab()

    async def scenario() -> None:
        monkeypatch.setattr(bus, "_loop", asyncio.get_running_loop())
        monkeypatch.setattr(bus, "_recent", bus.deque(maxlen=256))
        task = asyncio.create_task(watch(tab, refresh=lambda: tab.refreshed.append(bus.current()), idle_seconds=30,
                                         customer=lambda: customer, order=lambda: order))
        for payload in payloads:
            await asyncio.sleep(0.02)
            bus._wake(payload)
        await asyncio.sleep(0.1)
        task.cancel()

    worker = threading.Thread(target=lambda: asyncio.run(scenario()))
    worker.start()
    worker.join(10)
    return tab.refreshed
