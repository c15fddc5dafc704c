"""Issue 15.2 in Chromium: staff select cards (a click, a shift-click range, another column),
move them to one phase with one comment; the result lists the moved cards and the refused one
with the engine's reason."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Order, StatusChange
from ordertrack.services.processes import blocking_tasks
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _checkbox(page, column: str, number: str):
    return page.locator(f"#column-{column}").get_by_label(f"Select {number}", exact=True)


def test_bulk_move_with_one_refused_card(page, server):
    login(page, "operator")
    page.goto("/board")
    execution = page.locator("#column-execution [data-testid=order-card]")
    expect(execution.first).to_be_visible()
    shown = execution.evaluate_all("els => els.map(e => e.dataset.number)")
    with Session(create_engine(server.db_url)) as s:
        ids = dict(s.exec(select(Order.number, Order.id).where(Order.number.in_(shown))).all())
        free = [not blocking_tasks(s, order_id=ids[n]) for n in shown]
    start = next(i for i in range(len(shown) - 2) if all(free[i:i + 3]))
    trio = shown[start:start + 3]
    planning = page.locator("#column-planning [data-testid=order-card]").first.get_attribute("data-number")

    page.get_by_role("button", name="Select for bulk move").click()
    _checkbox(page, "execution", trio[0]).click()
    _checkbox(page, "execution", trio[2]).click(modifiers=["Shift"])  # the range: all three
    _checkbox(page, "planning", planning).click()
    expect(page.locator("#bulk-count")).to_have_text("4 selected")
    for number in trio:
        expect(_checkbox(page, "execution", number)).to_be_checked()
    page.get_by_label("Target phase").select_option("validation")
    page.get_by_label("Bulk comment").fill("Activated in the night window")
    page.get_by_role("button", name="Move selected").click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("3 orders moved, 1 refused.")
    refused = dialog.locator("#bulk-refused")
    expect(refused.get_by_role("row")).to_have_count(1)
    expect(refused).to_contain_text(planning)
    # the reason the single move would give: the process's open actions, else the engine's refusal
    expect(refused).to_contain_text(re.compile(
        r"Finish these order actions first: .+|There is no move from Planning and Provisioning to Customer Validation"))
    expect(dialog.locator("#bulk-moved").get_by_role("row")).to_have_count(3)
    page.screenshot(path="test-artifacts/board-bulk.png", full_page=False)
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator("#bulk-count")).to_have_text("1 selected")  # the refused card stays selected
    page.get_by_label("Search orders").fill(trio[1])
    expect(page.locator(f"#column-validation [data-number='{trio[1]}']")).to_be_visible()
    with Session(create_engine(server.db_url)) as s:
        for number in trio:
            order = s.exec(select(Order).where(Order.number == number)).one()
            assert order.phase == "validation"
            assert s.exec(select(StatusChange.comment).where(
                StatusChange.entity_id == order.id, StatusChange.entity_kind == "order",
                StatusChange.to_state == "validation")).first() == "Activated in the night window"
        assert s.exec(select(Order.phase).where(Order.number == planning)).one() == "planning"
