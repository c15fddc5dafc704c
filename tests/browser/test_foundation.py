"""Foundation journeys in Chromium against the production build."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Customer, Order, User
from ordertrack.services.demo import demo_accounts
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

ROLE_LABELS = {
    "customer": "Customer", "customer2": "Customer", "reseller": "Reseller", "reseller2": "Reseller",
    "partner": "Partner", "support": "Support", "operator": "Operator", "installer": "Installer",
    "techsupport": "Tech support", "moderator": "Server moderator", "manager": "Manager", "admin": "Administrator",
}


def _orders_of(server, username: str, *, own: bool, phase: str | None = None) -> list[str]:
    engine = create_engine(server.db_url)
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        q = select(Order.number).join(Customer, Customer.id == Order.customer_id)
        q = q.where(Order.customer_id == user.customer_id) if own else q.where(Order.customer_id != user.customer_id)
        if phase:
            q = q.where(Order.phase == phase)
        return list(s.exec(q.order_by(Order.number)))


@pytest.mark.parametrize("username", [u for u, _, _ in demo_accounts()])
def test_each_demo_role_lands_on_its_home(page, username):
    login(page, username)
    expect(page.locator("#signed-in-as")).to_contain_text(f"Signed in as {ROLE_LABELS[username]}")
    expect(page.locator("#shell-role")).to_have_text(ROLE_LABELS[username])


def test_wrong_password_shows_one_generic_error(page):
    page.goto("/login")
    page.get_by_label("Username").fill("customer")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    assert urlsplit(page.url).path.rstrip("/").endswith("/login")
    expect(page.locator("#shell-user")).to_have_count(0)


def test_signed_out_visitor_is_sent_to_login(page):
    page.goto("/orders")
    page.wait_for_url(re.compile(r"/login$"))


def test_customer_cannot_open_another_tenants_order(page, server):
    other = _orders_of(server, "customer", own=False)[0]
    login(page, "customer")
    page.goto(f"/orders/{other}")
    expect(page.locator("#order-missing")).to_have_text("Order not found.")
    expect(page.get_by_text(other)).to_have_count(0)


def test_customer_sees_own_orders_only(page, server):
    own = _orders_of(server, "customer", own=True)
    login(page, "customer")
    page.goto("/orders")
    expect(page.locator("#orders-total")).to_have_text(f"{len(own)} orders")
    first = page.get_by_role("link", name=re.compile(r"^SO-")).first
    assert first.inner_text() in own
    first.click()
    expect(page.locator("#order-number")).to_have_text(re.compile(r"^SO-"))
    expect(page.locator("#order-history").get_by_role("row").first).to_be_visible()


def test_operator_moves_an_order_and_history_records_it(page, server):
    number = _orders_of(server, "customer2", own=True, phase="planning")[0]
    login(page, "operator")
    page.goto(f"/orders/{number}?tab=provisioning")
    page.get_by_role("button", name="Move to Execution").click()
    page.get_by_label("Comment (optional)").fill("Kick-off done")
    page.get_by_role("button", name="Confirm").click()
    # one truth (#18.1): the order's queue decides; the refusal says why and how to go on
    expect(page.get_by_text(re.compile("has not reached Execution"))).to_be_visible()
    page.locator("#skip-remaining").click()
    page.locator("#confirm-skip").click()
    page.get_by_role("tab", name="Overview", exact=True).click()
    history = page.locator("#order-history")
    expect(history.get_by_role("row").first).to_contain_text("Execution")
    expect(history.get_by_role("row").first).to_contain_text("Olivia Operator")
    expect(page.get_by_text("Execution", exact=True).first).to_be_visible()


def test_cancel_asks_for_a_comment_and_warns(page, server):
    number = _orders_of(server, "customer2", own=True, phase="planning")[-1]
    login(page, "operator")
    page.goto(f"/orders/{number}")
    page.get_by_role("button", name="Move to Canceled").click()
    expect(page.get_by_text("This cannot be undone")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("A comment is required for this change.")).to_be_visible()


def test_staff_edits_dates_ownership_and_name_in_place(page, server):
    number = _orders_of(server, "customer2", own=True, phase="execution")[-1]
    login(page, "support")
    page.goto(f"/orders/{number}")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Order name").fill("Renamed by support")
    page.get_by_label("Planned completion").fill("2020-01-31")
    page.get_by_label("Priority").select_option("urgent")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Renamed by support").first).to_be_visible()
    expect(page.locator("[data-status='delayed']").first).to_be_visible()
    first = page.locator("#order-history").get_by_role("row").first
    expect(first).to_contain_text("Planned completion")
    expect(first).to_contain_text("Name “")


def test_staff_add_and_remove_items_with_history(page, server):
    number = _orders_of(server, "customer2", own=True, phase="execution")[0]
    login(page, "operator")
    page.goto(f"/orders/{number}")
    page.get_by_label("Item name").fill("Static IP block /29")
    page.get_by_role("button", name="Add item").click()
    items = page.locator("#order-items")
    expect(items).to_contain_text("Static IP block /29")
    expect(page.locator("#order-history").get_by_role("row").first).to_contain_text("Item added: Static IP block /29")
    page.get_by_role("button", name="Remove item Static IP block /29").click()
    expect(items).not_to_contain_text("Static IP block /29")
    expect(page.locator("#order-history").get_by_role("row").first).to_contain_text("Item removed")
