"""SLA targets in Chromium: an administrator changes a target and the thresholds; the page says
that a target applies to new orders; other staff read the settings without inputs."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.sla_models import SlaPolicy, SlaTarget
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_admin_sets_a_target_and_the_thresholds(page, server):
    login(page, "admin")
    page.goto("/settings/sla")
    expect(page.locator("#sla-note")).to_contain_text("applies to new orders")
    expect(page.locator("#sla-calendar")).to_contain_text("Business hours")
    cell = page.get_by_label("Target in business hours for Business fibre, High priority")
    cell.fill("120")
    page.get_by_role("button", name="Save targets").click()
    expect(page.get_by_text("Targets saved. They apply to orders created from now on.")).to_be_visible()
    thresholds = page.get_by_label("Warning thresholds (% of the target)")
    thresholds.fill("50, 80, abc")
    page.get_by_role("button", name="Save thresholds and pauses").click()
    expect(page.get_by_text("Thresholds are whole percentages", exact=False)).to_be_visible()
    thresholds.fill("50, 80, 100")
    page.get_by_role("button", name="Save thresholds and pauses").click()
    expect(page.get_by_text("Thresholds and pause rules saved.")).to_be_visible()
    with Session(create_engine(server.db_url)) as s:
        assert s.exec(select(SlaTarget.target_hours).where(SlaTarget.service_type == "network",
                                                           SlaTarget.priority == "high")).one() == 120.0
        assert s.exec(select(SlaPolicy.thresholds)).one() == "50,80,100"
    page.screenshot(path="/tmp/ordertrack-sla-settings.png", full_page=True)
    thresholds.fill("50, 75, 100")  # back to the defaults the clock tests expect
    page.get_by_role("button", name="Save thresholds and pauses").click()
    for _ in range(50):  # the same "saved" message is already on screen: wait for the row
        with Session(create_engine(server.db_url)) as s:
            if s.exec(select(SlaPolicy.thresholds)).one() == "50,75,100":
                break
        time.sleep(0.1)
    else:
        raise AssertionError("the default thresholds were not saved back")


def test_a_manager_reads_the_targets_but_cannot_change_them(page):
    login(page, "manager")
    page.goto("/settings/sla")
    expect(page.locator("#sla-targets")).to_contain_text("Business fibre")
    expect(page.get_by_role("button", name="Save targets")).to_have_count(0)
    expect(page.get_by_text("Only administrators change these settings.")).to_be_visible()


def test_the_sla_pages_read_in_russian(browser, server):
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900},
                                  locale="ru-RU", extra_http_headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    context.add_cookies([{"name": "ot_lang", "value": "ru", "url": server.url}])
    page = context.new_page()
    try:
        login(page, "admin")
        page.goto("/settings/sla")
        expect(page.get_by_role("heading", name="Целевые сроки SLA")).to_be_visible()
        expect(page.locator("#sla-note")).to_contain_text("действует для новых заказов")
        expect(page.locator("#sla-targets")).to_contain_text("Оптика для бизнеса")
        page.screenshot(path="/tmp/ordertrack-sla-settings-ru.png", full_page=True)
        page.goto("/sla")
        expect(page.get_by_role("heading", name="Заказы под угрозой сейчас")).to_be_visible(timeout=30_000)
        page.goto("/settings/notifications")
        expect(page.get_by_role("heading", name="Шаблоны писем")).to_be_visible()
        page.screenshot(path="/tmp/ordertrack-notify-settings-ru.png", full_page=True)
    finally:
        context.close()
