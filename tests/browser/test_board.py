"""Track My Orders in Chromium: tenancy, live updates across browsers, approval, drag, Closed tab."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Order, User
from ordertrack.db.process_models import Process, ProcessRun, ProcessVersion, TaskInstance
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _orders(server, username: str, phase: str) -> list[str]:
    engine = create_engine(server.db_url)
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return list(s.exec(select(Order.number).where(Order.customer_id == user.customer_id, Order.phase == phase)
                            .order_by(Order.number)))


def _phase(server, number: str) -> str:
    with Session(create_engine(server.db_url)) as s:
        return s.exec(select(Order.phase).where(Order.number == number)).one()


def _card(page, column: str, number: str):
    return page.locator(f"#column-{column} [data-number='{number}']")


def test_customer_board_has_the_four_columns_and_only_own_cards(page, server):
    login(page, "customer")
    page.goto("/board")
    for title in ("Planning and Provisioning", "Execution", "Customer Validation", "Canceled / Closed"):
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    own = set()
    for phase in ("planning", "execution", "validation"):
        own |= set(_orders(server, "customer", phase))
    expect(page.locator("[data-testid=order-card]").first).to_be_visible()
    shown = set(page.locator("[data-testid=order-card]").evaluate_all("els => els.map(e => e.dataset.number)"))
    assert shown - set(_orders(server, "customer", "closed")) - set(_orders(server, "customer", "canceled")) <= own
    assert shown, "the customer should see its orders"
    # customers get no staff filters and cannot drag
    expect(page.get_by_label("Owner")).to_have_count(0)
    assert page.locator("[data-drag-number]:not([data-drag-number=''])").count() == 0


def test_a_move_by_staff_appears_on_the_customers_open_board_without_reload(browser, server):
    number = _orders(server, "customer", "planning")[0]
    customer = browser.new_context(base_url=server.url)
    staff = browser.new_context(base_url=server.url)
    try:
        cpage, spage = customer.new_page(), staff.new_page()
        login(cpage, "customer")
        cpage.goto("/board")
        expect(_card(cpage, "planning", number)).to_be_visible()
        login(spage, "operator")
        spage.goto(f"/orders/{number}?tab=provisioning")
        spage.locator("#skip-remaining").click()  # the queue moves the order on (#18.1)
        spage.locator("#confirm-skip").click()
        spage.get_by_role("tab", name="Overview", exact=True).click()
        expect(spage.locator("#order-history").get_by_role("row").first).to_contain_text("Execution")
        expect(_card(cpage, "execution", number)).to_be_visible(timeout=3000)
        expect(_card(cpage, "planning", number)).to_have_count(0)
    finally:
        customer.close()
        staff.close()


def test_customer_approves_an_order_in_validation(page, server):
    number = _orders(server, "customer", "validation")[0]
    login(page, "customer")
    page.goto("/board")
    _card(page, "validation", number).click()
    expect(page.locator("#order-number")).to_have_text(number)
    page.get_by_role("button", name="Approve").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#order-history").get_by_role("row").first).to_contain_text("Closed")
    assert _phase(server, number) == "closed"
    page.goto("/board")
    expect(_card(page, "done", number)).to_be_visible()


def _actions(server, number: str, ids=None) -> dict[int, str]:
    """Status by id of the given actions of the order's queue (default: the open ones of its step)."""
    with Session(create_engine(server.db_url)) as s:
        run = s.exec(select(ProcessRun).join(Order, Order.id == ProcessRun.entity_id)
                     .where(ProcessRun.entity_kind == "order", Order.number == number)
                     .order_by(ProcessRun.id.desc())).first()
        query = select(TaskInstance.id, TaskInstance.status).where(TaskInstance.run_id == run.id)
        query = query.where(TaskInstance.id.in_(list(ids))) if ids is not None else query.where(
            TaskInstance.phase_id == run.phase_id, TaskInstance.status == "open")
        return dict(s.exec(query).all())


def test_staff_drags_a_card_to_the_next_column(page, server):
    with Session(create_engine(server.db_url)) as s:  # the oldest planning order of the standard queue
        number = s.exec(
            select(Order.number).join(ProcessRun, (ProcessRun.entity_id == Order.id) & (ProcessRun.entity_kind == "order"))
            .join(ProcessVersion, ProcessVersion.id == ProcessRun.process_version_id)
            .join(Process, Process.id == ProcessVersion.process_id)
            .where(Process.name == "Standard provisioning", ProcessRun.status == "running", Order.phase == "planning")
            .order_by(Order.id)).first()
    review = _actions(server, number)  # the open actions of its queue's current step, Order Review
    assert review and set(review.values()) == {"open"}
    login(page, "support")
    page.goto("/board")
    page.get_by_label("Search orders").fill(number)
    card = _card(page, "planning", number)
    expect(card).to_be_visible()
    expect(page.locator("[data-testid=order-card]")).to_have_count(1)
    card.drag_to(page.locator("#column-execution"))
    # one truth (#18.1): the order's queue has not reached Execution, so the board offers the skip
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Skip the remaining actions of “Order Review”? The order moves to Execution.")
    dialog.get_by_role("button", name="Keep working").click()
    expect(dialog).to_have_count(0)
    assert _phase(server, number) == "planning", "nothing moves until confirmed"
    card.drag_to(page.locator("#column-execution"))
    page.screenshot(path="/tmp/board2-skip.png")
    page.get_by_role("button", name="Skip them").click()
    expect(_card(page, "execution", number)).to_be_visible()
    expect(_card(page, "planning", number)).to_have_count(0)
    assert _phase(server, number) == "execution"
    assert set(_actions(server, number, review).values()) == {"skipped"}


def test_dragging_to_a_move_that_needs_a_comment_asks_for_it(page, server):
    number = _orders(server, "customer", "execution")[0]
    login(page, "operator")
    page.goto("/board")
    page.get_by_label("Search orders").fill(number)
    expect(page.locator("[data-testid=order-card]")).to_have_count(1)
    _card(page, "execution", number).drag_to(page.locator("#column-planning"))
    expect(page.get_by_text("Comment (required)")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("A comment is required for this change.")).to_be_visible()
    page.get_by_label("Comment (required)").fill("Carrier date slipped, re-planning")
    page.get_by_role("button", name="Confirm").click()
    expect(_card(page, "planning", number)).to_be_visible()


def test_closed_tab_lists_and_searches_closed_orders(page, server):
    closed = _orders(server, "customer", "closed")
    login(page, "customer")
    page.goto("/board")
    page.get_by_role("tab", name="Closed").click()
    table = page.locator("#closed-table")
    expect(table).to_be_visible()
    expect(page.get_by_text(re.compile(r"Page 1 of \d+"))).to_be_visible()
    page.get_by_label("Search orders").fill(closed[0])
    expect(table.get_by_role("link")).to_have_count(1)
    expect(table.get_by_role("link")).to_have_text(closed[0])


def _other_tenants_order(server, username: str, phase: str) -> str:
    """An order in ``phase`` of any customer but ``username``'s (left for that user's tests)."""
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return s.exec(select(Order.number).where(Order.customer_id != user.customer_id, Order.phase == phase)
                      .order_by(Order.number)).first()


def test_support_records_an_approval_by_telephone_on_the_customers_behalf(page, server):
    number = _other_tenants_order(server, "customer", "validation")
    login(page, "support")
    page.goto(f"/orders/{number}")
    page.get_by_role("button", name="Approve").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("How did the customer approve?")).to_be_visible()
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog.get_by_role("alert")).to_contain_text("by e-mail or by telephone")
    assert _phase(server, number) == "validation", "nothing changes until support says how"
    dialog.get_by_role("radio", name="By telephone").click()
    dialog.get_by_label("Comment (optional)").fill("Called the IT manager")
    dialog.get_by_role("button", name="Confirm").click()
    first = page.locator("#order-history").get_by_role("row").first
    expect(first).to_contain_text("Customer approved by telephone")
    expect(first).to_contain_text("Called the IT manager")
    assert _phase(server, number) == "closed"


def test_dragging_to_closed_asks_support_how_the_customer_approved(page, server):
    number = _other_tenants_order(server, "customer", "validation")
    login(page, "support")
    page.goto("/board")
    page.get_by_label("Search orders").fill(number)
    card = _card(page, "validation", number)
    expect(page.locator("[data-testid=order-card]")).to_have_count(1)
    card.drag_to(page.locator("#column-done"))
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("radio", name="By e-mail").click()
    dialog.get_by_role("button", name="Confirm").click()
    expect(_card(page, "done", number)).to_be_visible()
    assert _phase(server, number) == "closed"


def _closed_since(server, username: str) -> list[tuple[str, object]]:
    """(number, phase_since) of the user's closed orders, oldest change first."""
    with Session(create_engine(server.db_url)) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return list(s.exec(select(Order.number, Order.phase_since)
                           .where(Order.customer_id == user.customer_id, Order.phase == "closed")
                           .order_by(Order.phase_since)).all())


def test_order_closed_more_than_a_month_ago_is_only_in_the_closed_tab(page, server):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC).replace(tzinfo=None)
    closed = _closed_since(server, "customer")
    old = next(n for n, since in closed if since.replace(tzinfo=None) < now - timedelta(days=31))
    recent = next(n for n, since in reversed(closed) if since.replace(tzinfo=None) > now - timedelta(days=29))
    login(page, "customer")
    page.goto("/board")
    search = page.get_by_label("Search orders")
    search.fill(recent)
    expect(_card(page, "done", recent)).to_be_visible()  # control: a recent one is on the board
    search.fill(old)
    expect(_card(page, "done", recent)).to_have_count(0)
    expect(page.locator("[data-testid=order-card]")).to_have_count(0)
    page.get_by_role("tab", name="Closed").click()
    expect(page.locator("#closed-table").get_by_role("link", name=old)).to_be_visible()


@pytest.mark.clock_jump
def test_two_days_later_the_open_board_shows_the_order_approved_automatically(page, server):
    number = _orders(server, "customer", "validation")[0]
    login(page, "customer")
    page.goto("/board")
    page.get_by_label("Search orders").fill(number)
    expect(_card(page, "validation", number)).to_be_visible()
    expect(_card(page, "validation", number)).to_contain_text("auto-approves in")

    server.advance_clock(49)  # the scheduler's next sweep sees the 2-day deadline passed

    card = _card(page, "done", number)
    expect(card).to_be_visible(timeout=10_000)  # pushed to the open board, no reload
    expect(card).to_contain_text("Closed")
    assert _phase(server, number) == "closed"
    card.click()
    expect(page.locator("#order-history").get_by_role("row").first).to_contain_text(
        "approved automatically after 2 days")


def test_a_long_column_shows_25_cards_then_25_more_on_request(page, server):
    with Session(create_engine(server.db_url)) as s:
        execution = len(s.exec(select(Order.id).where(Order.phase == "execution")).all())
    assert execution > 50, "the demo data should give staff a long Execution column"
    login(page, "manager")
    page.goto("/board")
    column = page.locator("#column-execution")
    cards = column.locator("[data-testid=order-card]")
    expect(cards).to_have_count(25)
    expect(column).to_contain_text(str(execution))  # the column's total
    column.get_by_role("button", name="Show more").click()
    expect(cards).to_have_count(50)
