"""The columns every list of orders shares (All orders, the Order Manager, the board's Closed
tab): the number linking to the order with its "!" mark, name, customer, phase, status badge,
priority; and the row dict they read, built from an ``OrderCard``-shaped view."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ordertrack import routes
from ordertrack.components.status_badge import failed_mark, status_badge
from ordertrack.components.tables import Column
from ordertrack.i18n import N_, _


def order_row(card: Any, **extra: str) -> dict[str, str]:
    """The row of one order (any view with number, name, customer_name, phase_label, status,
    status_label, priority and failed), plus ``extra`` keys a page shows too."""
    return {"number": card.number, "href": routes.order_url(card.number), "name": card.name,
            "customer": card.customer_name, "phase": card.phase_label, "status": card.status,
            "status_label": card.status_label, "priority": _(card.priority.capitalize()),
            "failed": "1" if card.failed else "", **extra}


def order_link(row: rx.Var) -> rx.Component:
    """The order's number linking to its page, and the red "!" when provisioning failed."""
    return rx.hstack(rx.link(row["number"], href=row["href"], weight="medium"), failed_mark(row["failed"]),
                     align="center")


def order_status(row: rx.Var) -> rx.Component:
    """The order's status badge."""
    return status_badge(row["status"], row["status_label"])


NUMBER = Column(N_("Number"), order_link)
NAME = Column(N_("Name"), "name")
CUSTOMER = Column(N_("Customer"), "customer")
PHASE = Column(N_("Phase"), "phase")
STATUS = Column(N_("Status"), order_status)
PRIORITIES = (N_("Low"), N_("Normal"), N_("High"), N_("Urgent"))  # for the catalog: order_row's priority
PRIORITY = Column(N_("Priority"), "priority")
