"""The failure queue at 1280 px (issue #18.8): nothing clipped (every Resolve button on screen),
order numbers on one line, due times shown beside the countdown, Claim gone once claimed, and
the retry toast naming the same moment as the row."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_the_queue_fits_1280_and_says_due_and_retry_times(page, server):
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, "support")
    page.goto("/failures")
    rows = page.locator("#failure-queue tbody tr")
    expect(rows.first).to_be_visible()
    page.screenshot(path=str(server.log.parent / "failures-1280.png"), full_page=True)
    layout = page.evaluate("""() => [...document.querySelectorAll('#failure-queue tbody tr')].map(tr => {
        const resolve = [...tr.querySelectorAll('button')].find(b => b.textContent.trim() === 'Resolve');
        const link = tr.querySelector('a');
        return {right: resolve.getBoundingClientRect().right, lines: link.getClientRects().length,
                height: link.getBoundingClientRect().height};
    })""")
    assert all(r["right"] <= 1280 for r in layout), layout
    assert all(r["lines"] == 1 and r["height"] < 30 for r in layout), layout  # "SO-20260133" never wraps
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    first = rows.first
    expect(first).to_contain_text(re.compile(r"due (\d{1,2}:\d{2}|\d{2}/\d{2}/\d{4})"))

    first.get_by_role("button", name="Claim").click()
    expect(first).to_contain_text("Claimed by")
    expect(first.get_by_role("button", name="Claim")).to_have_count(0)

    first.get_by_role("button", name="Retry provisioning").click()
    toast = page.get_by_text(re.compile(r"Retry requested; the next one is possible at (.+)\."))
    expect(toast).to_be_visible()
    at = re.search(r"possible at (.+)\.", toast.inner_text()).group(1)
    expect(first).to_contain_text(f"Next retry possible at {at}")
