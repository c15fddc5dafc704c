"""The order page's SLA panel in Chromium: elapsed, paused and remaining time with the forecast;
when the server's clock passes the 50 % threshold the open page turns amber without reload, the
history shows the warning, and the warning was mailed exactly once to each recipient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, create_engine, select

from ordertrack.db.models import Order
from ordertrack.db.notify_models import OutboxMessage
from ordertrack.db.sla_models import OrderSla
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _server_now(server) -> datetime:
    offset = float(Path(server.env["ORDERTRACK_CLOCK_FILE"]).read_text() or 0)
    return datetime.now(UTC) + timedelta(hours=offset)


def _running_before_50(server) -> tuple[str, datetime]:
    """An open order whose running clock reaches 50 % soonest (at least 10 minutes ahead); when
    earlier clock jumps used them all up, a new one, as the order form makes it."""
    from ordertrack.db.models import Customer
    from ordertrack.services import intake
    from ordertrack.services.calendars import business_calendar

    now = _server_now(server)
    query = (select(Order.number, OrderSla.due_at).join(OrderSla, OrderSla.order_id == Order.id)
             .where(OrderSla.state == "running", OrderSla.next_threshold == 50,
                    col(OrderSla.due_at) > now + timedelta(minutes=10))
             .order_by(col(OrderSla.target_hours), col(OrderSla.due_at)))  # short clocks: jumps of hours, not weeks
    with Session(create_engine(server.db_url)) as s:
        row = s.exec(query).first()
        if row is None:
            customer = s.exec(select(Customer).order_by(Customer.id)).first()
            created = intake.create_order(s, customer_id=customer.id, name="SLA watch", service_type="license",
                                          items=[("license", "Seat")], now=now, calendar=business_calendar(),
                                          source="test")
            s.commit()
            row = s.exec(query.where(Order.id == created.id)).one()
    return row[0], row[1]


def test_the_sla_panel_shows_the_clock_and_the_forecast(page, server):
    number, _due = _running_before_50(server)
    login(page, "manager")
    page.goto(f"/orders/{number}")
    panel = page.locator("#sla-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#sla-state")).to_have_text("Running")
    expect(panel).to_have_attribute("data-colour", "green")
    for fact in ("#sla-target", "#sla-elapsed", "#sla-paused", "#sla-remaining"):
        expect(page.locator(fact)).to_contain_text("business hour")
    expect(page.locator("#sla-crossings")).to_contain_text("50 % due")
    expect(page.locator("#sla-outlook")).not_to_be_empty()
    page.screenshot(path="/tmp/ordertrack-order-sla.png", full_page=True)


def test_customers_see_no_sla_panel(page, server):
    from ordertrack.db.models import User

    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == "customer")).one()
        number = s.exec(select(Order.number).join(OrderSla, OrderSla.order_id == Order.id)
                        .where(Order.customer_id == user.customer_id, OrderSla.state != "stopped")).first()
    login(page, "customer")
    page.goto(f"/orders/{number}")
    expect(page.locator("#order-number")).to_have_text(number)
    expect(page.locator("#sla-panel")).to_have_count(0)


def _next_due(server, number: str) -> tuple[int | None, datetime | None]:
    with Session(create_engine(server.db_url)) as s:
        return s.exec(select(OrderSla.next_threshold, OrderSla.due_at).join(Order, Order.id == OrderSla.order_id)
                      .where(Order.number == number)).one()


@pytest.mark.clock_jump
def test_each_threshold_recolours_the_open_page_and_is_mailed_once(page, server):
    number, due = _running_before_50(server)
    login(page, "manager")
    page.goto(f"/orders/{number}")
    panel = page.locator("#sla-panel")
    expect(panel).to_have_attribute("data-colour", "green")

    for threshold, colour in ((50, "amber"), (75, "orange"), (100, "red")):
        nxt, due = _next_due(server, number)
        assert nxt == threshold, f"the clock waits for {threshold} %"
        server.advance_clock((due - _server_now(server)) / timedelta(hours=1) + 0.05)
        # pushed, no reload; a jump of weeks makes every other timer of the demo data due at once,
        # and the sweep works through that backlog before it reaches this warning
        expect(panel).to_have_attribute("data-colour", colour, timeout=45_000)
        expect(page.locator("#sla-crossings")).to_contain_text(f"{threshold} % reached")
        note = "SLA breached" if threshold == 100 else f"SLA {threshold} % reached"
        expect(page.locator("#order-history")).to_contain_text(note)

    with Session(create_engine(server.db_url)) as s:
        order_id = s.exec(select(Order.id).where(Order.number == number)).one()
        mails = s.exec(select(OutboxMessage.to_addr, OutboxMessage.subject).where(
            OutboxMessage.order_id == order_id, OutboxMessage.event == "sla_threshold")).all()
    for word in ("50 %", "75 %", "breached"):
        recipients = [to for to, subject in mails if word in subject]
        assert recipients and len(recipients) == len(set(recipients)), f"one {word} warning per recipient"
