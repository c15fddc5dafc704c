"""Order Actions in Chromium: an operator processes and skips actions phase by phase; the board
phase follows the queue (a move it has not reached is refused, with the skip offer)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import exists
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Order
from ordertrack.db.process_models import Process, ProcessRun, ProcessVersion, TaskInstance
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _order_running(server, process_name: str, index: int = 0) -> str:
    with Session(create_engine(server.db_url)) as s:
        return s.exec(
            select(Order.number).join(ProcessRun, (ProcessRun.entity_id == Order.id) & (ProcessRun.entity_kind == "order"))
            .join(ProcessVersion, ProcessVersion.id == ProcessRun.process_version_id)
            .join(Process, Process.id == ProcessVersion.process_id)
            .where(Process.name == process_name, ProcessRun.status == "running", Order.phase == "planning",
                   ~exists().where(TaskInstance.run_id == ProcessRun.id, TaskInstance.status == "canceled"))
            .order_by(Order.id.desc())  # not one that another test sent back (its actions reopened)
        ).all()[index]


def test_operator_processes_and_skips_order_actions(page, server):
    number = _order_running(server, "Standard provisioning")
    login(page, "operator")
    page.goto(f"/orders/{number}?tab=provisioning")
    actions = page.locator("#order-actions")
    credit = actions.locator("[data-action='Check customer credit']")
    expect(credit).to_have_attribute("data-status", "open")
    credit.get_by_role("button", name="Process").click()
    expect(credit).to_have_attribute("data-status", "done")
    review = actions.locator("[data-action='Review service address']")
    review.get_by_role("button", name="Skip").click()
    expect(review).to_have_attribute("data-status", "skipped")
    expect(actions.locator("[data-action='Provision service']")).to_have_attribute("data-status", "open")
    # the step "Order Review" is finished (processed or skipped): the order follows its queue to Execution
    with Session(create_engine(server.db_url)) as s:
        assert s.exec(select(Order.phase).where(Order.number == number)).one() == "execution"


def test_confirm_order_action_moves_the_order_to_execution(page, server):
    number = _order_running(server, "Standard provisioning", index=1)
    login(page, "support")
    page.goto(f"/orders/{number}?tab=provisioning")
    actions = page.locator("#order-actions")
    actions.locator("[data-action='Check customer credit']").get_by_role("button", name="Process").click()
    expect(actions.locator("[data-action='Check customer credit']")).to_have_attribute("data-status", "done")
    actions.locator("[data-action='Review service address']").get_by_role("button", name="Process").click()
    page.get_by_role("tab", name="History", exact=True).click()
    expect(page.locator("#order-timeline")).to_contain_text("Order confirmed by task “Review service address”")
    page.get_by_role("tab", name="Overview", exact=True).click()
    expect(page.locator("#order-history").get_by_role("row").first).to_contain_text("Provisioning")
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
        row = actions.locator(f"[data-action='{name}']")
        row.get_by_role("button", name=button).click()
        expect(row).not_to_have_attribute("data-status", "open")

    act("Customer order confirmation", "Process")
    act("LNP request", "Process")
    act("Carrier confirmation", "Skip")
    act("Billing completion", "Process")
    expect(page.get_by_text("complete", exact=True)).to_be_visible()
    # only the action left open on purpose ("phase can complete while task is open") can still be worked
    expect(actions.get_by_role("button", name="Process")).to_have_count(1)
    expect(actions.locator("[data-action='LNP escalation']").get_by_role("button", name="Process")).to_be_visible()
    expect(page.get_by_text("Customer Validation", exact=True).first).to_be_visible()

    page.get_by_role("button", name="Move to Canceled").click()
    page.get_by_label("Comment (required)").fill("Customer withdrew")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("tab", name="History", exact=True).click()
    expect(page.locator("#order-timeline")).to_contain_text("Customer withdrew")
    expect(page.locator("#order-timeline")).to_contain_text("“LNP escalation” canceled (order canceled)")
    expect(page.get_by_role("button", name=re.compile("^(Move to|Approve|Reopen)"))).to_have_count(0)
    page.reload()
    expect(page.get_by_role("button", name=re.compile("^(Move to|Approve|Reopen)"))).to_have_count(0)


def test_a_move_the_queue_has_not_reached_is_refused_and_skipping_moves_the_order(page, server):
    number = _order_running(server, "Standard provisioning", index=2)
    login(page, "operator")
    page.goto(f"/orders/{number}?tab=provisioning")
    page.get_by_role("button", name="Move to Execution").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(re.compile("has not reached Execution.*skip the remaining actions of “Order Review”"))
           ).to_be_visible()
    with Session(create_engine(server.db_url)) as s:
        assert s.exec(select(Order.phase).where(Order.number == number)).one() == "planning"
    page.locator("#skip-remaining").click()
    expect(page.get_by_role("dialog")).to_contain_text("The order moves to Execution")
    page.screenshot(path="/tmp/process-skip-offer.png", full_page=True)
    page.locator("#confirm-skip").click()
    expect(page.locator("[data-step='Provisioning']")).to_have_attribute("data-state", "current")
    expect(page.locator("[data-action='Check customer credit']")).to_have_attribute("data-status", "skipped")
    with Session(create_engine(server.db_url)) as s:
        assert s.exec(select(Order.phase).where(Order.number == number)).one() == "execution"
    page.screenshot(path="/tmp/process-after-skip.png", full_page=True)


@pytest.mark.clock_jump
def test_a_24_hour_wait_shows_its_countdown_refuses_processing_and_completes_by_itself(page, server):
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from ordertrack.db.models import Customer, User
    from ordertrack.domain import process as p
    from ordertrack.domain import process_edit as e
    from ordertrack.domain.calendar import BusinessCalendar
    from ordertrack.services import intake, process_design
    from ordertrack.services.accounts import principal_of

    offset = float(Path(server.env["ORDERTRACK_CLOCK_FILE"]).read_text() or 0)
    now = datetime.now(UTC) + timedelta(hours=offset)
    with Session(create_engine(server.db_url)) as s:
        admin = principal_of(s.exec(select(User).where(User.role == "admin")).first())
        pid = process_design.create_process(s, principal=admin, name="Carrier wait", type="Order", now=now)
        process_design.edit(s, principal=admin, process_id=pid, now=now, change=lambda d: e.upsert_task(e.upsert_task(
            e.add_phase(e.add_phase(d, "Wait for the carrier"), "Install"), "ph1",
            p.TaskDef("", "Carrier wait", type=p.TaskType.WAIT_24H, group="Voice",
                      subject="Wait for the carrier's confirmation",
                      on_complete=p.OnComplete.CONFIRM_ORDER)), "ph2", p.TaskDef("", "Install", group="Voice")))
        process_design.set_service_types(s, principal=admin, process_id=pid, service_types="colocation")
        process_design.activate(s, principal=admin, process_id=pid, now=now)
        customer = s.exec(select(Customer).order_by(Customer.id)).first()
        number = intake.create_order(s, customer_id=customer.id, name="Rack in Docklands", service_type="colocation",
                                     items=[("colocation", "Half rack")], now=now, calendar=BusinessCalendar(),
                                     source="test").number
        s.commit()
    login(page, "operator")
    page.goto(f"/orders/{number}?tab=provisioning")
    wait = page.locator("[data-action='Carrier wait']")
    expect(wait).to_contain_text("Wait for the carrier's confirmation")
    expect(wait).to_contain_text(re.compile(r"Completes by itself \d{4}-\d\d-\d\d \d\d:\d\d \(in 23 h"))
    page.screenshot(path="/tmp/process-task-view.png", full_page=True)
    expect(wait.get_by_role("button", name="Process")).to_be_disabled()  # the service refuses it too
    expect(wait).to_have_attribute("data-status", "open")

    server.advance_clock(25)  # the scheduler's next sweep sees the wait over

    expect(wait).to_have_attribute("data-status", "done", timeout=15_000)  # pushed to the open page
    expect(wait).to_contain_text("Done by System")
    page.get_by_role("tab", name="Overview", exact=True).click()
    expect(page.locator("#order-history")).to_contain_text("the 24-hour wait ended: completed by itself")
    expect(page.locator("[data-step='Install']")).to_have_attribute("data-state", "current")
    with Session(create_engine(server.db_url)) as s:
        assert s.exec(select(Order.phase).where(Order.number == number)).one() == "execution"


def test_operator_changes_a_step_and_cancels_one_action_which_holds_the_order(page, server):
    number = _order_running(server, "Standard provisioning", index=3)
    login(page, "operator")
    page.goto(f"/orders/{number}?tab=provisioning")
    review = page.locator("[data-action='Review service address']")
    review.get_by_label("Step").select_option("In Progress")
    _history_shows(page, "“Review service address”: step Not Started → In Progress")
    credit = page.locator("[data-action='Check customer credit']")
    credit.get_by_role("button", name="Cancel action").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Cancel “Check customer credit”?")
    expect(dialog).to_contain_text("The order is put on hold.")
    page.locator("#confirm-cancel").click()
    expect(credit).to_have_attribute("data-status", "canceled")
    expect(credit).to_contain_text(re.compile(r"Canceled by Olivia Operator, \d{4}-\d\d-\d\d \d\d:\d\d"))
    _history_shows(page, "Order put on hold by task “Check customer credit”")


def _history_shows(page, text: str) -> None:
    """The order's recent changes (Overview tab) include ``text``; back to the Provisioning tab."""
    page.get_by_role("tab", name="Overview", exact=True).click()
    expect(page.locator("#order-history")).to_contain_text(text)
    page.get_by_role("tab", name="Provisioning", exact=True).click()


def test_a_group_task_is_refused_to_a_non_member(page, server):
    number = _order_running(server, "Standard provisioning", index=4)
    login(page, "techsupport")  # a member of Support only; "Check customer credit" belongs to Sales
    page.goto(f"/orders/{number}?tab=provisioning")
    credit = page.locator("[data-action='Check customer credit']")
    expect(credit).to_contain_text("Assigned to Sales (group)")
    credit.get_by_role("button", name="Process").click()
    expect(page.get_by_text("Only members of group “Sales”, the assignee or a manager may work on "
                            "“Check customer credit”.")).to_be_visible()
    expect(credit).to_have_attribute("data-status", "open")


def test_customers_see_no_staff_names_in_order_actions(page, server):
    login(page, "customer")
    page.goto("/board")
    page.locator("#column-planning [data-testid=order-card]").first.click()
    expect(page.locator("#order-number")).to_be_visible()
    expect(page.get_by_text("Order Actions")).to_have_count(0)
    expect(page.locator("[data-action]")).to_have_count(0)
