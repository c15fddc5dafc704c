"""Every page a role may not use says so instead of rendering (issue #16): the frame shows the
"no access" panel with the pages the role can use, no table or form of the page, and no toast
over an empty page; following a link from the panel shows that page normally."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

import ordertrack.ordertrack as app_module
from ordertrack.auth import GUARD_ATTR, NAV
from ordertrack.db.models import User
from ordertrack.db.process_models import Process
from ordertrack.domain.roles import Role
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PAGE_CONTENT = "main table, main form, main input, main select, main textarea, main [role=tab]"
# Roles whose refusal the issue names; any other restricted page gets the first demo role it refuses.
PREFERRED = {"/settings/processes": "operator", "/settings/processes/[pid]": "operator", "/outbox": "operator",
             "/wall": "customer", "/failures": "customer", "/manager": "customer"}


def _restricted_pages() -> dict[str, frozenset]:
    """Route -> the roles its page handler admits, for every page that admits only some roles."""
    pages = {}
    for route, handlers in app_module.app._load_events.items():
        for handler in handlers:
            rules = getattr(handler.fn, GUARD_ATTR, {})
            if rules.get("page") and rules["roles"]:
                pages["/" + route if route != "index" else "/"] = rules["roles"]
    return pages


def _walk(server) -> list[tuple[str, Role, str, str]]:
    """(username, role, route, url) for each restricted page and a demo user it refuses."""
    with Session(create_engine(server.db_url)) as s:
        users = {u.username: Role(u.role) for u in s.exec(select(User))}
        pid = s.exec(select(Process.id)).first()
    walk = []
    for route, admitted in sorted(_restricted_pages().items()):
        user = PREFERRED.get(route)
        if user is None or users[user] in admitted:
            user = next(name for name, role in users.items() if role not in admitted and role is not Role.SYSTEM)
        walk.append((user, users[user], route, route.replace("[pid]", str(pid))))
    return walk


def test_the_walk_covers_the_pages_the_issue_names():
    routes = set(_restricted_pages())
    assert {"/settings/processes", "/settings/processes/[pid]", "/outbox", "/wall", "/failures", "/manager",
            "/settings/urgency", "/settings/notifications", "/overdue", "/clients", "/objects"} <= routes
    assert "/board" not in routes and "/orders" not in routes  # every role uses these


def test_every_restricted_page_refuses_instead_of_rendering(browser, server):
    walk = _walk(server)
    contexts = {}
    try:
        for user, role, route, url in walk:
            if user not in contexts:
                contexts[user] = browser.new_context(base_url=server.url).new_page()
                login(contexts[user], user)
            page = contexts[user]
            page.goto(url)
            panel = page.locator("#page-refused")
            expect(panel, f"{user} on {route}").to_be_visible()
            expect(panel).to_contain_text("You don't have access to this page.")
            expect(page.locator(PAGE_CONTENT), f"{user} on {route} sees page content").to_have_count(0)
            expect(page.get_by_text("You are not allowed to do that.")).to_have_count(0)
            expect(page.locator("#shell-role")).to_have_text(role.label)  # the shell still says who is here
            # what the role can do instead: its own pages, and the way home
            for label, _href in NAV[role]:
                expect(panel.get_by_role("link", name=label, exact=True)).to_be_visible()
            expect(panel.get_by_role("link", name="Back to home")).to_have_attribute("href", "/")
    finally:
        for page in contexts.values():
            page.context.close()


def test_a_link_from_the_panel_opens_that_page(page):
    login(page, "customer")
    page.goto("/wall")
    panel = page.locator("#page-refused")
    expect(panel).to_be_visible()
    panel.get_by_role("link", name="All orders", exact=True).click()
    expect(page.locator("#orders-total")).to_be_visible()
    expect(page.locator("#page-refused")).to_have_count(0)
    page.go_back()  # back on the refused page: refused again, not the orders list
    expect(page.locator("#page-refused")).to_be_visible()
    expect(page.locator("main table")).to_have_count(0)


def test_a_role_that_may_use_the_page_sees_it(page):
    login(page, "admin")
    page.goto("/outbox")
    expect(page.locator("#outbox-route")).to_be_visible()
    expect(page.locator("#page-refused")).to_have_count(0)
    page.goto("/wall")
    expect(page.get_by_role("heading", name="Object wall")).to_be_visible()
    expect(page.locator("#page-refused")).to_have_count(0)
