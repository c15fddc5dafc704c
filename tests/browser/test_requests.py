"""Service requests in Chromium: a customer files one; support runs the Request process on it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_customer_files_a_request_and_support_works_it(browser, server):
    cust = browser.new_context(base_url=server.url)
    staff = browser.new_context(base_url=server.url)
    try:
        cpage = cust.new_page()
        login(cpage, "customer")
        cpage.goto("/requests")
        cpage.get_by_label("Request subject").fill("Move our rack")
        cpage.get_by_label("Request description").fill("To the second floor next month.")
        cpage.get_by_role("button", name="File request").click()
        expect(cpage.locator("[data-request='Move our rack']")).to_be_visible()
        spage = staff.new_page()
        login(spage, "support")
        spage.goto("/requests")
        card = spage.locator("[data-request='Move our rack']")
        card.get_by_role("button", name="Start process").click()
        expect(card).to_contain_text("Service request: running")
        card.locator("[data-task='Assess the request']").get_by_role("button", name="Process").click()
        expect(card.locator("[data-task='Deliver and confirm']")).to_contain_text("open")
    finally:
        cust.close()
        staff.close()
