"""Failed provisioning in Chromium: the reseller sees "!", reads reason and remedy; support
resolves it and the mark disappears from the reseller's open list without reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Customer, Order, User
from ordertrack.db.notify_models import OrderFailure
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _failed_order_of_reseller(server, username: str) -> str:
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return s.exec(
            select(Order.number).join(OrderFailure, OrderFailure.order_id == Order.id)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Customer.reseller_id == user.reseller_id, OrderFailure.state != "resolved")
        ).first()


def test_reseller_sees_failure_and_support_resolution_clears_it_live(browser, server):
    number = _failed_order_of_reseller(server, "reseller")
    assert number, "demo data has a failed order for the first reseller"
    reseller = browser.new_context(base_url=server.url)
    support = browser.new_context(base_url=server.url)
    try:
        rpage, spage = reseller.new_page(), support.new_page()
        login(rpage, "reseller")
        rpage.goto("/orders")
        rpage.get_by_label("Search orders").fill(number)
        row = rpage.get_by_role("row").filter(has_text=number)
        expect(row.get_by_test_id("failed-mark")).to_be_visible()
        row.get_by_role("link", name=number).click()
        expect(rpage.locator("#failure-panel")).to_contain_text("Provisioning failed")
        expect(rpage.locator("#failure-remedy")).not_to_be_empty()
        rpage.go_back()
        rpage.get_by_label("Search orders").fill(number)
        row = rpage.get_by_role("row").filter(has_text=number)
        expect(row.get_by_test_id("failed-mark")).to_be_visible()

        login(spage, "support")
        spage.goto("/failures")
        qrow = spage.locator(f"#failure-queue tr[data-number='{number}']")
        qrow.get_by_role("button", name="Claim").click()
        expect(qrow).to_contain_text("Claimed by Sam Support")
        expect(qrow.get_by_role("button", name="Claim")).to_have_count(0)  # #18.8: not offered twice
        qrow.get_by_role("button", name="Resolve").click()
        dialog = spage.get_by_role("dialog")
        dialog.get_by_role("button", name="Resolve").click()
        expect(dialog.get_by_text("A note is required to resolve a failure.")).to_be_visible()
        dialog.get_by_label("Resolution note (required)").fill("Offer limit raised, provisioned again")
        dialog.get_by_role("button", name="Resolve").click()
        expect(spage.locator(f"#failure-queue tr[data-number='{number}']")).to_have_count(0)

        expect(row.get_by_test_id("failed-mark")).to_have_count(0, timeout=3000)
    finally:
        reseller.close()
        support.close()


def test_customer_cannot_open_the_failure_queue(page):
    login(page, "customer")
    page.goto("/failures")
    expect(page.locator("#page-refused")).to_contain_text("You don't have access to this page.")
    expect(page.locator("#failure-queue")).to_have_count(0)
    expect(page.get_by_text("No failed orders. Nice.")).to_have_count(0)


def test_reseller_chooses_recipients_and_edits_a_customer_contact(page, server):
    from ordertrack.db.models import Reseller

    login(page, "reseller")
    page.goto("/settings/notifications")
    page.get_by_role("checkbox", name="My customers (their contact e-mail)").click()
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    field = page.get_by_label("Contact e-mail of Acme Logistics")
    field.fill("alerts@acme.example")
    field.locator("xpath=ancestor::form").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Contact e-mail saved.")).to_be_visible()
    with Session(create_engine(server.db_url)) as s:
        reseller = s.exec(select(Reseller).where(Reseller.name == "Northwind Telecom")).one()
        assert reseller.notify_customer_on_failure is True
        assert s.exec(select(Customer.contact_email).where(Customer.name == "Acme Logistics")).one() == \
            "alerts@acme.example"
    expect(page.get_by_text("E-mail templates")).to_have_count(0)


def test_operator_records_a_failed_then_a_successful_attempt(page, server):
    with Session(create_engine(server.db_url)) as s:
        number = s.exec(select(Order.number).where(Order.phase == "execution", Order.status == "on_track",
                                                   ~Order.id.in_(select(OrderFailure.order_id)))).first()
    login(page, "operator")
    page.goto(f"/orders/{number}")
    page.get_by_label("Reason").select_option(label="Missing <required add-ons>")
    page.get_by_label("Details").fill("Static IP add-on missing")
    page.get_by_role("button", name="Record attempt").click()
    expect(page.locator("#failure-panel")).to_contain_text("Missing <required add-ons>")
    expect(page.locator("#failure-remedy")).to_have_text("Check whether provisioning conditions have been met.")
    page.get_by_label("Outcome").select_option("succeeded")
    page.get_by_role("button", name="Record attempt").click()
    expect(page.locator("#failure-panel")).to_have_count(0)


def test_without_smtp_the_admin_sees_where_mail_goes_and_it_is_delivered_there(page, server):
    import mailbox
    from pathlib import Path

    login(page, "admin")
    page.goto("/outbox")
    expect(page.locator("#outbox-route")).to_contain_text("no SMTP server configured")
    page.get_by_role("tab", name="Sent").click()
    first = page.get_by_role("row").nth(1)
    expect(first).to_contain_text("sent")
    subject = first.locator("td").nth(3).inner_text()
    delivered = [m["Subject"] for m in mailbox.Maildir(Path(server.env["ORDERTRACK_MAIL_DIR"]), create=False)]
    assert subject in delivered
