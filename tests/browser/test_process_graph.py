"""The editable process graph (React Flow) in Chromium: phases added with the forms appear as
nodes (red while they have problems), connecting two nodes adds a route through the route dialog,
and clicking a route deletes it after asking."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _drag(page, source, target) -> None:
    source.hover()
    page.mouse.down()
    b = target.bounding_box()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=20)
    page.mouse.up()


def test_build_a_process_on_the_graph(page):
    login(page, "admin")
    page.goto("/settings/processes")
    page.get_by_label("Process name").fill("Graph built process")
    page.get_by_role("button", name="New Process").click()
    page.wait_for_url(re.compile(r"/settings/processes/\d+$"))
    for name in ("Survey", "Install"):
        page.get_by_label("New phase name").fill(name)
        page.get_by_role("button", name="Add New Phase").click()
        expect(page.locator(f"[data-phase='{name}']")).to_be_visible()
    graph = page.locator("#process-graph")
    survey = graph.locator(".react-flow__node", has_text="Survey")
    install = graph.locator(".react-flow__node", has_text="Install")
    expect(survey).to_be_visible()
    expect(install).to_contain_text("0 tasks")
    # Phases without tasks are problems: drawn in red.
    expect(graph.locator(".react-flow__node.problem")).to_have_count(2)

    # Install → Survey on the graph: the route dialog asks for the description.
    _drag(page, install.locator(".react-flow__handle.source"), survey.locator(".react-flow__handle.target"))
    page.screenshot(path="/tmp/graph-drag.png", full_page=True)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Route from “Install” to “Survey”.")
    dialog.get_by_placeholder("Description").fill("Back to survey")
    dialog.get_by_role("button", name="Add route").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    label = graph.locator(".react-flow__edge-text", has_text="Back to survey")
    expect(label).to_be_visible()
    page.screenshot(path="/tmp/process-graph.png", full_page=True)

    # Click the route: asked first, then deleted.
    label.click()
    expect(page.get_by_text("Delete route “Back to survey”?")).to_be_visible()
    page.get_by_role("button", name="Keep it").click()
    expect(label).to_be_visible()
    label.click()
    page.get_by_role("button", name="Yes, go ahead").click()
    expect(graph.locator(".react-flow__edge-text", has_text="Back to survey")).to_have_count(0)

    # Drag a phase aside: its place is kept in the draft (still there after a reload).
    page.wait_for_timeout(500)  # the graph redraws after the deletion
    install.hover(position={"x": 20, "y": 10})
    box = install.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 10)
    page.mouse.down()
    page.mouse.move(box["x"] + 220, box["y"] + 10, steps=15)
    page.mouse.up()
    expect(page.get_by_text("changed since activation")).to_have_count(0)  # never activated: still a draft
    page.wait_for_timeout(1000)
    page.reload()
    survey_box = graph.locator(".react-flow__node", has_text="Survey").bounding_box()
    install_box = graph.locator(".react-flow__node", has_text="Install").bounding_box()
    assert install_box["x"] - survey_box["x"] > 50
