"""The order page as each role uses it (issue #18 rows "messages", "what customers see",
"Approve ETI", "tickets" and the page in tabs; issue #12.5): uploads bound to one dialog and one
order, what customers see, the tabs, the technical interview and the ticket page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.message_models import Attachment, OrderMessage
from ordertrack.db.models import Order, User
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
    page.goto(f"/orders/{order_a}")
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
    page.goto(f"/orders/{order_b}")
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
