"""The order page composed from its sections. Above the tabs: number, status, name, an open
provisioning failure and the moves (the primary actions, on every tab). The tabs (``?tab=`` in the
address, arrow keys move between them): Overview (dates and ownership, SLA, items with prices and
provisioning attempts, Associate With Client), Messages, Tickets, Provisioning (staff: Order
Actions), History."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.components.status_badge import status_badge
from ordertrack.i18n.ui import T
from ordertrack.pages.frame import page
from ordertrack.pages.order import client, items, messages, moves, planning, process, sla, tickets
from ordertrack.pages.order.state import OrderState

RECENT = 10  # changes shown on the Overview


def _history(rows: rx.Var, table_id: str) -> rx.Component:
    """The timeline, newest first (the body carries the id: its first row is the latest change)."""
    return rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell(T("When")), rx.table.column_header_cell(T("Who")),
            rx.table.column_header_cell(T("From phase")), rx.table.column_header_cell(T("To phase")),
            rx.table.column_header_cell(T("Status")), rx.table.column_header_cell(T("Comment")))),
        rx.table.body(
            rx.foreach(rows, lambda h: rx.table.row(
                *[rx.table.cell(rx.cond(h["who"] == "", T("Support team"), h["who"]) if key == "who" else h[key])
                  for key in ("at", "who", "from", "to", "status", "comment")])),
            id=table_id,
        ),
        width="100%",
        variant="surface",
    )


def _recent() -> rx.Component:
    """The latest changes on the Overview (``#order-history``); the History tab has them all."""
    s = OrderState
    return rx.vstack(
        rx.hstack(rx.heading(T("Recent activity"), size="4"),
                  rx.button(T("Full history"), size="1", variant="ghost", on_click=s.set_tab("history")),
                  align="center"),
        _history(s.history[:RECENT], "order-history"),
        width="100%",
        spacing="2",
    )


def _sla() -> rx.Component:
    """The SLA section (staff; ordertrack/pages/order/sla.py)."""
    return sla.panel()


def _overview() -> rx.Component:
    s = OrderState
    return rx.vstack(
        planning.heading(),
        planning.facts(),
        _sla(),
        *items.section(),
        items.attempt_form(),
        rx.cond(s.can_edit, client.associate()),
        _recent(),
        spacing="4",
        width="100%",
    )


def _provisioning() -> rx.Component:
    return rx.vstack(process.order_actions(), spacing="4", width="100%")


def _trigger(label: rx.Var, value: str) -> rx.Component:
    return rx.tabs.trigger(label, value=value, id=f"tab-{value}")


def _content(value: str, child: rx.Component) -> rx.Component:
    """A tab's panel: kept mounted (a live change of another tab is in place when it is opened),
    shown only while its tab is selected."""
    return rx.tabs.content(child, value=value, force_mount=True, padding_top="1em", width="100%",
                           style={"&[data-state='inactive']": {"display": "none"}})


def _tabs() -> rx.Component:
    s = OrderState
    return rx.tabs.root(
        rx.tabs.list(
            _trigger(T("Overview"), "overview"),
            _trigger(T("Messages"), "messages"),
            _trigger(T("Tickets"), "tickets"),
            rx.cond(s.can_edit, _trigger(T("Provisioning"), "provisioning")),
            _trigger(T("History"), "history"),
            aria_label=T("Order sections"),
        ),
        _content("overview", _overview()),
        _content("messages", messages.section()),
        _content("tickets", tickets.section()),
        _content("provisioning", rx.cond(s.can_edit, _provisioning())),
        _content("history", _history(s.history, "order-timeline")),
        value=s.tab,
        on_change=s.set_tab,
        activation_mode="automatic",
        width="100%",
        id="order-tabs",
    )


def _found() -> rx.Component:
    s = OrderState
    return rx.vstack(
        rx.hstack(rx.heading(s.number, size="7", id="order-number"), status_badge(s.status, s.status_label),
                  rx.text(s.phase_label, color_scheme="gray", size="3", id="order-phase"),
                  align="center", spacing="3"),
        rx.text(s.name, size="4"),
        items.failure_panel(),
        moves.buttons(),
        _tabs(),
        moves.dialog(),
        spacing="4",
        width="100%",
    )


def order_page() -> rx.Component:
    """Order details, timeline and moves."""
    return page(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), T("All orders")), href=routes.ORDERS),
        rx.match(
            OrderState.state,
            ("found", _found()),
            ("missing", rx.callout(T("Order not found."), icon="search-x", color_scheme="gray", id="order-missing",
                                   margin_top="1em")),
            rx.center(rx.spinner(size="3"), padding="3em"),
        ),
    )
