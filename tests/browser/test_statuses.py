"""Seed 04 in Chromium: a partner changes a client's status with a comment; a customer sets
Active on a blinking Verified object; the managers' wall recolours live; Decommissioned warns."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import User
from ordertrack.db.object_models import InstalledObject
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_partner_changes_a_client_status_and_history_shows_it(page):
    login(page, "partner")
    page.goto("/clients")
    row = page.locator("#status-list tr[data-name='Acme Logistics']")
    row.get_by_role("button").click()
    window = page.get_by_role("dialog")
    expect(window.locator("#sw-current")).to_be_visible()
    current = window.locator("#sw-current").inner_text()
    submit = window.get_by_role("button", name="Change status to", exact=False).last
    submit.click()
    expect(window.get_by_text("A comment is required.")).to_be_visible()
    window.get_by_label("Comment").fill("Signed the pilot agreement")
    label = submit.inner_text().removeprefix("Change status to ")
    submit.click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    row.get_by_role("button").click()
    expect(page.get_by_role("dialog").locator("#sw-current")).to_have_text(label)
    expect(page.locator("#sw-history").get_by_role("row").nth(1)).to_contain_text("Signed the pilot agreement")
    assert current != label


def test_customer_activates_a_blinking_verified_object(page, server):
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == "customer")).one()
        name = s.exec(select(InstalledObject.name).where(InstalledObject.customer_id == user.customer_id,
                                                         InstalledObject.status == "verified")).first()
    login(page, "customer")
    page.goto("/objects")
    button = page.locator(f"#status-list tr[data-name='{name}']").get_by_role("button")
    expect(button).to_have_attribute("class", re.compile("ot-blink"))
    button.click()
    window = page.get_by_role("dialog")
    window.get_by_label("Next status").select_option("active")
    window.get_by_role("button", name="Change status to Active").click()
    expect(page.locator(f"#status-list tr[data-name='{name}']").get_by_role("button")).to_contain_text("Active")


def test_wall_recolours_live_when_someone_changes_an_object(browser, server):
    with Session(create_engine(server.db_url)) as s:
        name = s.exec(select(InstalledObject.name).where(InstalledObject.status == "diagnostics")
                      .order_by(InstalledObject.id)).first()
    wall = browser.new_context(base_url=server.url)
    tech = browser.new_context(base_url=server.url)
    try:
        wpage = wall.new_page()
        login(wpage, "manager")
        wpage.goto("/wall")
        tile = wpage.locator(f"#wall [data-name='{name}']")
        expect(tile).to_have_attribute("data-colour", "blue")
        tpage = tech.new_page()
        login(tpage, "techsupport")
        tpage.goto("/objects")
        tpage.locator(f"#status-list tr[data-name='{name}']").get_by_role("button").click()
        window = tpage.get_by_role("dialog")
        window.get_by_label("Next status").select_option("verified")
        window.get_by_role("button", name="Change status to Verified").click()
        expect(tpage.get_by_role("dialog")).to_have_count(0)
        expect(tile).to_contain_text("Verified", timeout=3000)
    finally:
        wall.close()
        tech.close()


def test_decommission_warns_that_it_is_permanent(page, server):
    with Session(create_engine(server.db_url)) as s:
        name = s.exec(select(InstalledObject.name).where(InstalledObject.status == "new")
                      .order_by(InstalledObject.id)).first()
    login(page, "moderator")
    page.goto("/objects")
    page.locator(f"#status-list tr[data-name='{name}']").get_by_role("button").click()
    window = page.get_by_role("dialog")
    window.get_by_label("Next status").select_option("decommissioned")
    expect(window.get_by_text("Decommissioned is permanent")).to_be_visible()


def test_manager_cannot_change_client_statuses(page):
    login(page, "manager")
    page.goto("/clients")
    page.locator("#status-list tr").nth(1).get_by_role("button").click()
    expect(page.get_by_role("dialog").get_by_text("You may not change this status now.")).to_be_visible()
