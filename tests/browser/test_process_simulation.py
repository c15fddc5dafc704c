"""The designer's dry-run in Chromium (administrator): simulate the seeded standard queue's
draft on its past orders and read the per-order table and the totals next to the active
version; nothing is written."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_designer_simulates_a_draft_on_past_orders(page):
    login(page, "admin")
    page.goto("/settings/processes")
    page.get_by_role("link", name="Standard provisioning").click()
    page.wait_for_url(re.compile(r"/settings/processes/\d+$"))
    section = page.locator("#simulation")
    expect(section).to_contain_text("Dry-run on past orders")
    expect(section.get_by_label("Past orders")).to_have_value("50")
    section.get_by_label("Past orders").fill("20")
    section.get_by_role("button", name="Simulate").click()

    totals = page.locator("#simulation-totals")
    expect(totals).to_be_visible(timeout=30_000)
    expect(totals).to_contain_text("Active version")
    expect(page.locator("[data-total='draft-orders']")).to_have_text("20")
    expect(page.locator("[data-total='active-orders']")).to_have_text("20")
    for key in ("completed", "timers", "notifications", "breaches"):
        expect(page.locator(f"[data-total='draft-{key}']")).to_have_text(re.compile(r"^\d+$"))
    rows = page.locator("#simulation-orders [data-order]")
    expect(rows).to_have_count(20)
    first = rows.first
    expect(first).to_contain_text(re.compile(r"SO-"))
    expect(first).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"))
    page.screenshot(path="/tmp/dryrun-simulation.png", full_page=True)

    section.get_by_label("Past orders").fill("3")
    section.get_by_role("button", name="Simulate").click()
    expect(rows).to_have_count(3)
    expect(page.locator("[data-total='draft-orders']")).to_have_text("3")


def test_a_new_draft_with_a_timed_task_predicts_its_timers(page):
    login(page, "admin")
    page.goto("/settings/processes")
    page.get_by_label("Process name").fill("Dry-run firewall queue")
    page.get_by_role("button", name="New Process").click()
    page.wait_for_url(re.compile(r"/settings/processes/\d+$"))
    page.get_by_label("New phase name").fill("Cool-off")
    page.get_by_role("button", name="Add New Phase").click()
    page.locator("[data-phase='Cool-off']").get_by_role("button", name="Add task").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Task name").fill("Wait for the customer")
    dialog.get_by_label("Task type").select_option("24 Hour Wait")
    dialog.get_by_role("button", name="Save task").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_label("Auto assign: user group").select_option("Billing")
    page.locator("#service-types").get_by_text("Managed firewall").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    section = page.locator("#simulation")
    section.get_by_label("Past orders").fill("5")
    section.get_by_role("button", name="Simulate").click()
    totals = page.locator("#simulation-totals")
    expect(totals).to_contain_text("No active version")
    orders = page.locator("[data-total='draft-orders']")
    expect(orders).to_have_text(re.compile(r"^[1-5]$"))
    n = int(orders.inner_text())
    expect(page.locator("[data-total='draft-timers']")).to_have_text(str(n))  # one 24-hour wait per order
    expect(page.locator("[data-total='active-orders']")).to_have_text("—")
    expect(page.locator("#simulation-orders [data-order]").first).to_contain_text(
        "Wait for the customer: the 24-hour wait completes it")
    page.screenshot(path="/tmp/dryrun-new-draft.png", full_page=True)
