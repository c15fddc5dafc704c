"""Service types as data in Chromium (issue #16.5): an administrator adds a service type on
Settings → Service types, a designer routes an order queue to it, the public order form offers
it (in Russian too) and a new order of that type lands in that queue; a type no longer offered
leaves the form, and other roles are refused the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _queue_without_types(server) -> int:
    """An active order queue with one step, routed nowhere yet (made through the services)."""
    from ordertrack.db.models import User
    from ordertrack.domain import process as p
    from ordertrack.domain import process_edit as e
    from ordertrack.services import process_design
    from ordertrack.services.accounts import principal_of

    now = datetime.now(UTC) + timedelta(hours=float(Path(server.env["ORDERTRACK_CLOCK_FILE"]).read_text() or 0))
    with Session(create_engine(server.db_url)) as s:
        admin = principal_of(s.exec(select(User).where(User.role == "admin")).first())
        operator = s.exec(select(User.id).where(User.username == "operator")).one()
        pid = process_design.create_process(s, principal=admin, name="Sky queue", type="Order", now=now)
        process_design.edit(s, principal=admin, process_id=pid, now=now, change=lambda d: e.upsert_task(
            e.add_phase(d, "Point the dish"), "ph1", p.TaskDef("", "Align the dish", user_id=operator)))
        process_design.activate(s, principal=admin, process_id=pid, now=now)
        s.commit()
    return pid


def _queue_of(server, number: str) -> str:
    from ordertrack.db.models import Order
    from ordertrack.services import process_run

    with Session(create_engine(server.db_url)) as s:
        order_id = s.exec(select(Order.id).where(Order.number == number)).one()
        return process_run.run_view(s, entity_kind="order", entity_id=order_id).process_name


def test_admin_adds_a_type_a_designer_routes_a_queue_to_it_and_its_orders_land_there(browser, server):
    pid = _queue_without_types(server)
    contexts = [browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, **kw)
                for kw in ({}, {}, {}, {"locale": "ru-RU"})]
    admin, designer, visitor, russian = (c.new_page() for c in contexts)
    try:
        login(admin, "admin")
        admin.locator("#nav-bar").get_by_role("link", name="Service types", exact=True).click()
        expect(admin.get_by_role("heading", name="Service types")).to_be_visible()
        form = admin.locator("#st-add")
        form.get_by_label("Key").fill("satellite")
        form.get_by_label("English name").fill("Satellite link")
        form.get_by_label("Russian name").fill("Спутниковый канал")
        form.get_by_role("button", name="Add service type").click()
        row = admin.locator("[data-key='satellite']")
        expect(row).to_be_visible()
        expect(row).to_contain_text("orders: 0, processes: 0")
        # a key that exists is refused, with the reason
        form.get_by_label("Key").fill("server")
        form.get_by_label("English name").fill("Again")
        form.get_by_role("button", name="Add service type").click()
        expect(admin.get_by_text("Service type “server” already exists.")).to_be_visible()

        login(designer, "manager")
        designer.goto(f"/settings/processes/{pid}")
        box = designer.locator("#service-types").get_by_role("checkbox", name="Satellite link")
        expect(box).to_be_visible()
        box.click()
        designer.get_by_role("button", name="Save", exact=True).first.click()
        expect(designer.get_by_text("Saved.")).to_be_visible()
        expect(designer.locator("#service-types").get_by_role("checkbox", name="Satellite link")).to_be_checked()

        russian.goto("/order-form")
        expect(russian.locator("#of-service option[value='satellite']")).to_have_text("Спутниковый канал")

        visitor.goto("/order-form")
        visitor.locator("#of-service").select_option("satellite")
        visitor.get_by_role("button", name="Next").click()
        visitor.get_by_label("Company").fill("Orbit Ltd")
        visitor.get_by_label("E-mail").fill("ops@orbit.example")
        visitor.get_by_role("button", name="Next").click()
        expect(visitor.locator("#of-review")).to_contain_text("Satellite link")
        visitor.get_by_role("button", name="Place order").click()
        expect(visitor.locator("#of-done")).to_contain_text("has been received")
        number = re.search(r"SO-\d+", visitor.locator("#of-done").inner_text()).group(0)
        assert _queue_of(server, number) == "Sky queue"

        admin.reload()
        row = admin.locator("[data-key='satellite']")
        expect(row).to_contain_text("orders: 1, processes: 1")
        expect(row.get_by_role("button", name="Delete satellite")).to_have_count(0)  # in use: deactivate
        row.get_by_label("Offered: satellite").select_option("off")
        row.get_by_role("button", name="Save").click()
        expect(admin.get_by_text("Saved.")).to_be_visible()
        visitor.goto("/order-form")
        expect(visitor.locator("#of-service option[value='hosting']")).to_have_count(1)
        expect(visitor.locator("#of-service option[value='satellite']")).to_have_count(0)
    finally:
        for c in contexts:
            c.close()


def test_other_roles_are_refused_the_service_types_page(page):
    login(page, "manager")
    page.goto("/settings/service-types")
    expect(page.locator("#page-refused")).to_contain_text("You don't have access to this page.")
    expect(page.locator("#st-add")).to_have_count(0)
