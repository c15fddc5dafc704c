"""Keyboard and screen readers on my pages (issue #13.7): a dialog opened from the keyboard
holds the focus while open and gives it back to the button that opened it; live regions are
polite."""

from __future__ import annotations

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
