"""The order form's Review shows what the visitor chose in words, never raw keys (issue #18.6),
in English and in Russian (a visitor's language is a cookie, issue #13.2)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _to_review(page, *, service: str, next_label: str, company: str, email: str) -> None:
    page.locator("#of-service").select_option(service)
    page.get_by_role("button", name=next_label).click()
    page.locator("#of-company").fill(company)
    page.locator("#of-email").fill(email)
    page.get_by_role("button", name=next_label).click()


def test_review_shows_labels_in_both_languages(browser, server):
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        page.goto("/order-form")
        _to_review(page, service="hosting", next_label="Next", company="Kite Labs", email="it@kite.example")
        review = page.locator("#of-review")
        expect(review).to_contain_text("Virtual hosting")
        assert "hosting" not in [t.strip("\u200d \n") for t in review.locator("dd").all_inner_texts()]

        page.locator("#language-switch").click()
        page.get_by_role("option", name="Русский").click()
        page.wait_for_load_state("load")
        review = page.locator("#of-review")  # the draft survives the switch
        expect(review).to_contain_text("Виртуальный хостинг")
        expect(review).to_contain_text("Тип услуги")
        page.get_by_role("button", name="Назад").click()
        page.get_by_role("button", name="Назад").click()
        page.locator("#of-service").select_option("colocation")
        page.get_by_role("button", name="Далее").click()
        page.get_by_role("button", name="Далее").click()
        expect(review).to_contain_text("Колокация")
        page.screenshot(path=str(server.log.parent / "order-form-review-ru-390.png"), full_page=True)
    finally:
        context.close()
