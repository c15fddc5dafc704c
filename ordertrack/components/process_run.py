"""A process running on a work item (a service request, a ticket): its name and status, its
tasks with Process and Skip for the open ones, and the form that starts one. Components take
Vars or plain values, never a State class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from ordertrack.components.forms import hidden, inline_form, select
from ordertrack.i18n import N_
from ordertrack.i18n.ui import T


def run_badge(process: rx.Var) -> rx.Component:
    """"<process>: <status>" of the item's run; nothing when none runs."""
    return rx.cond(process != "", rx.badge(process, variant="soft", color_scheme="indigo"))


def task_lines(tasks: rx.Var, *, owner_key: str, owner: rx.Var, on_process: Callable[[rx.Var], Any],
               on_skip: Callable[[rx.Var], Any]) -> rx.Component:
    """The tasks (a list Var of ``{"id", "name", "status", "open", owner_key}``) whose
    ``owner_key`` is ``owner``: name, status, and Process / Skip on the open ones
    (``on_process(task_id)``, ``on_skip(task_id)``)."""
    return rx.foreach(tasks, lambda k: rx.cond(
        k[owner_key] == owner,
        rx.hstack(
            rx.text(k["name"], size="2"), rx.badge(k["status"], variant="outline"),
            rx.cond(k["open"] == "1", rx.hstack(
                rx.button(T("Process"), size="1", on_click=on_process(k["id"])),
                rx.button(T("Skip"), size="1", variant="soft", on_click=on_skip(k["id"])))),
            align="center", data_task=k["name"],
        ),
    ))


def start_form(*, item_field: str, item_id: rx.Var, processes: rx.Var, label: Any, on_submit: Any) -> rx.Component:
    """Choose one of ``processes`` (a Var of ``{"id", "name"}``) and start it on the item; the
    form sends ``{item_field: item_id, "process_id": ...}``."""
    return inline_form(hidden(item_field, item_id), select("process_id", label, processes), on_submit=on_submit,
                       submit=N_("Start process"), align="start")
