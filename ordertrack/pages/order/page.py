"""The order page composed from its sections: header, failure panel, dates and ownership, moves,
Order Actions, Messages, Associate With Client, Tickets, Items, History and the move dialog."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.components.status_badge import status_badge
from ordertrack.i18n.ui import T
from ordertrack.pages.frame import page
from ordertrack.pages.order import client, items, messages, moves, planning, process, sla, tickets
from ordertrack.pages.order.state import OrderState

HISTORY_COLUMNS = ("When", "Who", "From", "To", "Status", "Comment")


def _history() -> rx.Component:
    """The timeline, newest first (the body carries the id: its first row is the latest change)."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in HISTORY_COLUMNS])),
        rx.table.body(
            rx.foreach(OrderState.history, lambda h: rx.table.row(
                *[rx.table.cell(rx.cond(h["who"] == "", T("Support team"), h["who"]) if key == "who" else h[key])
                  for key in ("at", "who", "from", "to", "status", "comment")])),
            id="order-history",
        ),
        width="100%",
        variant="surface",
    )


def _found() -> rx.Component:
    s = OrderState
    return rx.vstack(
        rx.hstack(rx.heading(s.number, size="7", id="order-number"), status_badge(s.status, s.status_label),
                  align="center", spacing="3"),
        rx.text(s.name, size="4"),
        items.failure_panel(),
        planning.heading(),
        planning.facts(),
        sla.panel(),
        moves.buttons(),
        rx.cond(s.can_edit, process.order_actions()),  # staff work: never shown (or sent) to customers
        messages.section(),
        rx.cond(s.can_edit, client.associate()),
        tickets.section(),
        *items.section(),
        rx.heading("History", size="4"),
        _history(),
        moves.dialog(),
        spacing="4",
        width="100%",
    )


def order_page() -> rx.Component:
    """Order details, timeline and moves."""
    return page(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), "All orders"), href=routes.ORDERS),
        rx.match(
            OrderState.state,
            ("found", _found()),
            ("missing", rx.callout("Order not found.", icon="search-x", color_scheme="gray", id="order-missing",
                                   margin_top="1em")),
            rx.center(rx.spinner(size="3"), padding="3em"),
        ),
    )
