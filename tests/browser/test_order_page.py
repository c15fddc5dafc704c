"""The order page as each role uses it (issue #18 rows "messages", "what customers see",
"Approve ETI", "tickets" and the page in tabs; issue #12.5): uploads bound to one dialog and one
order, what customers see, the tabs, the technical interview and the ticket page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.message_models import Attachment, OrderMessage
from ordertrack.db.models import Order, OrderItem, User
from ordertrack.db.notify_models import OutboxMessage
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _orders_of(server, username: str, count: int = 1) -> list[str]:
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return list(s.exec(select(Order.number).where(Order.customer_id == user.customer_id,
                                                      Order.phase == "execution")
                           .order_by(Order.number)).all()[:count])


def _db(server):
    return Session(create_engine(server.db_url))


def test_a_file_uploads_when_chosen_and_never_travels_to_another_dialog_or_order(page, server, tmp_path):
    """#12.5 and #18.7: choosing uploads (no second click); a refused file is named; a file left
    in a closed dialog of order A is neither in the next dialog nor in a message of order B."""
    order_a = _orders_of(server, "customer")[0]
    order_b = _orders_of(server, "customer2")[0]
    secret = tmp_path / "secret-a.pdf"
    secret.write_bytes(b"%PDF-1.4 order A only")
    tool = tmp_path / "tool.exe"
    tool.write_bytes(b"MZ")
    login(page, "operator")
    page.goto(f"/orders/{order_a}?tab=messages")
    page.get_by_role("button", name="Post a Follow-up").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Upload", exact=True)).to_have_count(0)
    dialog.locator("#attach input[type=file]").set_input_files(str(secret))
    expect(dialog.locator("#pending-files")).to_contain_text("secret-a.pdf")
    dialog.locator("#attach input[type=file]").set_input_files(str(tool))
    expect(dialog.locator("#upload-error")).to_contain_text("tool.exe")
    with _db(server) as s:
        upload_id = s.exec(select(Attachment.id).where(Attachment.original_name == "secret-a.pdf")).one()

    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_role("button", name="Add a Comment").click()
    expect(page.get_by_role("dialog").locator("#pending-files")).not_to_contain_text("secret-a.pdf")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    with _db(server) as s:
        assert s.get(Attachment, upload_id) is None, "a closed dialog's upload is discarded"

    # upload again, leave it unsent, go to order B of another tenant and send a follow-up there
    page.get_by_role("button", name="Post a Follow-up").click()
    page.get_by_role("dialog").locator("#attach input[type=file]").set_input_files(str(secret))
    expect(page.get_by_role("dialog").locator("#pending-files")).to_contain_text("secret-a.pdf")
    page.goto(f"/orders/{order_b}?tab=messages")
    page.get_by_role("button", name="Post a Follow-up").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#pending-files")).not_to_contain_text("secret-a.pdf")
    dialog.get_by_label("Body").fill("Order B follow-up without files.")
    dialog.get_by_role("button", name="Send Followup").click()
    expect(page.locator("[data-message='Order B follow-up without files.']")).to_be_visible()
    with _db(server) as s:
        order_b_id = s.exec(select(Order.id).where(Order.number == order_b)).one()
        message = s.exec(select(OrderMessage).where(OrderMessage.order_id == order_b_id)
                         .order_by(OrderMessage.id.desc())).first()
        assert s.exec(select(Attachment).where(Attachment.message_id == message.id)).all() == []
        mail = s.exec(select(OutboxMessage).where(OutboxMessage.body.contains("Order B follow-up"))).one()
        assert json.loads(mail.attachments) == []
        assert s.exec(select(Attachment).where(Attachment.original_name == "secret-a.pdf")).all() == []


def _customer_order_with_staff_work(server) -> tuple[str, str, set[str]]:
    """(username, number, staff words) for a customer's order with a running process whose
    actions are assigned to a team, and staff rows in its history."""
    from ordertrack.db.process_models import ProcessRun, TaskInstance

    with _db(server) as s:
        staff = set(s.exec(select(User.display_name).where(User.role.not_in(["customer", "reseller", "partner"]))))
        for username in ("customer", "customer2"):
            user = s.exec(select(User).where(User.username == username)).one()
            rows = s.exec(select(Order.number, TaskInstance.assignee_group, TaskInstance.name)
                          .join(ProcessRun, (ProcessRun.entity_kind == "order") & (ProcessRun.entity_id == Order.id))
                          .join(TaskInstance, TaskInstance.run_id == ProcessRun.id)
                          .where(Order.customer_id == user.customer_id, TaskInstance.assignee_group != "")).all()
            if rows:
                number = rows[0][0]
                return username, number, staff | {g for n, g, _ in rows if n == number} | \
                    {t for n, _, t in rows if n == number}
    raise AssertionError("the demo data has no customer order with team actions")


def test_the_customers_state_holds_no_staff_names_teams_or_actions(server):
    """Socket level: what a customer's tab receives for its own order carries no staff or team
    name and no Order Actions; staff loading the same order do get them (the check is real)."""
    from ordertrack.pages.order import OrderState
    from tests.wsclient import ReflexSocket, all_strings, sign_in

    username, number, words = _customer_order_with_staff_work(server)
    load = f"{OrderState.get_full_name()}.load"
    staff = ReflexSocket(server.url, cookie=sign_in(server.url, "operator"))
    staff_text = " ".join(all_strings([u.get("delta") for u in staff.emit(load, path=f"/orders/{number}",
                                                                           query={"number": number})]))
    staff.close()
    assert any(w in staff_text for w in words), "staff see the team and staff names"
    customer = ReflexSocket(server.url, cookie=sign_in(server.url, username))
    text = " ".join(all_strings([u.get("delta") for u in customer.emit(load, path=f"/orders/{number}",
                                                                        query={"number": number})]))
    customer.close()
    assert number in text
    assert [w for w in words if w and w in text] == []


def test_customers_see_items_with_prices_the_order_value_and_approve_as_the_primary_action(page, server):
    username, number, words = _customer_order_with_staff_work(server)
    login(page, username)
    page.goto(f"/orders/{number}")
    expect(page.locator("#order-value")).to_contain_text("$")
    expect(page.locator("#order-items")).to_contain_text("Unit price")
    expect(page.get_by_text("Order Actions")).to_have_count(0)
    for tab in ("Overview", "Messages", "Tickets", "History"):
        page.get_by_role("tab", name=tab, exact=True).click()
        expect(page.get_by_role("tab", name=tab, exact=True)).to_have_attribute("aria-selected", "true")
        body = page.locator("body").inner_text()
        assert [w for w in words if w and w in body] == [], tab
    expect(page.get_by_role("tab", name="Provisioning", exact=True)).to_have_count(0)
    with _db(server) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        waiting = s.exec(select(Order.number).where(Order.customer_id == user.customer_id,
                                                    Order.phase == "validation")).first()
    page.goto(f"/orders/{waiting}")
    approve = page.get_by_role("button", name="Approve", exact=True)
    expect(approve).to_be_visible()
    assert approve.get_attribute("data-accent-color") != "red"
    approve.click()
    expect(page.get_by_role("dialog").get_by_role("button", name="Confirm")).not_to_have_attribute(
        "data-accent-color", "red")
    page.screenshot(path="/tmp/orderui-customer-approve.png", full_page=True)
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()


def test_the_order_page_is_in_tabs_addressable_by_url_and_keyboard(browser, server):
    number = _orders_of(server, "customer")[0]
    staff = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    customer = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    try:
        page = staff.new_page()
        login(page, "operator")
        page.goto(f"/orders/{number}?tab=messages")
        expect(page.get_by_role("tab", name="Messages", exact=True)).to_have_attribute("aria-selected", "true")
        expect(page.get_by_role("button", name="Post a Follow-up")).to_be_visible()
        expect(page.get_by_role("button", name="Record attempt")).to_have_count(0)  # other tabs are hidden
        page.get_by_role("tab", name="Messages", exact=True).focus()
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("tab", name="Tickets", exact=True)).to_have_attribute("aria-selected", "true")
        expect(page.get_by_label("Ticket subject")).to_be_visible()
        expect(page).to_have_url(f"{server.url}/orders/{number}?tab=tickets")
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("tab", name="Provisioning", exact=True)).to_have_attribute("aria-selected", "true")
        expect(page.get_by_text("Order Actions").first).to_be_visible()
        page.screenshot(path="/tmp/orderui-tabs-provisioning.png", full_page=True)
        page.reload()
        expect(page.get_by_role("tab", name="Provisioning", exact=True)).to_have_attribute("aria-selected", "true")
        page.get_by_role("tab", name="History", exact=True).click()
        expect(page.locator("#order-timeline").get_by_role("row").first).to_be_visible()
        expect(page).to_have_url(f"{server.url}/orders/{number}?tab=history")

        cpage = customer.new_page()
        login(cpage, "customer")
        cpage.goto(f"/orders/{number}?tab=provisioning")  # staff work: the customer lands on Overview
        expect(cpage.get_by_role("tab", name="Overview", exact=True)).to_have_attribute("aria-selected", "true")
        expect(cpage.get_by_role("tab", name="Provisioning", exact=True)).to_have_count(0)
        expect(cpage.locator("#order-value")).to_be_visible()
    finally:
        staff.close()
        customer.close()


def test_staff_require_a_technical_interview_the_order_shows_approve_eti_and_approval_clears_it(browser, server):
    """#18.5 end to end: Require ETI on an item (staff), the order (and its customer) see Approve
    ETI, Approve ETI on the item clears it."""
    with _db(server) as s:
        user = s.exec(select(User).where(User.username == "customer2")).one()
        number, item = s.exec(
            select(Order.number, OrderItem.name).join(OrderItem, OrderItem.order_id == Order.id)
            .where(Order.customer_id == user.customer_id, Order.phase.in_(["planning", "execution"]),
                   Order.status != "approve_eti", OrderItem.status == "pending", OrderItem.kind != "colocation")
            .order_by(Order.number)).first()
    staff = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    customer = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    try:
        page = staff.new_page()
        login(page, "operator")
        page.goto(f"/orders/{number}")
        page.get_by_role("button", name=f"Require ETI: {item}").click()
        expect(page.locator("[data-status='approve_eti']").first).to_be_visible()
        expect(page.locator("#order-items")).to_contain_text("waiting for technical-interview approval")
        expect(page.locator("#order-history").get_by_role("row").first).to_contain_text(
            f"Technical interview required: {item}")

        cpage = customer.new_page()
        login(cpage, "customer2")
        cpage.goto(f"/orders/{number}")
        expect(cpage.locator("[data-status='approve_eti']").first).to_be_visible()
        expect(cpage.get_by_role("button", name=f"Approve ETI: {item}")).to_have_count(0)  # staff approve it

        page.get_by_role("button", name=f"Approve ETI: {item}").click()
        expect(page.locator("[data-status='approve_eti']")).to_have_count(0)
        expect(page.locator("#order-history").get_by_role("row").first).to_contain_text(
            f"Technical interview approved: {item}")
        expect(cpage.locator("[data-status='approve_eti']")).to_have_count(0)  # live, without a reload
    finally:
        staff.close()
        customer.close()


def test_a_ticket_has_its_own_page_where_staff_and_the_customer_reply(browser, server):
    """#18 "tickets": a ticket page to open from a link, replies of both sides in one thread,
    status buttons only for the moves that exist."""
    number = _orders_of(server, "customer2")[0]
    staff = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    customer = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    try:
        cpage = customer.new_page()
        login(cpage, "customer2")
        cpage.goto(f"/orders/{number}?tab=tickets")
        cpage.get_by_label("Ticket subject").fill("Static IP not routed")
        cpage.get_by_label("Ticket message").fill("Since the install.")
        cpage.get_by_role("button", name="Open ticket").click()
        card = cpage.locator("[data-ticket='Static IP not routed']")
        expect(card).to_be_visible()
        card.get_by_role("link").first.click()
        expect(cpage.locator("#ticket-subject")).to_contain_text("Static IP not routed")
        ticket_url = cpage.url
        expect(cpage.locator("#ticket-moves")).to_have_count(0)  # customers change no status

        page = staff.new_page()
        login(page, "support")
        page.goto(ticket_url)
        expect(page.locator("[data-entry='Since the install.']")).to_contain_text("Chris Customer")
        moves = page.locator("#ticket-moves").get_by_role("button")
        expect(moves).to_have_text(["Put on hold", "Close"])
        page.get_by_label("Your reply").fill("Routed now, please check.")
        page.get_by_role("button", name="Send reply").click()
        expect(page.locator("[data-entry='Routed now, please check.']")).to_contain_text("Sam Support")
        moves.get_by_text("Close", exact=True).click()
        expect(page.locator("#ticket-status")).to_have_text("Closed")
        expect(moves).to_have_text(["Reopen"])

        cpage.reload()
        reply = cpage.locator("[data-entry='Routed now, please check.']")
        expect(reply).to_contain_text("Support team")
        expect(reply).not_to_contain_text("Sam Support")
        cpage.get_by_label("Your reply").fill("Works, thanks. One more question though.")
        cpage.get_by_role("button", name="Send reply").click()
        expect(cpage.locator("#ticket-status")).to_have_text("Open")  # the customer's reply reopens it
        page.screenshot(path="/tmp/orderui-ticket-staff.png", full_page=True)

        other = browser.new_context(base_url=server.url)
        opage = other.new_page()
        login(opage, "customer")
        opage.goto(ticket_url)
        expect(opage.locator("#ticket-missing")).to_be_visible()
        other.close()
    finally:
        staff.close()
        customer.close()


def test_a_comment_template_fills_the_body_when_chosen(page, server):
    number = _orders_of(server, "customer")[0]
    login(page, "support")
    page.goto(f"/orders/{number}?tab=messages")
    page.get_by_role("button", name="Add a Comment").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Template").select_option(label="We need information")
    expect(dialog.get_by_label("Body")).to_have_value("We are waiting for information from you before we can continue.")
    expect(dialog.get_by_label("Subject")).to_have_value("We need information")
    dialog.get_by_label("Body").fill("We are waiting for the rack location from you.")
    dialog.get_by_role("button", name="Add Comment").click()
    expect(page.locator("[data-message='We are waiting for the rack location from you.']")).to_be_visible()


def test_send_order_links_has_the_real_from_attachments_and_only_drafts_with_an_email(page, server, tmp_path):
    """#18.7: Send Order Links shows the address the mail comes from, takes attachments (uploaded
    when chosen) and is offered only for unfinished orders with an e-mail address."""
    from datetime import UTC, datetime

    from ordertrack.db.intake_models import DraftOrder

    now = datetime.now(UTC)
    with _db(server) as s:
        s.add(DraftOrder(data=json.dumps({"company": "Linkable Ltd"}), step=2, email="buyer@linkable.example",
                         created_at=now, updated_at=now))
        s.add(DraftOrder(data=json.dumps({"company": "Anonymous Ltd"}), step=1, email="", created_at=now,
                         updated_at=now))
        s.commit()
    quote = tmp_path / "price-list.pdf"
    quote.write_bytes(b"%PDF-1.4 price list")
    login(page, "support")
    page.goto("/manager")
    expect(page.locator("tr[data-draft='Anonymous Ltd']")).to_contain_text("no e-mail address yet")
    expect(page.locator("tr[data-draft='Anonymous Ltd']").get_by_role("button")).to_have_count(0)
    page.locator("tr[data-draft='Linkable Ltd']").get_by_role("button", name="Send Order Links").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#sl-from")).to_contain_text("noreply@ordertrack.example")
    expect(dialog).not_to_contain_text("Sam Support")
    dialog.locator("#link-attach input[type=file]").set_input_files(str(quote))
    expect(dialog.locator("#pending-files")).to_contain_text("price-list.pdf")
    dialog.get_by_role("button", name="Send Mail").click()
    expect(page.get_by_text("Order link sent to buyer@linkable.example.")).to_be_visible()
    with _db(server) as s:
        mail = s.exec(select(OutboxMessage).where(OutboxMessage.to_addr == "buyer@linkable.example")).one()
        assert [f["name"] for f in json.loads(mail.attachments)] == ["price-list.pdf"]
