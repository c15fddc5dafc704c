"""The managers' SLA page in Chromium: charts, filters, orders at risk; a reseller sees only its
own customers' orders; when the server's clock passes an order's 50 % threshold the open page
counts the new warning and lists the order at risk without reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, create_engine, select

from ordertrack.db.models import Customer, Order, User
from ordertrack.db.sla_models import OrderSla
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _server_now(server) -> datetime:
    offset = float(Path(server.env["ORDERTRACK_CLOCK_FILE"]).read_text() or 0)
    return datetime.now(UTC) + timedelta(hours=offset)


def test_a_manager_sees_the_charts_and_filters_them(page, server):
    login(page, "manager")
    page.goto("/sla")
    expect(page.locator("#sla-at-risk")).to_be_visible(timeout=30_000)  # the first report of a day is the slowest
    for chart in ("#sla-chart-weeks", "#sla-chart-phases", "#sla-chart-accuracy"):
        expect(page.locator(chart).locator(".recharts-surface").first).to_be_visible()
    expect(page.locator("#sla-at-risk")).to_be_visible()
    before = page.locator("#sla-open").inner_text()
    page.get_by_label("Service type").select_option("license")
    expect(page.locator("#sla-open")).not_to_have_text(before)
    page.get_by_label("Period").select_option("52w")
    expect(page.locator("#sla-chart-weeks .recharts-bar-rectangle").first).to_be_attached()
    page.screenshot(path="/tmp/ordertrack-sla-report.png", full_page=True)


def test_a_reseller_sees_only_its_own_customers_orders(page, server):
    with Session(create_engine(server.db_url)) as s:
        reseller_id = s.exec(select(User.reseller_id).where(User.username == "reseller")).one()
        theirs = set(s.exec(select(Order.number).join(Customer, Customer.id == Order.customer_id)
                            .where(Customer.reseller_id == reseller_id)).all())
    login(page, "reseller")
    page.goto("/sla")
    expect(page.locator("#sla-at-risk")).to_be_visible()
    shown = page.locator("#sla-at-risk [data-order]").evaluate_all("rows => rows.map(r => r.dataset.order)")
    assert shown and set(shown) <= theirs


def _order_before_50(server) -> tuple[str, str, int | None, datetime]:
    """An open order whose running clock reaches 50 % soonest: (number, service type, reseller id,
    when). When earlier clock jumps used them all up, a new one, as the order form makes it."""
    from ordertrack.services import intake
    from ordertrack.services.calendars import business_calendar

    now = _server_now(server)
    query = (select(Order.number, OrderSla.service_type, Customer.reseller_id, OrderSla.due_at)
             .join(OrderSla, OrderSla.order_id == Order.id).join(Customer, Customer.id == Order.customer_id)
             .where(OrderSla.state == "running", OrderSla.next_threshold == 50,
                    col(OrderSla.due_at) > now + timedelta(minutes=10)).order_by(col(OrderSla.due_at)))
    with Session(create_engine(server.db_url)) as s:
        row = s.exec(query).first()
        if row is None:
            customer = s.exec(select(Customer).where(col(Customer.reseller_id).is_not(None))
                              .order_by(Customer.id)).first()
            created = intake.create_order(s, customer_id=customer.id, name="SLA watch", service_type="license",
                                          items=[("license", "Seat")], now=now, calendar=business_calendar(),
                                          source="test")
            s.commit()
            row = s.exec(query.where(Order.id == created.id)).one()
    return row


@pytest.mark.clock_jump
def test_passing_a_threshold_lists_the_order_at_risk_on_the_open_page(page, server):
    number, service, reseller_id, due = _order_before_50(server)
    login(page, "manager")
    page.goto("/sla")
    expect(page.locator("#sla-at-risk")).to_be_visible(timeout=30_000)
    page.get_by_label("Service type").select_option(service)
    if reseller_id is not None:
        page.get_by_label("Reseller").select_option(str(reseller_id))
    row = page.locator(f"#sla-at-risk [data-order='{number}']")
    expect(page.locator("#sla-at-risk")).to_be_visible()
    if row.count():  # listed already only for its forecast, not for a warning
        expect(row).to_have_attribute("data-level", "ok")

    server.advance_clock((due - _server_now(server)) / timedelta(hours=1) + 0.05)

    expect(row).to_have_attribute("data-level", "warning", timeout=20_000)  # pushed by the sweep, no reload
