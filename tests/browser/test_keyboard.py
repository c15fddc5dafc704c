"""Keyboard and screen readers on my pages (issue #13.7): a dialog opened from the keyboard
holds the focus while open and gives it back to the button that opened it; live regions are
polite."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

INSIDE_DIALOG = "() => !!document.activeElement.closest('[role=dialog]')"
FOCUSED_ID = "() => document.activeElement.getAttribute('data-ot-opener')"


def test_the_resolve_dialog_traps_focus_and_returns_it(page):
    login(page, "support")
    page.goto("/failures")
    button = page.locator("#failure-queue tbody tr").first.get_by_role("button", name="Resolve")
    button.evaluate("b => b.setAttribute('data-ot-opener', 'resolve')")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert page.evaluate(INSIDE_DIALOG)
    for _ in range(6):  # Tab never leaves the open dialog
        page.keyboard.press("Tab")
        assert page.evaluate(INSIDE_DIALOG)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    page.wait_for_function(f"() => ({FOCUSED_ID})() === 'resolve'")


def test_live_regions_are_polite(page):
    login(page, "support")
    page.goto("/failures")
    expect(page.locator("[aria-live=polite] #failure-queue")).to_have_count(1)
    page.goto("/")
    expect(page.locator("main [aria-live=polite]")).to_have_count(1)
    page.goto("/orders")
    expect(page.locator("#orders-total[aria-live=polite]")).to_have_count(1)


def _execution_orders(server, username: str) -> list[str]:
    from sqlmodel import Session, create_engine, select

    from ordertrack.db.models import Order, User

    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return list(s.exec(select(Order.number).where(Order.customer_id == user.customer_id,
                                                      Order.phase == "execution").order_by(Order.id.desc())))


ACTIVE_MENU = "() => document.activeElement.getAttribute('data-move-menu')"
ACTIVE_TEXT = "() => (document.activeElement.innerText || '').trim()"


def test_operator_moves_a_card_with_the_keyboard_and_another_board_follows(browser, server):
    number = _execution_orders(server, "customer")[0]  # the newest (others take the oldest ones)
    operator = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    viewer = browser.new_context(base_url=server.url)
    try:
        page, other = operator.new_page(), viewer.new_page()
        login(other, "customer")
        other.goto("/board")
        expect(other.locator(f"#column-execution [data-number='{number}']")).to_be_visible()
        expect(other.locator("[data-move-menu]")).to_have_count(0)  # customers do not move cards
        login(page, "operator")
        page.goto("/board")
        page.get_by_label("Search orders").fill(number)
        card = page.locator(f"#column-execution [data-testid=order-card][data-number='{number}']")
        expect(page.locator("[data-testid=order-card]")).to_have_count(1)
        card.locator(".ot-card-link").focus()
        page.keyboard.press("Tab")  # from the card's link to its "Move to…" button
        assert page.evaluate(ACTIVE_MENU) == number
        page.keyboard.press("Enter")
        menu = page.get_by_role("menu")
        expect(menu.get_by_role("menuitem")).to_have_text(["Planning and Provisioning", "Customer Validation",
                                                           "Canceled"])
        for _ in range(8):  # arrow keys down to the phase (the menu moves its focus a frame later)
            if page.evaluate(ACTIVE_TEXT) == "Customer Validation":
                break
            page.keyboard.press("ArrowDown")
            page.wait_for_timeout(150)
        page.wait_for_function(f"() => ({ACTIVE_TEXT})() === 'Customer Validation'")
        page.keyboard.press("Enter")
        # the order's queue may hold it: the board asks to skip, exactly as after a drop
        skip = page.locator("#confirm-skip")
        moved = page.locator(f"#column-validation [data-testid=order-card][data-number='{number}']")
        expect(skip.or_(moved)).to_be_visible()
        if skip.is_visible():
            skip.focus()
            page.keyboard.press("Enter")
        expect(moved).to_be_visible()
        expect(page.locator(f"#column-execution [data-number='{number}']")).to_have_count(0)
        page.screenshot(path=str(server.log.parent / "keyboard-move.png"))
        page.wait_for_function(
            "n => document.activeElement.closest('[data-testid=order-card]')?.dataset.number === n", arg=number)
        announced = re.compile(re.escape(number) + r"(:| is now in) Customer Validation")  # after a skip: "is now in"
        expect(page.locator("[aria-live=polite]").filter(has_text=announced)).to_have_count(1)
        expect(other.locator(f"#column-validation [data-number='{number}']")).to_be_visible()
        expect(other.locator(f"#column-execution [data-number='{number}']")).to_have_count(0)
    finally:
        operator.close()
        viewer.close()


def test_a_move_from_the_menu_that_needs_a_comment_asks_for_it_and_cancel_keeps_the_focus(page, server):
    number = _execution_orders(server, "customer")[1]
    login(page, "operator")
    page.goto("/board")
    page.get_by_label("Search orders").fill(number)
    expect(page.locator("[data-testid=order-card]")).to_have_count(1)
    button = page.locator(f"[data-move-menu='{number}']")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem").first).to_be_visible()
    page.keyboard.press("Home")
    page.wait_for_function(f"() => ({ACTIVE_TEXT})() === 'Planning and Provisioning'")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Comment (required)")).to_be_visible()
    expect(dialog.get_by_role("textbox")).to_be_focused()  # the dialog holds the focus: Escape reaches it
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    page.wait_for_function(f"() => ({ACTIVE_MENU})() === {number!r}")
    expect(page.locator(f"#column-execution [data-number='{number}']")).to_be_visible()
