"""The notification settings in Chromium: a template previewed with real data in both
languages, plain text and HTML, a broken template refused; a customer contact's mail language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, create_engine, select

from ordertrack.db.models import Customer, Order
from ordertrack.db.notify_models import NotificationTemplate, OrderFailure, Remedy
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_admin_previews_a_template_with_real_data_in_both_languages(page, server):
    with Session(create_engine(server.db_url)) as s:
        failure = s.exec(select(OrderFailure).order_by(col(OrderFailure.id).desc())).first()
        number = s.get(Order, failure.order_id).number
        reason = s.exec(select(Remedy.issue).where(Remedy.reason_code == failure.reason_code)).one()
    login(page, "admin")
    page.goto("/settings/notifications")
    page.get_by_role("button", name="Order provisioning failed").click()
    expect(page.locator("#tpl-preview-subject")).to_have_text(f"Order {number} could not be provisioned: {reason}")
    subject = page.get_by_label("Subject", exact=True)
    subject.fill("URGENT {{ order_number }}: {{ reason }}")
    expect(page.locator("#tpl-preview-subject")).to_have_text(f"URGENT {number}: {reason}")
    page.get_by_role("tab", name="HTML").click()
    expect(page.frame_locator("#tpl-preview-html").locator("a").first).to_have_attribute(
        "href", f"{server.url}/orders/{number}")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_text("Template saved.")).to_be_visible()

    page.get_by_role("radio", name="Русский").click()
    expect(subject).to_have_value("Заказ {{ order_number }} не удалось выполнить: {{ reason }}")
    page.get_by_role("tab", name="Plain text").click()
    expect(page.locator("#tpl-preview-body")).to_contain_text(f"Заказ {number}")
    subject.fill("Заказ {% if %}")
    expect(page.get_by_role("alert")).to_contain_text("line 1")
    expect(page.get_by_role("button", name="Save template")).to_be_disabled()

    page.reload()
    page.get_by_role("button", name="Order provisioning failed").click()
    page.get_by_role("radio", name="English").click()
    expect(subject).to_have_value("URGENT {{ order_number }}: {{ reason }}")
    with Session(create_engine(server.db_url)) as s:
        ru = s.exec(select(NotificationTemplate.subject).where(
            NotificationTemplate.event == "order_provisioning_failed", NotificationTemplate.language == "ru")).one()
        assert ru == "Заказ {{ order_number }} не удалось выполнить: {{ reason }}"
    page.screenshot(path="/tmp/ordertrack-notify-settings.png", full_page=True)


def test_reseller_sets_a_customer_contacts_mail_language(page, server):
    login(page, "reseller")
    page.goto("/settings/notifications")
    language = page.get_by_label("Mail language of Acme Logistics")
    language.select_option("ru")
    language.locator("xpath=ancestor::form").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Mail language saved.")).to_be_visible()
    with Session(create_engine(server.db_url)) as s:
        assert s.exec(select(Customer.language).where(Customer.name == "Acme Logistics")).one() == "ru"
