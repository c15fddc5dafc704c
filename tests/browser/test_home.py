"""The home page per role (issue #18.9): each role sees its own figures, each a link to the
list behind it (a customer: approvals, failures, phases; an operator: queue steps and overdue
tasks; a manager: SLA breaches and failures)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_a_customer_sees_approvals_failures_and_phases(page, server):
    login(page, "customer")
    page.goto("/")
    for section in ("#home-awaiting", "#home-failed", "#home-phases"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator("#home-queue, #home-overdue, #home-breaches")).to_have_count(0)
    expect(page.locator("#home-phases a")).to_have_count(5)
    page.screenshot(path=str(server.log.parent / "home-customer.png"), full_page=True)
    figure = page.locator("#home-phase-validation")
    count = int(figure.locator("span, p").first.inner_text())
    figure.click()
    page.wait_for_url(re.compile(r"/orders\?phase=validation"))
    expect(page.locator("#orders-total")).to_have_text(re.compile(rf"^{count} order"))
    page.goto("/")
    failed = page.locator("#home-failed")
    if failed.locator("li").count():
        failed.locator("#home-failed-all").click()
        page.wait_for_url(re.compile(r"/orders\?failed=1"))
        expect(page.locator("#orders-only")).to_be_visible()
        expect(page.locator("tbody tr").first).to_be_visible()


def test_an_operator_sees_queue_steps_and_overdue_tasks(page, server):
    login(page, "operator")
    page.goto("/")
    expect(page.locator("#home-queue")).to_be_visible()
    expect(page.locator("#home-overdue")).to_be_visible()
    expect(page.locator("#home-awaiting, #home-breaches, #home-phases")).to_have_count(0)
    page.screenshot(path=str(server.log.parent / "home-operator.png"), full_page=True)
    page.locator("#home-queue").get_by_role("link", name="Open the Order Manager").click()
    page.wait_for_url("**/manager")


def test_a_manager_sees_breaches_and_failures(page, server):
    login(page, "manager")
    page.goto("/")
    expect(page.locator("#home-breaches")).to_be_visible()
    expect(page.locator("#home-failed")).to_be_visible()
    expect(page.locator("#home-queue, #home-awaiting")).to_have_count(0)
    page.screenshot(path=str(server.log.parent / "home-manager.png"), full_page=True)
    breaches = page.locator("#home-breaches")
    if breaches.locator("li").count():
        breaches.locator("#home-breaches-all").click()
        page.wait_for_url(re.compile(r"/orders\?breached=1"))
        expect(page.locator("#orders-only")).to_be_visible()
