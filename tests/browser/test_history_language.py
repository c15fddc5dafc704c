"""History notes written by the system are stored in English and read in the reader's language
(issue #13): a Russian-speaking operator reads the SLA clock's and a planning change's notes
in Russian on the order's History tab, an English-speaking one reads the same rows in English,
and what a person typed is shown as typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Order, StatusChange
from tests.browser.conftest import login, set_language

pytestmark = pytest.mark.browser

NOTES = [
    "SLA clock paused: in Customer Validation.",
    "Owner → Ann Lee; Priority normal → urgent",
    "Called the customer, will confirm tomorrow",
]


def _seed(server) -> str:
    """Three history rows at the top of a demo order's timeline (as the services write them)."""
    with Session(create_engine(server.db_url)) as s:
        order = s.exec(select(Order).where(Order.phase == "execution").order_by(Order.number)).first()
        at = datetime.now(UTC) + timedelta(minutes=5)
        for i, note in enumerate(NOTES):
            s.add(StatusChange(entity_kind="order", entity_id=order.id, from_version=900_000 + i,
                               from_state=order.phase, to_state=order.phase, actor_name="System",
                               at=at + timedelta(seconds=i), comment=note))
        s.commit()
        return order.number


def test_system_notes_read_in_each_readers_language(page, server):
    number = _seed(server)
    set_language(server, "support", "ru")
    try:
        login(page, "support")
        page.goto(f"/orders/{number}?tab=history")
        timeline = page.locator("#order-timeline")
        expect(timeline).to_contain_text("Часы SLA приостановлены: в фазе «Проверка клиентом».")
        expect(timeline).to_contain_text("Ответственный → Ann Lee; Приоритет обычный → срочный")
        expect(timeline).to_contain_text("Called the customer, will confirm tomorrow")  # typed by a person
        expect(timeline).not_to_contain_text("SLA clock paused")
        expect(timeline).not_to_contain_text("Order received.")
    finally:
        set_language(server, "support", None)
    page.context.clear_cookies()  # a new sign-in reads the saved language again (now none: the browser's English)
    login(page, "support")
    page.goto(f"/orders/{number}?tab=history")
    timeline = page.locator("#order-timeline")
    expect(timeline).to_contain_text("SLA clock paused: in Customer Validation.")
    expect(timeline).to_contain_text("Owner → Ann Lee; Priority normal → urgent")
