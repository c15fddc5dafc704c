"""A board card: number and name, status badge, owner and priority, time in phase, next deadline;
amber or red (left edge and tint) when its SLA clock is at a warning level or breached."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from ordertrack.components.status_badge import failed_mark, status_badge
from ordertrack.i18n.ui import T

PRIORITY_COLOURS = {"low": "gray", "normal": "blue", "high": "orange", "urgent": "red"}
DEADLINE_COLOURS = {"ok": "blue", "warning": "amber", "breached": "red"}
SLA_COLOURS = {"warning": "amber", "breached": "red"}  # the card's colour by its SLA level ("ok": plain)


@dataclass(frozen=True, slots=True)
class MoveMenu:
    """A card's "Move to…" menu, the keyboard's way to move it: ``targets`` (``column`` and
    ``label`` each) belong to the card numbered ``menu_for`` (loaded by ``on_open(number, open)``
    when the menu opens); ``on_choose`` gets the same form as a drop (number, version, column)."""

    targets: rx.Var
    menu_for: rx.Var
    on_open: Callable[[rx.Var, rx.Var], Any]
    on_choose: Callable[[Any], Any]


def move_menu(card: rx.Var, menu: MoveMenu) -> rx.Component:
    """The "Move to…" button (reachable with Tab) and its menu of the phases the card may move to."""
    ready = menu.menu_for == card["number"]
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(rx.icon("arrow-right-left", size=12), T("Move to…"), size="1", variant="soft",
                      aria_label=T("Move to… {number}", number=card["number"]), class_name="ot-card-action",
                      custom_attrs={"data-move-menu": card["number"]}),
        ),
        rx.menu.content(
            rx.cond(
                ready,
                rx.cond(
                    menu.targets.length() > 0,
                    rx.foreach(menu.targets, lambda t: rx.menu.item(
                        t["label"], custom_attrs={"data-move-target": t["column"]},
                        on_select=menu.on_choose({"number": card["number"], "version": card["version"],
                                                  "column": t["column"]}))),
                    rx.menu.item(T("No move from here"), disabled=True),
                ),
                rx.menu.item(T("Loading…"), disabled=True),
            ),
            size="1",
            aria_label=T("Move to…"),
        ),
        on_open_change=lambda open: menu.on_open(card["number"], open),
        modal=False,  # modal would aria-hide the page around the menu, focusable controls included (axe)
    )


def order_card(card: rx.Var, draggable: rx.Var | bool = False, menu: MoveMenu | None = None) -> rx.Component:
    """One order on the board; a click anywhere on the card opens the order page (its number is
    the link, stretched over the card), staff may drag it or move it with "Move to…" (``menu``).

    Long because: one declarative component tree that reads top to bottom as the card looks.
    """
    action = rx.cond(draggable, move_menu(card, menu)) if menu is not None else rx.fragment()
    return rx.box(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.link(card["number"], href=card["href"], weight="bold", size="2", underline="none",
                            color="inherit", class_name="ot-card-link", draggable=False,
                            aria_label=card["number"].to(str) + ": " + card["name"].to(str)),
                    failed_mark(card["failed"]),
                    rx.spacer(),
                    status_badge(card["status"], card["status_label"]),
                    width="100%",
                    align="center",
                ),
                rx.cond(
                    card["change"] != "",
                    rx.badge(rx.icon(rx.match(card["change"], ("closed", "circle-check"), "move-right"), size=12),
                             card["change_label"], variant="soft", size="1", data_testid="card-change",
                             custom_attrs={"data-change": card["change"]},
                             color_scheme=rx.match(card["change"], ("closed", "gray"), "amber")),
                ),
                rx.text(card["name"], size="2", trim="both"),
                rx.text(card["customer"], size="1", color_scheme="gray"),
                rx.hstack(
                    rx.badge(card["priority_label"], variant="soft", size="1", data_testid="card-priority",
                             color_scheme=rx.match(card["priority"], *PRIORITY_COLOURS.items(), "gray")),
                    rx.hstack(
                        rx.icon("user", size=12),
                        rx.text(rx.cond(card["owner"] != "", card["owner"], T("No owner")), size="1",
                                color_scheme="gray", data_testid="card-owner"),
                        align="center",
                        spacing="1",
                    ),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.hstack(
                    rx.icon("clock", size=12),
                    rx.text(T("{time} in {phase}", time=card["in_phase"], phase=card["phase"]), size="1",
                            color_scheme="gray"),
                    rx.spacer(),
                    action,
                    align="center",
                    spacing="1",
                    width="100%",
                ),
                rx.cond(
                    card["deadline"] != "",
                    rx.hstack(
                        rx.icon("timer", size=12),
                        rx.text(card["deadline"], size="1", weight="medium", data_testid="card-deadline"),
                        align="center",
                        spacing="1",
                        color=rx.match(card["deadline_level"],
                                       *((k, rx.color(v, 11)) for k, v in DEADLINE_COLOURS.items()),
                                       rx.color("blue", 11)),
                    ),
                ),
                spacing="1",
                width="100%",
            ),
            size="1",
            width="100%",
            class_name="ot-card",
            position="relative",
            border_left=rx.match(card["sla_level"],
                                 *((k, f"4px solid {rx.color(v, 9)}") for k, v in SLA_COLOURS.items()), "none"),
            background=rx.match(card["sla_level"], *((k, rx.color(v, 2)) for k, v in SLA_COLOURS.items()),
                                "var(--card-background-color)"),
            custom_attrs={"data-sla": card["sla_level"]},
        ),
        width="100%",
        data_number=card["number"],
        data_testid="order-card",
        draggable=draggable,
        custom_attrs={
            "data-drag-number": rx.cond(draggable, card["number"], ""),
            "data-drag-version": card["version"],
        },
    )


def selectable_card(card: rx.Var, draggable: rx.Var | bool, *, selecting: rx.Var, selected: rx.Var,
                    on_toggle: Callable[[rx.Var, rx.Var], Any], menu: MoveMenu | None = None) -> rx.Component:
    """The card, with a checkbox beside it while selecting for a bulk move (shift-click: a range)."""
    return rx.hstack(
        rx.cond(
            selecting,
            rx.el.input(type="checkbox", checked=selected.contains(card["number"]), read_only=True,
                        aria_label=T("Select {number}", number=card["number"]), data_testid="card-select",
                        on_click=lambda info: on_toggle(card["number"], info["shift_key"]),
                        style={"width": "18px", "height": "18px", "marginTop": "10px", "cursor": "pointer"}),
        ),
        order_card(card, draggable, menu),
        align="start",
        spacing="2",
        width="100%",
    )


def kanban_column(
    *, key: str, title: str | rx.Var, total: rx.Var, cards: rx.Var, on_more: rx.EventSpec,
    draggable: rx.Var | bool = False, header_extra: rx.Component | None = None,
    selecting: rx.Var | None = None, selected: rx.Var | None = None,
    on_toggle: Callable[[rx.Var, rx.Var], Any] | None = None, on_select_all: Any = None,
    note: rx.Component | None = None, menu: MoveMenu | None = None,
) -> rx.Component:
    """A column: title with the total (``header_extra`` in its place when given, e.g. count /
    WIP limit), its window of cards, and "Show more" when cut. With ``selecting`` (a Var), cards
    get checkboxes (``on_toggle(number, shift)``) and the header "Select all" (``on_select_all``).
    With ``menu``, each draggable card has a "Move to…" menu (see ``MoveMenu``)."""
    count = header_extra if header_extra is not None else rx.badge(
        total, variant="soft", color_scheme="gray", radius="full", data_testid="column-count")
    if selecting is not None and on_toggle is not None:
        def render(c):
            return selectable_card(c, draggable, selecting=selecting, selected=selected, on_toggle=on_toggle,
                                   menu=menu)
    else:
        def render(c):
            return order_card(c, draggable, menu)
    select_all = [] if selecting is None else [rx.cond(
        selecting & (total > 0),
        rx.button(T("Select all"), size="1", variant="ghost", on_click=on_select_all,
                  aria_label=T("Select all in {column}", column=title)),
    )]
    return rx.vstack(
        rx.hstack(
            rx.heading(T(title) if isinstance(title, str) else title, size="3"),
            count,
            align="center",
            justify="between",
            width="100%",
        ),
        *([note] if note is not None else []),
        *select_all,
        rx.cond(
            total == 0,
            rx.text(T("No orders here."), size="2", color_scheme="gray", padding_y="1em"),
            rx.vstack(rx.foreach(cards, render), spacing="2", width="100%"),
        ),
        rx.cond(
            cards.length() < total,
            rx.button(T("Show more"), variant="ghost", size="1", on_click=on_more, width="100%"),
        ),
        spacing="3",
        padding="0.8em",
        background=rx.color("gray", 2),
        border=f"1px solid {rx.color('gray', 4)}",
        border_radius="var(--radius-3)",
        min_width=rx.breakpoints(initial="0", sm="240px"),
        width="100%",
        flex="1",
        align_items="stretch",
        data_column=key,
        custom_attrs={"data-drop-column": key},
        id=f"column-{key}",
    )
