"""The process designer in Chromium (administrator): build a process, see what blocks its
activation, fix it, activate, and see the graph; deleting a phase with tasks asks first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_admin_designs_validates_and_activates_a_process(page):
    login(page, "admin")
    page.goto("/settings/processes")
    expect(page.get_by_role("link", name="Standard provisioning")).to_be_visible()
    page.get_by_label("Process name").fill("Dedicated server build")
    page.get_by_role("button", name="New Process").click()
    page.wait_for_url(re.compile(r"/settings/processes/\d+$"))
    expect(page.locator("#process-name")).to_have_text("Dedicated server build")
    expect(page.locator("#process-problems")).to_contain_text("Add at least one phase.")

    for name in ("Inventory Management", "Build", "Handover"):
        page.get_by_label("New phase name").fill(name)
        page.get_by_role("button", name="Add New Phase").click()
        expect(page.locator(f"[data-phase='{name}']")).to_be_visible()
    problems = page.locator("#process-problems")
    expect(problems).to_contain_text("Phase “Build” has no tasks, so it has no way forward.")

    for phase in ("Inventory Management", "Build", "Handover"):
        page.locator(f"[data-phase='{phase}']").get_by_role("button", name="Add task").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Task name").fill(f"{phase} task")
        if phase == "Handover":
            dialog.get_by_label("On task completion").select_option("Complete order")
        dialog.get_by_role("button", name="Save task").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
    expect(problems).to_contain_text("has no assignee and the process has no auto-assign")
    problems.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"#task-t\d+$"))

    page.get_by_label("Auto assign: user group").fill("Datacenter")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#process-problems")).to_have_count(0)
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("version 1", exact=True)).to_be_visible()
    expect(page.locator("#process-graph")).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))

    page.locator("[data-phase='Build']").get_by_role("button", name="Delete phase").click()
    expect(page.get_by_text("Delete phase “Build”?")).to_be_visible()
    page.get_by_role("button", name="Keep it").click()
    expect(page.locator("[data-phase='Build']")).to_be_visible()
    page.locator("[data-phase='Build']").get_by_role("button", name="Move phase up").click()
    expect(page.locator("[data-phase]").first).to_have_attribute("data-phase", "Build")
    expect(page.get_by_text("changed since activation")).to_be_visible()
    page.get_by_role("button", name="Activate new version").click()
    expect(page.get_by_text("version 2", exact=True)).to_be_visible()


def test_operator_cannot_open_the_designer(page):
    login(page, "operator")
    page.goto("/settings/processes")
    expect(page.locator("#page-refused")).to_contain_text("You don't have access to this page.")
    expect(page.get_by_text("No processes yet: create the first one.")).to_have_count(0)
    expect(page.get_by_role("button", name="New Process")).to_have_count(0)
