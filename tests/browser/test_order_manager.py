"""The Order Manager in Chromium: queues and statuses with counts, a step lists its orders."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_operator_browses_queues_and_statuses(page):
    login(page, "operator")
    page.goto("/manager")
    panel = page.locator("#om-panel")
    panel.get_by_role("button", name=re.compile("^Standard provisioning")).click()
    step = panel.locator("[data-step='Order Review']")
    count = int(step.inner_text().split()[-1])
    assert count > 0
    step.click()
    expect(page.locator("#om-title")).to_have_text(f"Standard provisioning › Order Review · {count} orders")
    expect(page.locator("#om-orders").get_by_role("link")).to_have_count(min(count, 50))  # a page of 50

    panel.get_by_role("radio", name="View by Order Status").click()
    panel.get_by_role("button", name=re.compile("^Execution")).click()
    panel.locator("[data-step='Approve ETI']").click()
    expect(page.locator("#om-title")).to_contain_text("Execution › Approve ETI")
    first = page.locator("#om-orders").get_by_role("link").first
    number = first.inner_text()
    first.click()
    expect(page.locator("#order-number")).to_have_text(number)
    expect(page.get_by_text("Approve ETI").first).to_be_visible()


def test_panel_toggles_and_pins(page):
    login(page, "support")
    page.goto("/manager")
    expect(page.locator("#om-panel")).to_be_visible()
    # The page's load (which re-opens a pinned panel) has run once the panel lists its queues.
    expect(page.locator("#om-panel").get_by_role("heading", level=3).first).to_be_visible()
    page.get_by_role("button", name="Toggle the order queue panel").click()
    expect(page.locator("#om-panel")).to_have_count(0)
    page.get_by_role("button", name="Toggle the order queue panel").click()
    expect(page.locator("#om-panel")).to_be_visible()


def test_customers_cannot_use_the_order_manager(page):
    login(page, "customer")
    page.goto("/manager")
    expect(page.locator("#page-refused")).to_contain_text("You don't have access to this page.")
    expect(page.locator("#om-panel")).to_have_count(0)


def test_every_active_order_stands_in_a_queue_and_counts_equal_the_lists(page, server):
    import time

    from sqlmodel import Session, create_engine, select

    from ordertrack.db.models import Order
    from ordertrack.services import process_queue

    engine = create_engine(server.db_url)
    for _ in range(60):  # the scheduler adopts the demo's orders that had no queue, a batch a second
        with Session(engine) as s:
            if not process_queue.disagreements(s):
                break
        time.sleep(1)
    with Session(engine) as s:
        assert process_queue.disagreements(s) == []
        active = len(s.exec(select(Order.id).where(Order.phase.in_(("planning", "execution", "validation")))).all())
    login(page, "manager")
    page.goto("/manager")
    panel = page.locator("#om-panel")
    expect(panel.get_by_role("button", name=re.compile("^Standard provisioning"))).to_be_visible()
    totals = [int(t) for t in panel.locator(".rt-Badge").all_inner_texts() if t.strip().isdigit()]
    assert sum(totals) == active, "every active order is counted in exactly one queue"
    panel.get_by_role("button", name=re.compile("^Standard provisioning")).click()
    step = panel.locator("[data-step='Provisioning']")
    count = int(step.inner_text().split()[-1])
    assert count > 0, "Execution orders stand in the Provisioning step"
    step.click()
    expect(page.locator("#om-title")).to_contain_text(f"Standard provisioning › Provisioning · {count} order")
    expect(page.locator("#om-orders").get_by_role("link")).to_have_count(min(count, 50))
