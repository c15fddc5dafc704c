"""Issue 15.1 in Chromium: "As of" a moment before a move shows the card where it stood then,
read-only; "Changes since" marks it as moved and counts it in its column; back to now."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Order, User
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.services import accounts, order_moves
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_as_of_before_a_move_with_changes_since(page, server):
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    engine = create_engine(server.db_url)
    with Session(engine) as s:
        # one in Execution since before the moment (an earlier test may have moved one there in
        # this very minute, after the moment, which is the start of the minute)
        order = s.exec(select(Order).where(Order.phase == "execution", Order.phase_since < before)
                       .order_by(Order.number)).first()
        number = order.number
        operator = accounts.principal_of(s.exec(select(User).where(User.username == "operator")).one())
        order_moves.move_order(s, principal=operator, order_id=order.id, target="planning", expected_version=order.version,
                               now=datetime.now(UTC), calendar=BusinessCalendar(tz="Europe/London"),
                               comment="Re-planning after the carrier's delay")
        s.commit()
    login(page, "manager")
    page.goto("/board")
    page.get_by_label("Search orders").fill(number)
    expect(page.locator(f"#column-planning [data-number='{number}']")).to_be_visible()  # today

    page.locator("#board-asof").fill(before.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M"))
    banner = page.locator("#asof-banner")
    expect(banner).to_contain_text("Read-only")
    card = page.locator(f"#column-execution [data-number='{number}']")
    expect(card).to_be_visible()  # where it stood then
    expect(page.locator(f"#column-planning [data-number='{number}']")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"asof="))
    assert card.get_attribute("draggable") in (None, "false")
    expect(page.get_by_role("button", name="Select for bulk move")).to_have_count(0)

    page.get_by_label("Changes since").click()
    expect(page.get_by_label("Changes since")).to_be_checked()
    expect(card.get_by_test_id("card-change")).to_have_text("now in Planning and Provisioning")
    expect(page.locator("#column-execution [data-testid=column-changes]")).to_contain_text("1 moved")
    expect(page).to_have_url(re.compile(r"changes=1"))
    page.screenshot(path="test-artifacts/board-asof.png", full_page=False)

    page.reload()  # the moment and the comparison are in the URL
    expect(page.locator("#asof-banner")).to_be_visible()
    expect(page.locator(f"#column-execution [data-number='{number}'] [data-testid=card-change]")).to_be_visible()

    page.get_by_role("button", name="Back to now").click()
    expect(page.locator("#asof-banner")).to_have_count(0)
    expect(page.locator(f"#column-planning [data-number='{number}']")).to_be_visible()
