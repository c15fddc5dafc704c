"""Issue 15.3 in Chromium: an admin sets a soft and then a hard WIP limit on a column; the header
shows count / limit in amber, then red; a move into the full column asks for a reason (soft,
kept in history) or is refused (hard).

The moves are Execution → Planning and Provisioning (back for re-planning): a move forward needs
the order's queue to have reached it (issue 18.1), a move back only a step to go back to."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, create_engine, delete, select

from ordertrack.db.board_models import WipLimit
from ordertrack.db.models import Order, StatusChange
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _db(server) -> Session:
    return Session(create_engine(server.db_url))


def _set_limit(page, limit: str, kind: str) -> None:
    page.get_by_role("button", name="WIP limits").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Board scope")).to_have_value("all")
    dialog.get_by_label(f"Limit of {COLUMN}", exact=True).fill(limit)
    dialog.get_by_label(f"Kind of limit of {COLUMN}").select_option(kind)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)


COLUMN = "Planning and Provisioning"


def _drag_to_planning(page, number: str) -> None:
    page.get_by_label("Search orders").fill(number)
    card = page.locator(f"#column-execution [data-number='{number}']")
    expect(page.locator("[data-testid=order-card]")).to_have_count(1)
    card.drag_to(page.locator("#column-planning"))


def test_soft_then_hard_wip_limit_on_planning(page, server):
    with _db(server) as s:
        count = len(s.exec(select(Order.id).where(Order.phase == "planning")).all())
        first, second = s.exec(select(Order.number).where(Order.phase == "execution")
                               .order_by(Order.number.desc())).all()[2:4]
    try:
        login(page, "admin")
        page.goto("/board")
        badge = page.locator("#column-planning [data-testid=wip-badge]")
        expect(badge).to_have_count(0)
        _set_limit(page, str(count), "soft")
        expect(badge).to_have_text(f"{count} / {count}")
        expect(badge).to_have_attribute("data-level", "at")  # amber at the limit

        _drag_to_planning(page, first)
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text(f"{COLUMN} is at its WIP limit: {count} of {count} orders")
        dialog.get_by_role("button", name="Confirm").click()
        expect(dialog.get_by_role("alert")).to_contain_text("A comment is required")
        dialog.get_by_label("Comment (required)").fill("Carrier date slipped")
        dialog.get_by_role("button", name="Confirm").click()
        expect(page.locator(f"#column-planning [data-number='{first}']")).to_be_visible()
        page.get_by_label("Search orders").fill("")
        expect(badge).to_have_text(f"{count + 1} / {count}")
        expect(badge).to_have_attribute("data-level", "over")  # red above it
        with _db(server) as s:
            order_id = s.exec(select(Order.id).where(Order.number == first)).one()
            note = s.exec(select(StatusChange.comment).where(StatusChange.entity_id == order_id,
                                                             StatusChange.entity_kind == "order",
                                                             StatusChange.from_state == "execution",
                                                             StatusChange.to_state == "planning")
                          .order_by(col(StatusChange.id).desc())).first()
        assert note == f"Over the WIP limit of {COLUMN} ({count + 1} of {count}): Carrier date slipped"

        _set_limit(page, str(count + 1), "hard")
        expect(badge).to_have_text(f"{count + 1} / {count + 1}")
        _drag_to_planning(page, second)
        expect(page.get_by_text(f"{COLUMN} is full: {count + 1} of {count + 1} orders")).to_be_visible()
        expect(page.get_by_role("dialog")).to_have_count(0)
        with _db(server) as s:
            assert s.exec(select(Order.phase).where(Order.number == second)).one() == "execution"
        page.screenshot(path="test-artifacts/board-wip.png", full_page=False)
    finally:
        with _db(server) as s:
            s.exec(delete(WipLimit))
            s.commit()


def test_only_admins_see_the_wip_limits_button(page, server):
    login(page, "manager")
    page.goto("/board")
    expect(page.locator("#column-execution")).to_be_visible()
    expect(page.get_by_role("button", name="WIP limits")).to_have_count(0)
