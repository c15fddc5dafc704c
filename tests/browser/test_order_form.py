"""The online order form in Chromium: multi-step, resumable from its link, submitted orders
land in the queue of their service type; tampered links are refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_web_order_resumes_from_its_link_and_lands_in_its_queue(browser, server):
    first = browser.new_context(base_url=server.url)
    later = browser.new_context(base_url=server.url)
    staff = browser.new_context(base_url=server.url)
    try:
        page = first.new_page()
        page.goto("/order-form")
        page.get_by_label("Service").select_option("voice")
        page.get_by_label("Quantity").fill("3")
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Company").fill("Zephyr Studios")
        page.get_by_label("E-mail").fill("ops@zephyr.example")
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Zephyr Studios")).to_be_visible()
        link = page.locator("#of-resume").inner_text()
        assert "resume=" in link

        resumed = later.new_page()
        resumed.goto(link.replace("http://localhost:3000", server.url))
        expect(resumed.get_by_text("ops@zephyr.example")).to_be_visible()
        resumed.get_by_role("button", name="Place order").click()
        expect(resumed.locator("#of-done")).to_contain_text("has been received")
        number = re.search(r"SO-\d+", resumed.locator("#of-done").inner_text()).group(0)

        spage = staff.new_page()
        login(spage, "operator")
        spage.goto("/manager")
        panel = spage.locator("#om-panel")
        panel.get_by_role("button", name=re.compile("^New Voice Service")).click()
        panel.locator("[data-step='Customer Confirmation']").click()
        expect(spage.locator("#om-orders").get_by_role("link", name=number)).to_be_visible()
    finally:
        first.close()
        later.close()
        staff.close()


def test_tampered_link_is_refused(page):
    page.goto("/order-form?resume=1.9999999999.deadbeefdeadbeefdeadbeefdeadbeef")
    expect(page.locator("#of-error")).to_have_text("This link is invalid or has expired.")
    page.goto("/order-form")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#of-error")).to_have_text("Choose a service.")


def test_staff_sends_an_order_link_for_an_unfinished_order(browser, server):
    from sqlmodel import Session, create_engine, select

    from ordertrack.db.notify_models import OutboxMessage

    visitor = browser.new_context(base_url=server.url)
    staff = browser.new_context(base_url=server.url)
    try:
        page = visitor.new_page()
        page.goto("/order-form")
        page.get_by_label("Service").select_option("hosting")
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Company").fill("Halfway Ltd")
        page.get_by_label("E-mail").fill("buyer@halfway.example")
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("button", name="Place order")).to_be_visible()

        spage = staff.new_page()
        login(spage, "support")
        spage.goto("/manager")
        spage.locator("tr[data-draft='Halfway Ltd']").get_by_role("button", name="Send Order Links").click()
        spage.get_by_role("dialog").get_by_role("button", name="Send Mail").click()
        expect(spage.get_by_text("Order link sent to buyer@halfway.example.")).to_be_visible()
        with Session(create_engine(server.db_url)) as s:
            mail = s.exec(select(OutboxMessage).where(OutboxMessage.to_addr == "buyer@halfway.example")).one()
        link = re.search(r"http\S+resume=\S+", mail.body).group(0)
        resumed = visitor.new_page()
        resumed.goto(link.replace("http://localhost:3000", server.url))
        expect(resumed.get_by_text("Halfway Ltd")).to_be_visible()
    finally:
        visitor.close()
        staff.close()


def _drafts(server) -> int:
    from sqlmodel import Session, create_engine, func, select

    from ordertrack.db.intake_models import DraftOrder

    with Session(create_engine(server.db_url)) as s:
        return s.exec(select(func.count()).select_from(DraftOrder)).one()


@pytest.mark.clock_jump  # uses up this address's hourly budget, then moves the clock an hour on
def test_too_many_new_orders_from_one_address_are_refused_until_the_hour_passes(page, server):
    from ordertrack.pages.order_form import OrderFormState
    from tests.wsclient import ReflexSocket

    limit = int(server.env["ORDERTRACK_ORDER_FORM_PER_HOUR"])
    step1 = {"form_data": {"service_type": "voice", "quantity": "1", "requested": "", "notes": ""}}
    for _ in range(limit + 1):  # a script opening fresh sessions, one draft each
        sock = ReflexSocket(server.url)
        try:
            updates = sock.emit(f"{OrderFormState.get_full_name()}.save_service", step1, path="/order-form")
        finally:
            sock.close()
        if "Too many new orders" in str(updates):
            break
    else:
        pytest.fail("the order form never refused a new draft")
    before = _drafts(server)

    page.goto("/order-form")
    page.get_by_label("Service").select_option("voice")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Too many new orders from your network")).to_be_visible()
    expect(page.get_by_label("Company")).to_have_count(0)  # still on step 1
    assert _drafts(server) == before, "a refused visitor must not create a draft"

    server.advance_clock(1.01)
    for _ in range(10):  # until the server has read the moved clock (the file is re-read on change)
        page.get_by_role("button", name="Next").click()
        if page.get_by_label("Company").count():
            break
        page.wait_for_timeout(1000)
    expect(page.get_by_label("Company")).to_be_visible()
    assert _drafts(server) == before + 1
