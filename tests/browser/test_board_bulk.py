"""Issue 15.2 in Chromium: staff select cards (a click, a shift-click range, another column),
move them to one phase with one comment; the result lists the moved cards and the refused one
with the engine's reason."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, create_engine, select

from ordertrack.db.models import Order, StatusChange
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _checkbox(page, column: str, number: str):
    return page.locator(f"#column-{column}").get_by_label(f"Select {number}", exact=True)


def test_bulk_move_with_one_refused_card(page, server):
    """Three Execution cards go back to Planning (a move back needs no finished queue step, issue
    18.1) with one comment; a Customer Validation card has no such move and is refused."""
    login(page, "operator")
    page.goto("/board")
    execution = page.locator("#column-execution [data-testid=order-card]")
    expect(execution.first).to_be_visible(timeout=15_000)  # the first board after start may wait on the sweep
    trio = execution.evaluate_all("els => els.map(e => e.dataset.number)")[:3]
    other = page.locator("#column-validation [data-testid=order-card]").first.get_attribute("data-number")

    page.get_by_role("button", name="Select for bulk move").click()
    _checkbox(page, "execution", trio[0]).click()
    _checkbox(page, "execution", trio[2]).click(modifiers=["Shift"])  # the range: all three
    _checkbox(page, "validation", other).click()
    expect(page.locator("#bulk-count")).to_have_text("4 selected", timeout=15_000)
    for number in trio:
        expect(_checkbox(page, "execution", number)).to_be_checked()
    page.get_by_label("Target phase").select_option("planning")
    page.get_by_label("Bulk comment").fill("Carrier dates slipped")
    page.get_by_role("button", name="Move selected").click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("3 orders moved, 1 refused.", timeout=30_000)  # four moves on a loaded machine
    refused = dialog.locator("#bulk-refused")
    expect(refused.get_by_role("row")).to_have_count(1)
    expect(refused).to_contain_text(other)
    # the reason the single move would give: the engine's refusal
    expect(refused).to_contain_text("There is no move from Customer Validation to Planning and Provisioning")
    expect(dialog.locator("#bulk-moved").get_by_role("row")).to_have_count(3)
    page.screenshot(path="test-artifacts/board-bulk.png", full_page=False)
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator("#bulk-count")).to_have_text("1 selected")  # the refused card stays selected
    page.get_by_label("Search orders").fill(trio[1])
    expect(page.locator(f"#column-planning [data-number='{trio[1]}']")).to_be_visible(timeout=15_000)
    with Session(create_engine(server.db_url)) as s:
        for number in trio:
            order = s.exec(select(Order).where(Order.number == number)).one()
            assert order.phase == "planning"
            assert s.exec(select(StatusChange.comment).where(
                StatusChange.entity_id == order.id, StatusChange.entity_kind == "order",
                StatusChange.from_state == "execution", StatusChange.to_state == "planning")
                .order_by(col(StatusChange.id).desc())
            ).first() == "Carrier dates slipped"
        assert s.exec(select(Order.phase).where(Order.number == other)).one() == "validation"
