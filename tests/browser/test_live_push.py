"""Live board pushes (``ordertrack.live.fanout``) over raw sockets: who gets them and who stops.

One view is computed per key and the same packet goes to every tab of the key, so these
tests pin down what that must never break: a tenant's push holds only its own orders, a
signed-out session gets nothing more, and a tab that left the board stops getting it.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, create_engine, select, update

from ordertrack.db.models import Customer, Order, User, UserSession
from ordertrack.pages.board import BoardState
from ordertrack.pages.order import OrderState
from ordertrack.pages.order.moves import MovesState
from ordertrack.pages.order.process import ProcessState
from ordertrack.pages.orders import OrdersState
from tests.wsclient import ReflexSocket, all_strings, sign_in

pytestmark = pytest.mark.browser
BOARD = BoardState.get_full_name()


def _socket(server, user: str) -> ReflexSocket:
    return ReflexSocket(server.url, cookie=sign_in(server.url, user))


def _on_board(server, user: str, search: str = "") -> ReflexSocket:
    sock = _socket(server, user)
    updates = sock.emit(f"{BOARD}.load", {}, path="/board")
    assert BOARD in str([u.get("delta") for u in updates]), "the board should load for " + user
    if search:  # staff see hundreds of orders: narrow the window to the one that moves
        sock.emit(f"{BOARD}.set_search", {"value": search}, path="/board")
    return sock


def _board_pushes(updates: list[dict]) -> list[dict]:
    return [(u.get("delta") or {})[BOARD] for u in updates if BOARD in (u.get("delta") or {})]


def _orders_of(server, username: str, phase: str) -> list[str]:
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return list(s.exec(select(Order.number).where(Order.customer_id == user.customer_id, Order.phase == phase)
                           .order_by(Order.id)).all())


def _foreign_numbers(server, username: str) -> set[str]:
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        rows = s.exec(select(Order.number, Customer.name).join(Customer, Customer.id == Order.customer_id)
                      .where(Order.customer_id != user.customer_id)).all()
    return {n for n, _ in rows} | {c for _, c in rows}


def _move(staff: ReflexSocket, number: str, target: str) -> None:
    """Move forward as the order's queue does it (skip the remaining actions, issue 18.1), back
    with the move dialog."""
    path = f"/orders/{number}"
    state, moves = OrderState.get_full_name(), MovesState.get_full_name()
    staff.emit(f"{state}.load", {}, path=path, query={"number": number})
    if target == "execution":
        staff.emit(f"{ProcessState.get_full_name()}.skip_remaining", {}, path=path, query={"number": number})
        return
    staff.emit(f"{moves}.open_move", {"target": target}, path=path, query={"number": number})
    staff.emit(f"{moves}.confirm_move", {"form_data": {"comment": "live push test"}}, path=path,
               query={"number": number})


def _drop_forward(server, staff: ReflexSocket, number: str, column: str) -> None:
    """Staff drop the card on a later column of the board and, when its queue has not got there,
    confirm "skip the remaining actions" (issue 18.1)."""
    with Session(create_engine(server.db_url)) as s:
        version = s.exec(select(Order.version).where(Order.number == number)).one()
    staff.emit(f"{BOARD}.load", {}, path="/board")
    staff.emit(f"{BOARD}.drop_card", {"form_data": {"number": number, "version": str(version), "column": column}},
               path="/board")
    staff.emit(f"{BOARD}.confirm_skip", {}, path="/board")


def _phase(server, number: str) -> str:
    with Session(create_engine(server.db_url)) as s:
        return s.exec(select(Order.phase).where(Order.number == number)).one()


def _column_of(packets: list[dict], number: str) -> str | None:
    """The column whose pushed cards (``cards_<column>``, last push wins) hold ``number``."""
    found = None
    for packet in packets:
        for name, cards in packet.items():
            if name.startswith("cards_") and isinstance(cards, list):
                if any(c.get("number") == number for c in cards):
                    found = name.removeprefix("cards_").removesuffix("_rx_state_")
    return found


def test_push_reaches_each_tenant_with_only_its_orders(server):
    number = _orders_of(server, "customer", "planning")[0]
    customer, other = _on_board(server, "customer"), _on_board(server, "customer2")
    manager = _on_board(server, "manager", search=number)
    staff = _socket(server, "operator")
    try:
        _drop_forward(server, staff, number, "execution")
        assert _phase(server, number) == "execution"
        mine, theirs, managers = (_board_pushes(s.listen(3.0)) for s in (customer, other, manager))
        assert mine, "the customer's open board should get the change without reloading"
        assert _column_of(mine, number) == "execution"
        assert not _foreign_numbers(server, "customer") & set(all_strings(mine))
        assert number not in all_strings(theirs), "another tenant must never see this order"
        assert number in all_strings(managers), "staff see every tenant's change"

        # the next move resends only the two columns it touched (one var per column, issue 17.6)
        _move(staff, number, "planning")
        back = _board_pushes(customer.listen(3.0))
        assert _column_of(back, number) == "planning"
        # the move's own packet: the one that brings the card into Planning; another column may
        # come along only when its content changed (countdowns move on by the minute)
        moved = next(packet for packet in back if _column_of([packet], number) == "planning")
        sent = set(moved)
        assert {"cards_planning_rx_state_", "cards_execution_rx_state_"} <= sent
        known: dict = {}  # what the tab held before the move's packet
        for packet in [*mine, *back[:back.index(moved)]]:
            known.update(packet)
        resent = [k for k in ("cards_validation_rx_state_", "cards_done_rx_state_")
                  if k in moved and moved[k] == known.get(k)]
        assert resent == [], f"columns the move did not change were sent again: {resent}"
        whole = sum(len(json.dumps(v)) for k, v in mine[0].items() if k.startswith(("cards_", "total_")))
        print(f"\npush after a move: {sum(len(json.dumps(p)) for p in back)} bytes; "
              f"every column: {whole} bytes")
    finally:
        if _phase(server, number) != "planning":
            _move(staff, number, "planning")  # leave the demo data as other tests expect it
        for s in (customer, other, manager, staff):
            s.close()


def test_signed_out_session_gets_no_more_pushes(server):
    number = _orders_of(server, "customer2", "planning")[0]
    customer, manager = _on_board(server, "customer2"), _on_board(server, "manager", search=number)
    staff = _socket(server, "operator")
    try:
        with Session(create_engine(server.db_url)) as s:
            user = s.exec(select(User).where(User.username == "customer2")).one()
            s.exec(update(UserSession).where(UserSession.user_id == user.id).values(revoked=True))
            s.commit()
        _drop_forward(server, staff, number, "execution")
        assert _phase(server, number) == "execution"
        assert number in all_strings(_board_pushes(manager.listen(3.0))), "control: pushes are flowing"
        assert _board_pushes(customer.listen(1.0)) == [], "a revoked session must get nothing"
    finally:
        _move(staff, number, "planning")  # leave the demo data as other tests expect it
        for s in (customer, manager, staff):
            s.close()


def test_tab_that_left_the_board_stops_getting_it(server):
    number = _orders_of(server, "customer", "planning")[0]
    customer, manager = _on_board(server, "customer"), _on_board(server, "manager", search=number)
    staff = _socket(server, "operator")
    try:
        customer.emit(f"{OrdersState.get_full_name()}.load", {}, path="/orders")  # navigates away
        _drop_forward(server, staff, number, "execution")
        assert number in all_strings(_board_pushes(manager.listen(3.0))), "control: pushes are flowing"
        assert _board_pushes(customer.listen(1.0)) == []
    finally:
        _move(staff, number, "planning")  # leave the demo data as other tests expect it
        for s in (customer, manager, staff):
            s.close()


def test_open_pages_say_so_when_their_session_ends(browser, server):
    """Signed out in another tab of the same browser: the open board and order page stop
    updating and say so, with a way to sign in again; signing in again clears the notice."""
    from playwright.sync_api import expect

    from tests.browser.conftest import login

    number = _orders_of(server, "customer2", "planning")[0]
    context = browser.new_context(base_url=server.url)
    staff = _socket(server, "operator")
    try:
        board = context.new_page()
        login(board, "customer2")
        board.goto("/board")
        expect(board.locator(f"[data-number='{number}']").first).to_be_visible()
        order = context.new_page()
        order.goto(f"/orders/{number}")
        expect(order.locator("#order-history")).to_be_visible()
        for page in (board, order):
            expect(page.locator("#session-ended")).to_have_count(0)
        other = context.new_page()  # the same browser, another tab: sign out there
        other.goto("/")
        other.locator("#sign-out").click()
        other.wait_for_url(lambda u: u.split("?")[0].rstrip("/").endswith("/login"))
        _drop_forward(server, staff, number, "execution")  # a change: the open pages would update now
        for page in (board, order):
            notice = page.locator("#session-ended")
            expect(notice).to_be_visible(timeout=5000)
            expect(notice).to_have_attribute("role", "alert")
            expect(notice).to_contain_text("You have been signed out, so this page no longer updates.")
            expect(page.locator("#shell-user")).to_have_count(0)  # nobody is signed in here any more
            expect(page.locator("#sign-out")).to_have_count(0)  # nor anyone to sign out
        board.locator("#session-ended-sign-in").click()
        board.wait_for_url(lambda u: u.split("?")[0].rstrip("/").endswith("/login"))
        login(board, "customer2")
        board.goto("/board")
        expect(board.locator(f"[data-number='{number}']").first).to_be_visible()
        expect(board.locator("#session-ended")).to_have_count(0)
    finally:
        _move(staff, number, "planning")  # leave the demo data as other tests expect it
        staff.close()
        context.close()


def test_an_open_order_page_shows_a_change_staff_make_to_that_order(browser, server):
    """The customer has their order open; staff run its queue forward and then move it back on
    their own order page. Both changes name the order (``publish(orders=...)``), and the
    customer's page shows each without a reload."""
    from playwright.sync_api import expect

    from tests.browser.conftest import login

    number, other = _orders_of(server, "customer2", "planning")[:2]
    context = browser.new_context(base_url=server.url)
    staff = _socket(server, "operator")
    try:
        page = context.new_page()
        login(page, "customer2")
        page.goto(f"/orders/{number}")
        phase = page.locator("#order-phase")
        expect(phase).to_contain_text("Planning")  # the process's name of the phase
        planning = phase.inner_text()
        _move(staff, other, "execution")  # another order of the same customer: this page has nothing new
        expect(phase).to_have_text(planning)
        _move(staff, number, "execution")
        expect(phase).to_contain_text("Execution", timeout=5000)
        _move(staff, number, "planning")
        expect(phase).to_have_text(planning, timeout=5000)
    finally:
        for n in (number, other):
            if _phase(server, n) != "planning":
                _move(staff, n, "planning")  # leave the demo data as other tests expect it
        staff.close()
        context.close()
