"""Order tracking status (seed 01): derived from phase, planned date and items."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ordertrack.domain.workflows import OrderStatus

EXCLUDED_ITEM_KINDS = frozenset({"colocation"})
ETI_WAITING = "eti_approval"


def tracking_status(
    *, phase: str, planned_completion: date | None, today: date, item_states: Iterable[tuple[str, str]]
) -> OrderStatus:
    """The status a card shows.

    Args:
        phase: the order's phase key (order workflow state).
        planned_completion: the planned completion date, if any.
        today: the current local date.
        item_states: (kind, status) of each item; excluded kinds never count.
    """
    if phase == "closed":
        return OrderStatus.CLOSED
    if phase == "canceled":
        return OrderStatus.CANCELED
    counted = [status for kind, status in item_states if kind not in EXCLUDED_ITEM_KINDS]
    if any(status == ETI_WAITING for status in counted):
        return OrderStatus.APPROVE_ETI
    if phase == "validation":
        return OrderStatus.VALIDATION
    if planned_completion is not None and planned_completion < today:
        return OrderStatus.DELAYED
    return OrderStatus.ON_TRACK
