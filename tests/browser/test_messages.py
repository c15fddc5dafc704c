"""Order messages in Chromium: a client-viewable comment shows on the customer's order page,
an internal one does not; a follow-up goes to the outbox as an e-mail."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Order, User
from ordertrack.db.notify_models import OutboxMessage
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _customer_order(server) -> str:
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == "customer2")).one()
        return s.exec(select(Order.number).where(Order.customer_id == user.customer_id, Order.phase == "execution")
                      .order_by(Order.number)).first()


def test_client_viewable_comment_reaches_the_customer_and_internal_does_not(browser, server):
    number = _customer_order(server)
    staff = browser.new_context(base_url=server.url)
    customer = browser.new_context(base_url=server.url)
    try:
        spage = staff.new_page()
        login(spage, "operator")
        spage.goto(f"/orders/{number}?tab=messages")
        for text, viewable in (("Internal: carrier is late again", False), ("Your line is being installed", True)):
            spage.get_by_role("button", name="Add a Comment").click()
            dialog = spage.get_by_role("dialog")
            dialog.get_by_label("Body").fill(text)
            if viewable:
                dialog.get_by_role("checkbox", name="Client Viewable").click()
            dialog.get_by_role("button", name="Add Comment").click()
            expect(spage.locator(f"[data-message='{text}']")).to_be_visible()
        expect(spage.locator("[data-message='Internal: carrier is late again']").get_by_text("internal", exact=True)).to_be_visible()

        spage.get_by_role("button", name="Post a Follow-up").click()
        dialog = spage.get_by_role("dialog")
        expect(dialog.get_by_label("To", exact=True)).to_have_value("it@orion.example")
        dialog.get_by_label("Body").fill("We need the site contact's phone number.")
        dialog.get_by_role("button", name="Send Followup").click()
        expect(spage.locator("[data-message=\"We need the site contact's phone number.\"]")).to_be_visible()
        with Session(create_engine(server.db_url)) as s:
            mail = s.exec(select(OutboxMessage).where(OutboxMessage.to_addr == "it@orion.example")
                          .order_by(OutboxMessage.id.desc())).first()
            assert mail is not None and "site contact's phone number" in mail.body

        cpage = customer.new_page()
        login(cpage, "customer2")
        cpage.goto(f"/orders/{number}?tab=messages")
        expect(cpage.locator("[data-message='Your line is being installed']")).to_be_visible()
        expect(cpage.locator("[data-message='Internal: carrier is late again']")).to_have_count(0)
        expect(cpage.get_by_role("button", name="Add a Comment")).to_have_count(0)
    finally:
        staff.close()
        customer.close()


def test_empty_comment_is_refused(page, server):
    login(page, "support")
    page.goto(f"/orders/{_customer_order(server)}?tab=messages")
    page.get_by_role("button", name="Add a Comment").click()
    page.get_by_role("dialog").get_by_role("button", name="Add Comment").click()
    expect(page.get_by_role("dialog").get_by_text("The message needs a body.")).to_be_visible()


def test_staff_associates_an_order_with_another_client(page, server):
    number = _customer_order(server)
    login(page, "operator")
    page.goto(f"/orders/{number}")
    page.get_by_label("Search", exact=True).select_option("name")
    page.get_by_label("For").fill("Tidewater")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name="Associate with Client").click()
    expect(page.get_by_text("Associated with Tidewater Freight.")).to_be_visible()
    page.get_by_role("tab", name="History", exact=True).click()
    expect(page.locator("#order-timeline").get_by_role("row").first).to_contain_text("Associated with client Tidewater")


def test_customer_opens_a_ticket_and_staff_closes_it(browser, server):
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == "customer")).one()
        number = s.exec(select(Order.number).where(Order.customer_id == user.customer_id)
                        .order_by(Order.number.desc())).first()
    cust = browser.new_context(base_url=server.url)
    staff = browser.new_context(base_url=server.url)
    try:
        cpage = cust.new_page()
        login(cpage, "customer")
        cpage.goto(f"/orders/{number}?tab=tickets")
        cpage.get_by_label("Ticket subject").fill("Invoice address wrong")
        cpage.get_by_label("Ticket message").fill("Please use our new address.")
        cpage.get_by_role("button", name="Open ticket").click()
        expect(cpage.locator("[data-ticket='Invoice address wrong']")).to_contain_text("Please use our new address.")
        spage = staff.new_page()
        login(spage, "support")
        spage.goto(f"/orders/{number}?tab=tickets")
        spage.locator("[data-ticket='Invoice address wrong']").get_by_role("button", name="Close").click()
        expect(spage.locator("[data-ticket='Invoice address wrong']")).to_have_count(0)
        spage.get_by_role("tab", name="Closed Tickets").click()
        expect(spage.locator("[data-ticket='Invoice address wrong']")).to_contain_text("Closed")
    finally:
        cust.close()
        staff.close()


def test_attachment_uploaded_with_a_followup_downloads_for_the_customer_only(browser, server, tmp_path):
    number = _customer_order(server)
    pdf = tmp_path / "quote.pdf"
    pdf.write_bytes(b"%PDF-1.4 ordertrack quote")
    staff = browser.new_context(base_url=server.url)
    customer = browser.new_context(base_url=server.url)
    anonymous = browser.new_context(base_url=server.url)
    try:
        spage = staff.new_page()
        login(spage, "operator")
        spage.goto(f"/orders/{number}?tab=messages")
        spage.get_by_role("button", name="Post a Follow-up").click()
        dialog = spage.get_by_role("dialog")
        dialog.locator("#attach input[type=file]").set_input_files(str(pdf))
        expect(dialog.locator("#pending-files")).to_contain_text("quote.pdf")
        dialog.get_by_label("Body").fill("Your quote is attached.")
        dialog.get_by_role("button", name="Send Followup").click()
        link = spage.locator("[data-message='Your quote is attached.']").get_by_role("link", name="quote.pdf",
                                                                                     exact=False)
        expect(link).to_be_visible()
        href = link.get_attribute("href")

        cpage = customer.new_page()
        login(cpage, "customer2")
        response = cpage.request.get(href)
        assert response.status == 200 and response.body().startswith(b"%PDF-1.4 ordertrack")
        assert anonymous.request.get(href).status == 401
    finally:
        staff.close()
        customer.close()
        anonymous.close()


def test_support_runs_the_ticket_process_on_a_ticket(page, server):
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == "customer")).one()
        number = s.exec(select(Order.number).where(Order.customer_id == user.customer_id)
                        .order_by(Order.number)).first()
    login(page, "support")
    page.goto(f"/orders/{number}?tab=tickets")
    page.get_by_label("Ticket subject").fill("Router keeps rebooting")
    page.get_by_label("Ticket message").fill("Since Monday.")
    page.get_by_role("button", name="Open ticket").click()
    card = page.locator("[data-ticket='Router keeps rebooting']")
    card.get_by_role("button", name="Start process").click()
    expect(card).to_contain_text("Support ticket: running")
    card.locator("[data-task='Triage the ticket']").get_by_role("button", name="Process").click()
    expect(card.locator("[data-task='Answer the client']")).to_contain_text("open")
    page.get_by_role("tab", name="History", exact=True).click()
    expect(page.locator("#order-timeline").get_by_role("row").first).to_contain_text("Ticket #")
