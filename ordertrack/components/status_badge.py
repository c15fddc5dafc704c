"""Coloured badges for order tracking statuses and phases."""

from __future__ import annotations

import reflex as rx

from ordertrack.domain.workflows import OrderStatus
from ordertrack.i18n.ui import T

STATUS_COLORS: dict[str, str] = {
    OrderStatus.ON_TRACK.value: "green",
    OrderStatus.DELAYED.value: "orange",
    OrderStatus.VALIDATION.value: "blue",
    OrderStatus.APPROVE_ETI.value: "purple",
    OrderStatus.CLOSED.value: "gray",
    OrderStatus.CANCELED.value: "red",
}


def failed_mark(failed: rx.Var) -> rx.Component:
    """The red "!" of an order whose provisioning failed."""
    return rx.cond(
        failed == "1",
        rx.tooltip(
            rx.badge("!", color_scheme="red", variant="solid", radius="full", aria_label=T("Provisioning failed"),
                     data_testid="failed-mark"),
            content=T("Provisioning failed"),
        ),
    )


def status_badge(status: rx.Var | str, label: rx.Var | str) -> rx.Component:
    """A badge coloured by the status key, showing its label."""
    color = rx.match(status, *[(k, v) for k, v in STATUS_COLORS.items()], "gray")
    return rx.badge(label, color_scheme=color, variant="soft", size="2", data_status=status)
