"""Issue 18.4 in Chromium: the Closed tab under the filters with a correct plural, filters kept in
the URL, customer and status filters for resellers, dropping on "Canceled / Closed" offers the
cancel, every open card shows owner, priority and its next deadline, and the phone layout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, func, select

from ordertrack.db.models import Customer, Order, User
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _db(server) -> Session:
    return Session(create_engine(server.db_url))


def _card(page, column: str, number: str):
    return page.locator(f"#column-{column} [data-number='{number}']")


def test_closed_tab_honours_the_customer_filter_and_counts_in_words(page, server):
    with _db(server) as s:
        customer_id, name, closed = s.exec(
            select(Customer.id, Customer.name, func.count(Order.id)).join(Order, Order.customer_id == Customer.id)
            .where(Order.phase.in_(("closed", "canceled"))).group_by(Customer.id, Customer.name)
            .order_by(func.count(Order.id))).first()
        one = s.exec(select(Order.number).where(Order.customer_id == customer_id, Order.phase == "closed")).first()
    login(page, "manager")
    page.goto("/board")
    page.get_by_label("Customer").select_option(str(customer_id))
    page.get_by_role("tab", name="Closed").click()
    table = page.locator("#closed-table")
    expect(page.locator("#closed-count")).to_have_text(f"{closed} orders" if closed != 1 else "1 order")
    expect(table.get_by_role("row").nth(1)).to_contain_text(name)
    texts = table.get_by_role("row").all_inner_texts()[1:]
    assert texts and all(name in t for t in texts), "only the chosen customer's orders"
    page.get_by_label("Search orders").fill(one)
    expect(page.locator("#closed-count")).to_have_text("1 order")  # never "1 orders"
    expect(table.get_by_role("link")).to_have_text(one)


def test_filters_live_in_the_url_survive_a_reload_and_can_be_shared(page, server, browser):
    login(page, "manager")
    page.goto("/board")
    page.get_by_label("Status").select_option("delayed")
    page.get_by_label("Priority").select_option("high")
    expect(page).to_have_url(re.compile(r"/board\?status=delayed&priority=high$"))
    page.reload()
    expect(page.get_by_label("Status")).to_have_value("delayed")
    expect(page.get_by_label("Priority")).to_have_value("high")
    cards = page.locator("[data-testid=order-card]")
    expect(cards.first).to_be_visible()
    for label in cards.locator("[data-testid=card-priority]").all_inner_texts():
        assert label == "High"
    page.get_by_label("Search orders").fill("SO-")
    page.get_by_role("tab", name="Closed").click()
    expect(page).to_have_url(re.compile(r"q=SO-.*tab=closed"))
    shared = page.url
    other = browser.new_context(base_url=server.url)
    try:
        colleague = other.new_page()
        login(colleague, "operator")
        colleague.goto(shared)
        expect(colleague.get_by_label("Search orders")).to_have_value("SO-")
        expect(colleague.get_by_label("Status")).to_have_value("delayed")
        expect(colleague.get_by_role("tab", name="Closed")).to_have_attribute("aria-selected", "true")
    finally:
        other.close()


def test_a_reseller_filters_by_its_customer_and_by_status(page, server):
    with _db(server) as s:
        reseller_id = s.exec(select(User.reseller_id).where(User.username == "reseller")).one()
        cid, cname = s.exec(select(Customer.id, Customer.name).join(Order, Order.customer_id == Customer.id)
                            .where(Customer.reseller_id == reseller_id, Order.phase == "execution")
                            .order_by(Customer.id)).first()
        others = s.exec(select(Customer.name).where(Customer.reseller_id != reseller_id)).all()
    login(page, "reseller")
    page.goto("/board")
    customer = page.get_by_label("Customer")
    expect(customer.locator("option", has_text=cname)).to_have_count(1)
    options = customer.locator("option").all_inner_texts()
    assert cname in options and not set(others) & set(options), "only the reseller's own customers"
    customer.select_option(str(cid))
    page.get_by_label("Status").select_option("on_track")
    expect(page).to_have_url(re.compile(rf"customer={cid}&status=on_track"))
    cards = page.locator("[data-testid=order-card]")
    expect(cards.first).to_be_visible()
    texts = cards.all_inner_texts()
    assert all(cname in t and "On Track" in t for t in texts)
    expect(page.get_by_label("Owner")).to_have_count(0)  # staff filters stay staff's


def test_dropping_an_execution_card_on_canceled_closed_opens_the_cancel_dialog(page, server):
    with _db(server) as s:
        number = s.exec(select(Order.number).where(Order.phase == "execution").order_by(Order.number.desc())).first()
    login(page, "operator")
    page.goto("/board")
    page.get_by_label("Search orders").fill(number)
    expect(page.locator("[data-testid=order-card]")).to_have_count(1)
    _card(page, "execution", number).drag_to(page.locator("#column-done"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Canceled")
    expect(dialog).to_contain_text("cannot be undone")
    expect(page.get_by_text("There is no move")).to_have_count(0)
    dialog.get_by_label("Comment (required)").fill("Customer withdrew")
    dialog.get_by_role("button", name="Confirm").click()
    expect(_card(page, "done", number)).to_contain_text("Canceled")
    with _db(server) as s:
        assert s.exec(select(Order.phase).where(Order.number == number)).one() == "canceled"


@pytest.mark.parametrize("status", ["delayed", "approve_eti", "on_track", "validation"])
def test_every_open_card_shows_owner_priority_and_its_next_deadline(page, server, status):
    login(page, "manager")
    page.goto(f"/board?status={status}")
    cards = page.locator("#column-planning, #column-execution, #column-validation").locator(
        "[data-testid=order-card]")
    expect(cards.first).to_be_visible()
    n = cards.count()
    assert n > 0
    expect(cards.locator("[data-testid=card-deadline]")).to_have_count(n)
    expect(cards.locator("[data-testid=card-priority]")).to_have_count(n)
    owners = cards.locator("[data-testid=card-owner]").all_inner_texts()
    assert len(owners) == n and all(owners)


def test_the_board_stacks_its_columns_on_a_phone(browser, server):
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        login(page, "customer")
        page.goto("/board")
        planning, execution = page.locator("#column-planning"), page.locator("#column-execution")
        expect(execution).to_be_visible()
        a, b = planning.bounding_box(), execution.bounding_box()
        assert b["y"] > a["y"] + a["height"] - 1, "columns one under the other"
        assert a["width"] <= 390 and a["x"] >= 0
        expect(planning.get_by_test_id("column-count")).to_be_visible()
        for column in ("planning", "execution", "validation", "done"):  # the shell's header is not the board's
            box = page.locator(f"#column-{column}").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, column
        page.screenshot(path="test-artifacts/board-phone.png", full_page=False)
    finally:
        context.close()
