"""Items of an order beyond add/remove (issue #18.5, seed 01 "Approve ETI"): staff mark an item
as needing a technical interview; the order's tracking status then reads Approve ETI until the
interview is approved (``order_moves.approve_item_eti``), on the order page or through the REST API."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from ordertrack.db.models import OrderItem
from ordertrack.domain.access import Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.tracking import ETI_WAITING, EXCLUDED_ITEM_KINDS
from ordertrack.i18n import N_, _
from ordertrack.i18n.notes import note_template
from ordertrack.services import order_moves, order_views
from ordertrack.services.errors import BadInput, Conflict, Forbidden, NotFound

# An item may need an interview while it is not yet delivered.
MAY_REQUIRE = ("pending", "provisioning_failed")
ONLY_STAFF = N_("Only staff may ask for a technical interview.")
ORDER_ENDED = N_("The order is closed or canceled: its items need no interview.")
NOT_COUNTED = N_("{item} does not count towards the order's status: it needs no interview.")
ALREADY = N_("{item} already waits for its technical-interview approval.")
DELIVERED = N_("{item} is already delivered.")
REQUIRED_NOTE = note_template(N_("Technical interview required: {item}"))  # stored in English, read in the reader\'s language


def require_eti(session: Session, *, principal: Principal, order_id: int, item_id: int, expected_version: int,
                now: datetime, calendar: BusinessCalendar) -> order_views.OrderCard:
    """Mark one item of the order as waiting for a technical-interview approval (staff); the
    order's status becomes Approve ETI, with a history row.

    Raises:
        Forbidden: not staff.  NotFound: no such order or item.  BadInput: the item cannot need
        one (delivered, already waiting, not counted, the order ended).  Conflict: the order
        changed since ``expected_version``.
    """
    if not principal.is_staff:
        raise Forbidden(_(ONLY_STAFF))
    order, customer = order_moves._load_for_write(session, principal=principal, order_id=order_id)  # noqa: SLF001
    item = session.get(OrderItem, item_id)
    if item is None or item.order_id != order.id:
        raise NotFound("Item not found.")
    if order.phase in ("closed", "canceled"):
        raise BadInput(_(ORDER_ENDED))
    if item.kind in EXCLUDED_ITEM_KINDS:
        raise BadInput(_(NOT_COUNTED).format(item=item.name))
    if item.status == ETI_WAITING:
        raise BadInput(_(ALREADY).format(item=item.name))
    if item.status not in MAY_REQUIRE:
        raise BadInput(_(DELIVERED).format(item=item.name))
    if order.version != expected_version:
        raise Conflict(order_moves.CONFLICT_MESSAGE)
    item.status = ETI_WAITING
    session.add(item)
    session.flush()
    return order_moves._apply(  # noqa: SLF001 - the one compare-and-set write of an order
        session, order=order, customer_name=customer.name, principal=principal, expected_version=expected_version,
        now=now, calendar=calendar, comment=REQUIRED_NOTE.format(item=item.name), changes={},
    )
