"""Order page section: the moves this user may make, and the dialog that asks for a comment (and,
for staff recording a customer's approval, how it came) and confirms irreversible moves."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from ordertrack.auth import coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.transition_dialog import transition_dialog
from ordertrack.db.engine import session_scope
from ordertrack.domain.engine import TransitionRefused
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.live import publish
from ordertrack.pages.order.common import Snapshot
from ordertrack.pages.order.state import OrderState
from ordertrack.services import order_moves, process_queue
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput, ServiceError
from ordertrack.settings import get_settings

COMMENT_REQUIRED = N_("A comment is required for this change.")


def read(session: Session, snap: Snapshot) -> dict[str, Any]:
    """The moves the principal may make on the order in ``snap``."""
    phase = snap.detail.card.phase
    moves = [
        {"target": m.target, "label": m.label, "needs_comment": "1" if m.needs_comment else "",
         "irreversible": "1" if m.irreversible else "",
         # the customer's approval is the primary action; only cancelling is red
         "style": "approve" if order_moves.is_approval(phase, m.target) else
         "danger" if m.target == "canceled" else "move"}
        for m in snap.detail.moves
    ]
    return {"moves": moves, "_move_targets": {m["target"]: m for m in moves}, "_phase": snap.detail.card.phase}


class MovesState(OrderState):
    """The move buttons and the move dialog."""

    moves: list[dict[str, str]] = []
    dialog_open: bool = False
    dialog_target: str = ""
    dialog_label: str = ""
    dialog_needs_comment: bool = False
    dialog_irreversible: bool = False
    dialog_error: str = ""
    dialog_channel: bool = False
    dialog_approve: bool = False
    _phase: str = ""
    _move_targets: dict[str, dict[str, str]] = {}

    def _read(self, session: Session, snap: Snapshot) -> dict[str, Any]:
        return read(session, snap)

    def _opened(self) -> None:
        self.dialog_open = False

    def _busy(self) -> bool:
        return self.dialog_open

    @rx.event
    @guard()
    def open_move(self, target: str):
        """Open the confirmation dialog for a move the user may make."""
        target = coerce_str(target, name="Move", max_len=40)
        move = self._move_targets.get(target)
        if move is None:
            raise BadInput("That move is not available.")
        self.dialog_target, self.dialog_label = target, move["label"]
        self.dialog_needs_comment = bool(move["needs_comment"])
        self.dialog_irreversible = bool(move["irreversible"])
        self.dialog_approve = move["style"] == "approve"
        self.dialog_channel = current_principal().is_staff and order_moves.is_approval(self._phase, target)
        self.dialog_error = ""
        self.dialog_open = True

    @rx.event
    @guard()
    async def close_move(self):
        """Close the dialog without changing anything."""
        self.dialog_open = False

    @rx.event
    @guard()
    def confirm_move(self, form_data: dict):
        """Apply the move through the service (engine guard, compare-and-set, history); refused or
        not, the dialog closes and the page shows the order as it now is."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Nothing to change.")
        comment = coerce_str(form_data.get("comment"), name="Comment", max_len=4000)
        if self.dialog_needs_comment and not comment:
            self.dialog_error = _(COMMENT_REQUIRED)
            return None
        channel = coerce_str(form_data.get("channel"), name="Channel", max_len=20)
        if self.dialog_channel and channel not in order_moves.APPROVAL_CHANNELS:
            self.dialog_error = order_moves.CHANNEL_REQUIRED
            return None
        self.dialog_open = False
        try:
            self._move(comment=comment, channel=channel or None)
        except TransitionRefused as refused:
            return [OrderState.refresh, rx.toast.error(refused.reason)]
        except ServiceError as refused:  # a conflict, a vanished order: show it as it now is
            return [OrderState.refresh, rx.toast.error(refused.message)]
        publish(customers=[self._customer_id], orders=[self._order_id])
        return [OrderState.refresh, MovesState.announce_move]

    def _move(self, *, comment: str, channel: str | None) -> None:
        now, principal, settings = get_clock().now(), current_principal(), get_settings()
        with session_scope() as session:
            queue = process_queue.UNREAD
            if principal.is_staff:
                queue = process_queue.before_order_move(session, order_id=self._order_id, target=self.dialog_target)
            order_moves.move_order(
                session, principal=principal, order_id=self._order_id, target=self.dialog_target,
                expected_version=self._version, comment=comment, now=now, calendar=business_calendar(),
                channel=channel,
            )
            process_queue.after_order_move(session, principal=principal, order_id=self._order_id,
                                       target=self.dialog_target, now=now, calendar=business_calendar(),
                                       base_url=settings.public_url, support=settings.support_email, queue=queue)

    @rx.event
    @guard()
    async def announce_move(self):
        """After a move and the page's refresh: the order's number and its phase now."""
        return rx.toast.success(f"{self.number}: {self.phase_label}")


def _move_button(move: rx.Var) -> rx.Component:
    return rx.button(
        move["label"],
        on_click=MovesState.open_move(move["target"]),
        color_scheme=rx.match(move["style"], ("danger", "red"), ("approve", "indigo"), "indigo"),
        variant=rx.cond(move["style"] == "danger", "soft", "solid"),
        size=rx.cond(move["style"] == "approve", "3", "2"),
        data_move=move["target"],
    )


def buttons() -> rx.Component:
    """One button per move the user may make (nothing when there is none)."""
    s = MovesState
    return rx.cond(s.moves.length() > 0, rx.hstack(rx.foreach(s.moves, _move_button), spacing="3", wrap="wrap"))


def dialog() -> rx.Component:
    """The move dialog."""
    s = MovesState
    return transition_dialog(
        title=s.dialog_label,
        subtitle=rx.cond(s.dialog_approve, s.number + " — " + s.name + " · " + T("Approving accepts the delivery and closes the order."), s.number + " — " + s.name),
        open=s.dialog_open, needs_comment=s.dialog_needs_comment,
        irreversible=s.dialog_irreversible & ~s.dialog_approve,  # approving is the wanted outcome, not a danger
        error=s.dialog_error,
        on_submit=s.confirm_move, on_cancel=s.close_move, ask_channel=s.dialog_channel,
    )
