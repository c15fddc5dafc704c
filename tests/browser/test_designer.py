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

    page.get_by_label("Auto assign: user group").select_option("Billing")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#process-problems")).to_have_count(0)
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("version 1", exact=True)).to_be_visible()
    expect(page.locator("#process-graph .react-flow__node.phase-node")).to_have_count(3)

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


def test_a_loop_with_no_way_to_completion_blocks_activation(page):
    login(page, "manager")
    page.goto("/settings/processes")
    page.get_by_label("Process name").fill("Endless review")
    page.get_by_role("button", name="New Process").click()
    page.wait_for_url(re.compile(r"/settings/processes/\d+$"))
    for name in ("Review", "Rework"):
        page.get_by_label("New phase name").fill(name)
        page.get_by_role("button", name="Add New Phase").click()
        card = page.locator(f"[data-phase='{name}']")
        expect(card).to_be_visible()
        card.get_by_role("button", name="Add task").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Task name").fill(f"{name} it")
        dialog.get_by_label("Assigned to (group)").select_option("Sales")
        dialog.get_by_role("button", name="Save task").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
    for source, target in (("Review", "Rework"), ("Rework", "Review")):
        card = page.locator(f"[data-phase='{source}']")
        card.get_by_label("Route description").fill(f"to {target}")
        card.get_by_label("Next phase").select_option(label=f"This process → {target}")
        card.get_by_role("button", name="Add route").click()
        expect(card).to_contain_text(f"to {target}")
    problems = page.locator("#process-problems")
    expect(problems).to_contain_text("From phase “Review” the process can never complete")
    expect(problems).to_contain_text("From phase “Rework” the process can never complete")
    expect(page.get_by_role("button", name="Activate")).to_be_disabled()
    problems.get_by_role("link", name=re.compile("From phase “Rework”")).click()
    expect(page).to_have_url(re.compile(r"#phase-ph2$"))
    page.screenshot(path="/tmp/designer-loop.png", full_page=True)


def test_user_groups_are_data_with_members(page):
    login(page, "admin")
    page.goto("/settings/processes")
    page.get_by_label("New group name").fill("Datacenter")
    page.locator("form").filter(has=page.get_by_label("New group name")).get_by_label("Ivan Installer").check()
    page.get_by_role("button", name="Add group").click()
    group = page.locator("[data-group='Datacenter']")
    expect(group).to_be_visible()
    expect(group.get_by_label("Ivan Installer")).to_be_checked()
    expect(group.get_by_label("Olivia Operator")).not_to_be_checked()
    page.screenshot(path="/tmp/designer-groups.png", full_page=True)
    group.get_by_role("button", name="Delete group").click()
    expect(page.get_by_text("Delete group “Datacenter”?")).to_be_visible()
    page.get_by_role("button", name="Delete group").last.click()
    expect(page.locator("[data-group='Datacenter']")).to_have_count(0)


def test_versions_diff_restore_confirmed_deletes_and_archive(page):
    login(page, "admin")
    page.goto("/settings/processes")
    page.get_by_label("Process name").fill("Rack and stack")
    page.get_by_role("button", name="New Process").click()
    page.wait_for_url(re.compile(r"/settings/processes/\d+$"))
    page.get_by_label("New phase name").fill("Install")
    page.get_by_role("button", name="Add New Phase").click()
    card = page.locator("[data-phase='Install']")
    card.get_by_role("button", name="Add task").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Task name").fill("Mount the rack")
    dialog.get_by_label("Assigned to (group)").select_option("Warehouse")
    dialog.get_by_role("button", name="Save task").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.locator("#service-types").get_by_label("Colocation").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("version 1", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Activate", exact=True)).to_be_disabled()  # active and unchanged

    card.get_by_label("Phase name").fill("Install and test")
    card.get_by_role("button", name="Rename").click()
    page.get_by_role("button", name="Activate new version").click()
    expect(page.get_by_text("version 2", exact=True)).to_be_visible()
    versions = page.locator("#versions")
    expect(versions.locator("[data-version]")).to_have_count(2)
    page.get_by_label("From", exact=True).select_option("1")
    page.get_by_label("Compare with", exact=True).select_option("2")
    page.get_by_role("button", name="Show differences").click()
    expect(page.locator("#version-diff")).to_contain_text("Phase renamed: “Install” → “Install and test”")

    versions.locator("[data-version='1']").get_by_role("button", name="Restore as new draft").click()
    page.locator("#confirm-yes").click()
    expect(page.locator("[data-phase='Install']")).to_be_visible()
    expect(page.get_by_text("changed since activation")).to_be_visible()

    page.locator("[data-phase='Install']").get_by_role("button", name="Delete task Mount the rack").click()
    expect(page.get_by_text("Delete task “Mount the rack”?")).to_be_visible()
    page.get_by_role("button", name="Keep it").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page.get_by_role("link", name="Mount the rack")).to_be_visible()
    page.screenshot(path="/tmp/designer-versions.png", full_page=True)

    page.get_by_role("button", name="Archive").click()
    page.locator("#confirm-yes").click()
    expect(page.get_by_text("Archived", exact=True)).to_be_visible()
    page.goto("/settings/processes")
    expect(page.locator("#archived-processes")).to_contain_text("Rack and stack")
