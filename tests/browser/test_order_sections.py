"""The order page is built from sections with their own states: a change made in one section
shows at once in every other section that displays it, without reloading the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Order, User
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _order(server) -> str:
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == "customer2")).one()
        return s.exec(select(Order.number).where(Order.customer_id == user.customer_id, Order.phase == "planning")
                      .order_by(Order.number)).first()


def test_a_comment_that_assigns_the_order_shows_the_new_owner_in_dates_and_ownership(page, server):
    number = _order(server)
    login(page, "support")
    page.goto(f"/orders/{number}")
    owner = page.get_by_text("Owner", exact=True).locator("xpath=following-sibling::*[1]")
    expect(owner).not_to_be_empty()
    before = owner.inner_text()

    page.get_by_role("tab", name="Messages", exact=True).click()
    page.get_by_role("button", name="Add a Comment").click()
    dialog = page.get_by_role("dialog")
    assign = dialog.get_by_label("Comment and assign order to")
    names = [n.strip() for n in assign.locator("option").all_inner_texts()]
    new_owner = next(n for n in names if n not in (before, "— keep the owner —"))
    assign.select_option(label=new_owner)
    dialog.get_by_label("Body").fill("Handing this order over")
    dialog.get_by_role("button", name="Add Comment").click()

    expect(page.locator("[data-message='Handing this order over']")).to_be_visible()
    page.get_by_role("tab", name="Overview", exact=True).click()
    expect(owner).to_have_text(new_owner)  # the planning section, refreshed by the messages section's change
    page.get_by_role("tab", name="History", exact=True).click()
    expect(page.locator("#order-timeline").get_by_role("row").first).to_contain_text(f"Owner → {new_owner}")
