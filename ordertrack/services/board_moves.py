"""Moves from the board: one card (drag and drop) and bulk moves (issue 15.2).

Every card goes through the same path as a single move (``move_card``): the process check, the
engine with its guards and WIP limits, the compare-and-set on the version the mover saw, the
history row and the notifications, in its own transaction. A bulk move therefore never stops
half-way for everyone: each card is moved or refused with the engine's reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from ordertrack.db.engine import session_scope
from ordertrack.db.models import Order
from ordertrack.domain.access import Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.engine import TransitionRefused
from ordertrack.domain.errors import UserFacingError
from ordertrack.domain.workflows import ORDER_WORKFLOW
from ordertrack.i18n import N_, _, ngettext
from ordertrack.services import order_moves, order_views, process_queue
from ordertrack.services.errors import BadInput, Conflict, Forbidden, NotFound

BULK_MAX = 500
TARGETS = ("planning", "execution", "validation", "closed", "canceled")
TOO_MANY = N_("A bulk move takes at most {max} orders at once; {count} are selected. Narrow the filters or select "
              "fewer.")


def move_card(session: Session, *, principal: Principal, order_id: int, version: int, target: str, comment: str,
              now: datetime, calendar: BusinessCalendar, channel: str | None = None, base_url: str = "",
              support: str = "") -> order_views.OrderCard:
    """One manual move as the board makes it (the caller commits): the order read once (with its
    queue's status and its items), the process's check, the guarded compare-and-set move
    (``order_moves.move_order``), then the process's follow-up."""
    loaded = order_moves.load_for_move(session, principal=principal, order_id=order_id, target=target)
    queue = process_queue.before_order_move(session, order_id=order_id, target=target, run_status=loaded.run_status)
    card = order_moves.move_order(session, principal=principal, order_id=order_id, target=target,
                                  expected_version=version, comment=comment, now=now, calendar=calendar,
                                  channel=channel, loaded=loaded)
    process_queue.after_order_move(session, principal=principal, order_id=order_id, target=target, now=now,
                               calendar=calendar, base_url=base_url, support=support, queue=queue)
    return card


def skip_card(session: Session, *, principal: Principal, order_id: int, version: int, target: str, now: datetime,
              calendar: BusinessCalendar, base_url: str = "", support: str = "") -> tuple[str, ...]:
    """A card dropped on a column its order's queue has not reached, confirmed as "skip the
    remaining actions": skip them (``process_queue.skip_to``) so that the order follows its queue
    to ``target``. Returns the skipped steps (the caller commits).

    Raises:
        Conflict: the order changed since the mover saw it (``version``).
        NotFound, BadInput: see ``process_queue.skip_to``.
    """
    current = session.exec(select(Order.version).where(Order.id == order_id)).first()
    if current is None:
        raise NotFound(_("Order not found."))
    if current != version:
        raise Conflict(_(order_moves.CONFLICT_MESSAGE))
    return process_queue.skip_to(session, principal=principal, order_id=order_id, target=target, now=now,
                             calendar=calendar, base_url=base_url, support=support)


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """One card of a bulk move: moved, or refused with the reason."""

    number: str
    moved: bool
    detail: str  # the new phase, or why it was refused


def check_bulk(*, principal: Principal, count: int, target: str) -> None:
    """Refuse a bulk move before it starts.

    Raises:
        Forbidden: not staff.  BadInput: unknown target, nothing or too much selected.
    """
    if not principal.is_staff:
        raise Forbidden(_("Only staff move orders in bulk."))
    if target not in TARGETS:
        raise BadInput(_("Choose the phase to move the orders to."))
    if count < 1:
        raise BadInput(_("Select the orders to move first."))
    if count > BULK_MAX:
        raise BadInput(_(TOO_MANY).format(max=BULK_MAX, count=count))


def move_cards(*, principal: Principal, items: Sequence[tuple[str, int]], target: str, comment: str,
               now: datetime, calendar: BusinessCalendar, base_url: str = "", support: str = "",
               engine=None) -> tuple[BulkOutcome, ...]:
    """Move each (number, version the mover saw) to ``target`` with one comment, each in its
    own transaction; refusals (engine, guards, WIP limits, a newer version) are reported, not
    raised.

    Raises:
        Forbidden, BadInput: see ``check_bulk``.
    """
    check_bulk(principal=principal, count=len(items), target=target)
    out = []
    label = ORDER_WORKFLOW.label(target)
    for number, version in items:
        try:
            with session_scope(engine) as session:
                order_id = session.exec(select(Order.id).where(Order.number == str(number)[:40])).first()
                if order_id is None:
                    raise NotFound(_("Order not found."))
                move_card(session, principal=principal, order_id=order_id, version=int(version), target=target,
                          comment=comment, now=now, calendar=calendar, base_url=base_url, support=support)
            out.append(BulkOutcome(number=str(number), moved=True, detail=label))
        except TransitionRefused as exc:
            out.append(BulkOutcome(number=str(number), moved=False, detail=_(exc.reason)))
        except UserFacingError as exc:
            out.append(BulkOutcome(number=str(number), moved=False, detail=_(exc.message)))
    return tuple(out)


def summary(outcomes: Sequence[BulkOutcome]) -> str:
    """"3 orders moved, 1 refused." in words."""
    moved = sum(1 for o in outcomes if o.moved)
    refused = len(outcomes) - moved
    return _("{moved}, {refused}.").format(
        moved=ngettext("{n} order moved", "{n} orders moved", moved).format(n=moved),
        refused=ngettext("{n} refused", "{n} refused", refused).format(n=refused))
