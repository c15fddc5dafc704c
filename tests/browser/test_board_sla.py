"""Issue 14.3, the board's part, in Chromium: the SLA filter ("At risk", "Breached") in the filter
bar and the URL, and cards coloured by their SLA level."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import exists
from sqlmodel import Session, col, create_engine, func, select

from ordertrack.db.models import Order
from ordertrack.db.sla_models import OrderSla, SlaWarning
from tests.browser.conftest import login

pytestmark = pytest.mark.browser
OPEN = ("planning", "execution", "validation")


def _server_now(server) -> datetime:
    offset = float(Path(server.env["ORDERTRACK_CLOCK_FILE"]).read_text() or 0)
    return datetime.now(UTC) + timedelta(hours=offset)


def _warned(server, *, breached: bool) -> str:
    """An open order of the demo data that the server's sweep warned as breached (or at 50 %
    and not due to breach within the next half hour); the first sweep runs soon after start."""
    engine = create_engine(server.db_url)
    top = select(func.max(SlaWarning.threshold)).where(SlaWarning.order_id == Order.id).scalar_subquery()
    query = select(Order.number).join(OrderSla, OrderSla.order_id == Order.id).where(
        col(Order.phase).in_(OPEN), exists().where(SlaWarning.order_id == Order.id))
    if breached:
        query = query.where(top >= 100)
    else:
        query = query.where(top < 100, OrderSla.state == "running", OrderSla.next_threshold == 100,
                            col(OrderSla.due_at) > _server_now(server) + timedelta(minutes=30))
    for _ in range(90):
        with Session(engine) as s:
            number = s.exec(query.order_by(Order.number)).first()
        if number:
            return number
        time.sleep(1)
    pytest.skip("the demo data has no such order")


def test_staff_filter_the_board_to_breached_and_at_risk_orders_and_cards_show_the_level(page, server):
    breached, at_risk = _warned(server, breached=True), _warned(server, breached=False)
    login(page, "manager")
    page.goto(f"/board?sla=breached&q={breached}")
    expect(page.get_by_label("SLA")).to_have_value("breached")
    card = page.locator(f"[data-testid=order-card][data-number='{breached}']")
    expect(card).to_be_visible()
    expect(card.locator("[data-sla]")).to_have_attribute("data-sla", "breached")
    page.get_by_label("Search orders").fill(at_risk)
    expect(page.locator("[data-testid=order-card]")).to_have_count(0)  # at risk, not breached
    page.get_by_label("SLA").select_option("at_risk")
    expect(page).to_have_url(re.compile(rf"/board\?q={at_risk}&sla=at_risk$"))
    card = page.locator(f"[data-testid=order-card][data-number='{at_risk}']")
    expect(card).to_be_visible()
    expect(card.locator("[data-sla]")).to_have_attribute("data-sla", "warning")
    page.screenshot(path="/tmp/board2-sla.png")
    page.reload()
    expect(page.get_by_label("SLA")).to_have_value("at_risk")
    expect(card).to_be_visible()
