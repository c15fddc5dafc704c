"""Order Actions in Chromium: an operator processes and skips actions phase by phase."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Order
from ordertrack.db.process_models import Process, ProcessRun, ProcessVersion
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _order_running(server, process_name: str, index: int = 0) -> str:
    with Session(create_engine(server.db_url)) as s:
        return s.exec(
            select(Order.number).join(ProcessRun, (ProcessRun.entity_id == Order.id) & (ProcessRun.entity_kind == "order"))
            .join(ProcessVersion, ProcessVersion.id == ProcessRun.process_version_id)
            .join(Process, Process.id == ProcessVersion.process_id)
            .where(Process.name == process_name, ProcessRun.status == "running", Order.phase == "planning")
            .order_by(Order.id.desc())
        ).all()[index]


def test_operator_processes_and_skips_order_actions(page, server):
    number = _order_running(server, "Standard provisioning")
    login(page, "operator")
    page.goto(f"/orders/{number}?tab=provisioning")
    actions = page.locator("#order-actions")
    credit = actions.locator("tr[data-action='Check customer credit']")
    expect(credit).to_have_attribute("data-status", "open")
    credit.get_by_role("button", name="Process").click()
    expect(credit).to_have_attribute("data-status", "done")
    review = actions.locator("tr[data-action='Review service address']")
    review.get_by_role("button", name="Skip").click()
    expect(review).to_have_attribute("data-status", "skipped")
    expect(actions.locator("tr[data-action='Provision service']")).to_have_attribute("data-status", "open")
    # skipping "Review service address" did not confirm the order: it is still in planning
    with Session(create_engine(server.db_url)) as s:
        assert s.exec(select(Order.phase).where(Order.number == number)).one() == "planning"


def test_confirm_order_action_moves_the_order_to_execution(page, server):
    number = _order_running(server, "Standard provisioning", index=1)
    login(page, "support")
    page.goto(f"/orders/{number}?tab=provisioning")
    actions = page.locator("#order-actions")
    actions.locator("tr[data-action='Check customer credit']").get_by_role("button", name="Process").click()
    expect(actions.locator("tr[data-action='Check customer credit']")).to_have_attribute("data-status", "done")
    actions.locator("tr[data-action='Review service address']").get_by_role("button", name="Process").click()
    page.get_by_role("tab", name="Overview", exact=True).click()
    expect(page.locator("#order-history").get_by_role("row").first).to_contain_text("Confirm order")
    expect(page.get_by_text("Execution", exact=True).first).to_be_visible()


def test_customer_sees_no_action_buttons(page, server):
    login(page, "customer")
    page.goto("/board")
    page.locator("#column-planning [data-testid=order-card]").first.click()
    expect(page.locator("#order-number")).to_be_visible()
    expect(page.get_by_role("button", name="Process")).to_have_count(0)
    expect(page.get_by_role("button", name="Skip")).to_have_count(0)


def test_overdue_tasks_report_lists_actions_past_their_alarm_hours(page):
    # demo: "Check customer credit" has 8 alarm hours; planning orders older than that are on the report
    login(page, "manager")
    page.goto("/overdue")
    table = page.locator("#overdue-table")
    expect(table.get_by_role("row").filter(has_text="Check customer credit").first).to_be_visible()
    expect(table.get_by_role("link").first).to_have_text(re.compile(r"^SO-"))


def test_operator_works_a_voice_order_through_to_complete_then_cancel_is_final(page, server):
    number = _order_running(server, "New Voice Service")
    login(page, "operator")
    page.goto(f"/orders/{number}?tab=provisioning")
    actions = page.locator("#order-actions")

    def act(name: str, button: str) -> None:
        row = actions.locator(f"tr[data-action='{name}']")
        row.get_by_role("button", name=button).click()
        expect(row).not_to_have_attribute("data-status", "open")

    act("Customer order confirmation", "Process")
    act("LNP request", "Process")
    act("Carrier confirmation", "Skip")
    act("Billing completion", "Process")
    expect(page.get_by_text("complete", exact=True)).to_be_visible()
    expect(actions.get_by_role("button", name="Process")).to_have_count(0)
    expect(page.get_by_text("Customer Validation", exact=True).first).to_be_visible()

    page.get_by_role("button", name="Move to Canceled").click()
    page.get_by_label("Comment (required)").fill("Customer withdrew")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("tab", name="Overview", exact=True).click()
    expect(page.locator("#order-history").get_by_role("row").first).to_contain_text("Customer withdrew")
    expect(page.get_by_role("button", name=re.compile("^(Move to|Approve|Reopen)"))).to_have_count(0)
    page.reload()
    expect(page.get_by_role("button", name=re.compile("^(Move to|Approve|Reopen)"))).to_have_count(0)
