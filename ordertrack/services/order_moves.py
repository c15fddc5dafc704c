"""Orders, write side: the one function that moves an order, and every other change of one.

``move_order`` is the only writer of phase/status: the engine guards it, a compare-and-set
on ``version`` makes concurrent moves safe, and the history row is written in the same
transaction (``UNIQUE(entity, from_version)`` makes a doubled move impossible). Every change
goes through ``_apply``. The read side (cards, pages, the order page) is ``order_views``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from ordertrack.db.board_models import WipLimit
from ordertrack.db.models import Customer, Order, OrderItem, StatusChange, User
from ordertrack.db.process_models import ProcessRun
from ordertrack.domain import engine
from ordertrack.domain.access import SYSTEM, Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.engine import TransitionRefused
from ordertrack.domain.roles import Role
from ordertrack.domain.tracking import ETI_WAITING, tracking_status
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import N_, _
from ordertrack.i18n.notes import note_template
from ordertrack.services import board_snapshots, service_types, sla
from ordertrack.services.errors import BadInput, Conflict, Forbidden, NotFound
from ordertrack.services.order_views import ENTITY, OPEN_PHASES, PRIORITIES, OrderCard, card_view

CONFLICT_MESSAGE = "This order was changed by someone else. Reload to see the change, then try again."
LATE_AFTER = timedelta(minutes=1)  # an automatic move applied later than this says so in its note
LATE_NOTE = note_template(N_("{note} (at its deadline {deadline}; applied {applied} after downtime)"))
# History notes (stored in English, read in the reader's language: i18n.notes).
DELAYED_NOTE = note_template(N_("planned completion {date} has passed"))
REQUESTED_NOTE = note_template(N_("Requested completion {old} → {new}"))
PLANNED_NOTE = note_template(N_("Planned completion {old} → {new}"))
OWNER_NOTE = note_template(N_("Owner → {owner}"))
PRIORITY_NOTE = note_template(N_("Priority {old} → {new}"))
NAME_NOTE = note_template(N_("Name “{old}” → “{new}”"))
ETI_APPROVED_NOTE = note_template(N_("Technical interview approved: {item}"))
ASSOCIATED_NOTE = note_template(N_("Associated with client {customer} (was {old})"))
ITEM_ADDED_NOTE = note_template(N_("Item added: {name} ({kind})"))
ITEM_REMOVED_NOTE = note_template(N_("Item removed: {name} ({kind})"))
APPROVED_NOTES = {  # channel -> (without, with the staff member's comment)
    "email": (note_template(N_("Customer approved by e-mail (recorded by {who}).")),
              note_template(N_("Customer approved by e-mail (recorded by {who}). {comment}"))),
    "telephone": (note_template(N_("Customer approved by telephone (recorded by {who}).")),
                  note_template(N_("Customer approved by telephone (recorded by {who}). {comment}"))),
}
NOBODY = N_("nobody")
# Statements of every move, built once (building and cache-keying them was a tenth of a move).
_ORDER_AND_CUSTOMER = (select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
                       .where(Order.id == bindparam("order_id")))
_ITEM_STATES = select(OrderItem.kind, OrderItem.status).where(OrderItem.order_id == bindparam("order_id"))
# A manual move reads all it needs of the order in one statement: the order and its customer,
# the status of its newest process run (its queue), its items' "kind:status" (comma-joined:
# both are keys) and whether the target column has a WIP limit at all.
_ORDER_FOR_MOVE = _ORDER_AND_CUSTOMER.add_columns(
    select(ProcessRun.status).where(ProcessRun.entity_kind == ENTITY, ProcessRun.entity_id == Order.id)
    .order_by(col(ProcessRun.id).desc()).limit(1).scalar_subquery(),
    select(func.aggregate_strings(OrderItem.kind + ":" + OrderItem.status, ",")).where(
        OrderItem.order_id == Order.id).scalar_subquery(),
    exists().where(WipLimit.column == bindparam("target")))


@dataclass(frozen=True, slots=True)
class LoadedOrder:
    """An order as a manual move reads it (``load_for_move``)."""

    order: Order
    customer: Customer
    run_status: str | None  # its newest process run's status; None: it never had one
    item_states: tuple[tuple[str, str], ...]  # (kind, status) of each item
    target: str  # the column it is moved to
    target_limited: bool  # whether that column has a WIP limit (for any scope)


def load_for_move(session: Session, *, principal: Principal, order_id: int, target: str) -> LoadedOrder:
    """The order ``principal`` moves to ``target``, with what the move checks (one statement).

    Raises:
        NotFound: no such order for this principal.
    """
    row = session.exec(_ORDER_FOR_MOVE, params={"order_id": order_id, "target": target}).first()
    if row is None or not principal.can_see(customer_id=row[1].id, reseller_id=row[1].reseller_id):
        raise NotFound("Order not found.")
    order, customer, run_status, items, limited = row
    states = tuple(tuple(pair.split(":", 1)) for pair in (items or "").split(",") if pair)
    return LoadedOrder(order, customer, run_status, states, target, bool(limited))


_HISTORY_INSERT = insert(StatusChange.__table__)


@functools.lru_cache(maxsize=64)
def _order_update(columns: frozenset[str]):
    """The compare-and-set update of these columns of an order, built once per set of columns
    (Core, on the table: nothing in the session is synchronised; ``_apply`` sets the row as
    written)."""
    table = Order.__table__
    return (update(table).where(table.c.id == bindparam("_order_id"), table.c.version == bindparam("_expected"))
            .values({name: bindparam(name) for name in sorted(columns)}))


def _local_today(now: datetime, calendar: BusinessCalendar) -> date:
    return now.astimezone(ZoneInfo(calendar.tz)).date()


DELAYED_TIMER = "status:delayed"


def next_order_timer(
    *, phase: str, phase_since: datetime, status: str, planned: date | None, calendar: BusinessCalendar
) -> tuple[str | None, datetime | None]:
    """The row's one timer: the phase's automatic move, else the moment an open order turns Delayed."""
    timer = engine.next_timer(ORDER_WORKFLOW, current=phase, entered_at=phase_since, calendar=calendar)
    if timer is not None:
        transition, due = timer
        return f"{ENTITY}:{transition.target}", due
    if phase in OPEN_PHASES and planned is not None and status == OrderStatus.ON_TRACK:
        zone = ZoneInfo(calendar.tz)
        return DELAYED_TIMER, datetime.combine(planned + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return None, None


def _apply(
    session: Session,
    *,
    order: Order,
    customer_name: str,
    principal: Principal,
    expected_version: int,
    now: datetime,
    calendar: BusinessCalendar,
    comment: str,
    changes: dict,
    internal: bool = False,
    applied_at: datetime | None = None,
    item_states: tuple[tuple[str, str], ...] | None = None,
) -> OrderCard:
    """Write ``changes`` with compare-and-set, recompute status and timer, add the history row
    (``internal``: staff only).

    ``now`` is the change's effective time; ``applied_at`` (timers) when it was written, which
    the note states when it is more than ``LATE_AFTER`` later. ``item_states``: the order's
    items as read in this transaction (read here when not given).
    """
    if order.version != expected_version:
        raise Conflict(CONFLICT_MESSAGE)
    if applied_at is not None and applied_at - now > LATE_AFTER:
        zone = ZoneInfo(calendar.tz)
        comment = LATE_NOTE.format(note=comment, deadline=f"{now.astimezone(zone):%Y-%m-%d %H:%M}",
                                   applied=f"{applied_at.astimezone(zone):%Y-%m-%d %H:%M}")[:4000]
    phase = changes.get("phase", order.phase)
    phase_since = changes.get("phase_since", order.phase_since)
    planned = changes.get("planned_completion", order.planned_completion)
    items = session.exec(_ITEM_STATES, params={"order_id": order.id}).all() if item_states is None else item_states
    status = tracking_status(
        phase=phase, planned_completion=planned, today=_local_today(now, calendar), item_states=items
    ).value
    due_kind, due_at = next_order_timer(phase=phase, phase_since=phase_since, status=status, planned=planned,
                                   calendar=calendar)
    values = {**changes, "status": status, "due_kind": due_kind, "due_at": due_at, "version": expected_version + 1}
    if status != order.status:
        values["status_since"] = now
    result = session.execute(_order_update(frozenset(values)),
                             {**values, "_order_id": order.id, "_expected": expected_version})
    if result.rowcount != 1:
        raise Conflict(CONFLICT_MESSAGE)
    try:  # a Core insert: nothing reads the row back in this transaction (no unit-of-work flush)
        session.execute(_HISTORY_INSERT, {
            "entity_kind": ENTITY, "entity_id": order.id, "from_version": expected_version,
            "from_state": order.phase, "to_state": phase, "from_tracking": order.status, "to_tracking": status,
            "actor_id": principal.user_id, "actor_name": principal.display_name, "at": now, "comment": comment,
            "internal": internal, "applied_at": applied_at,
            "owner_id": values.get("owner_id", order.owner_id), "priority": values.get("priority", order.priority),
        })
    except IntegrityError as exc:
        raise Conflict(CONFLICT_MESSAGE) from exc
    if applied_at is not None and applied_at > now:  # a late timer: snapshots taken since then missed it
        board_snapshots.forget(session, since=now)
    sla.on_order_changed(session, order_id=order.id, principal=principal, now=now, calendar=calendar,
                         order_state=(phase, status, values.get("priority", order.priority)))
    if phase != order.phase:
        _tell_customer(session, order=order, phase=phase, status=status, comment=comment, now=now)
    for name, value in values.items():  # the row as written, without reading it back
        set_committed_value(order, name, value)
    return card_view(order, customer_name)


def _tell_customer(session: Session, *, order: Order, phase: str, status: str, comment: str, now: datetime) -> None:
    """E-mail the customer's contact when the order changes phase (template "order_status_changed")."""
    from ordertrack.services import notifications
    from ordertrack.settings import get_settings

    customer = session.get(Customer, order.customer_id)
    if customer is None or not customer.contact_email:
        return
    base = get_settings().public_url.rstrip("/")
    notifications.enqueue(session, event="order_status_changed", order_id=order.id,
                          recipients=[("customer", customer.contact_email)], now=now, variables={
                              "order_number": order.number, "order_name": order.name, "customer": customer.name,
                              "phase": phase, "status": status,  # keys: labelled in the recipient's language
                              "comment": comment or "", "order_link": f"{base}/orders/{order.number}"})


def _load_for_write(session: Session, *, principal: Principal, order_id: int) -> tuple[Order, Customer]:
    row = session.exec(_ORDER_AND_CUSTOMER, params={"order_id": order_id}).first()
    if row is None or not principal.can_see(customer_id=row[1].id, reseller_id=row[1].reseller_id):
        raise NotFound("Order not found.")
    return row


APPROVAL_CHANNELS = {"email": "e-mail", "telephone": "telephone"}
CHANNEL_REQUIRED = "Say how the customer approved: by e-mail or by telephone."


def is_approval(phase: str, target: str) -> bool:
    """Whether moving ``phase`` → ``target`` is the customer's delivery approval."""
    return phase == "validation" and target == "closed"


def approval_comment(*, principal: Principal, channel: str | None, comment: str) -> str:
    """The history note of a manual approval (seed 01: customers approve by e-mail or telephone
    to support, who record it; a customer may also approve on the board).

    Raises:
        BadInput: staff did not say how the customer approved.
    """
    if principal.role is Role.CUSTOMER:
        return comment or "Approved by the customer."
    if channel not in APPROVAL_CHANNELS:
        raise BadInput(CHANNEL_REQUIRED)
    without, with_comment = APPROVED_NOTES[channel]
    comment = (comment or "").strip()
    return with_comment.format(who=principal.display_name, comment=comment) if comment else \
        without.format(who=principal.display_name)


def move_order(
    session: Session,
    *,
    principal: Principal,
    order_id: int,
    target: str,
    expected_version: int,
    now: datetime,
    calendar: BusinessCalendar,
    comment: str = "",
    automatic: bool = False,
    channel: str | None = None,
    applied_at: datetime | None = None,
    loaded: LoadedOrder | None = None,
) -> OrderCard:
    """Move an order to phase ``target`` (the caller commits).

    Args:
        principal: who moves it (``SYSTEM`` with ``automatic=True`` for timers and events).
        order_id: the order.
        target: the phase key to move to.
        expected_version: the version the mover saw; a newer one means someone else moved first.
        now: the time of the move.
        calendar: the business calendar (for business-time timers).
        comment: the mover's comment (required by some moves).
        automatic: True when a timer or an event makes the move.
        channel: for staff approving on the customer's behalf, how the customer approved
            (``APPROVAL_CHANNELS``); required then.
        applied_at: for a timer's move, when the sweep applies it; ``now`` is then the
            deadline, the move's effective time (history, ``phase_since``, following timers).
        loaded: the order as ``load_for_move`` read it in this transaction (read here when not given).

    Raises:
        NotFound: no such order for this principal.
        TransitionRefused: the engine refused, with its reason.
        Conflict: the order changed since ``expected_version``.
    """
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise BadInput("The comment is too long (4000 characters at most).")
    if loaded is None or loaded.target != target:
        loaded = load_for_move(session, principal=principal, order_id=order_id, target=target)
    order, customer = loaded.order, loaded.customer
    if order.version != expected_version:
        raise Conflict(CONFLICT_MESSAGE)
    transition = engine.decide(
        ORDER_WORKFLOW, current=order.phase, target=target, roles=principal.roles,
        status_since=order.phase_since, now=now, comment=comment, automatic=automatic,
    )
    if automatic and not comment and transition.auto is not None:
        comment = transition.auto.note
    elif not automatic and is_approval(order.phase, target):
        comment = approval_comment(principal=principal, channel=channel, comment=comment)
    if not automatic and loaded.target_limited:  # WIP limits (services.wip): hard refuses, soft wants a reason
        from ordertrack.services import wip

        comment = wip.guard_move(session, reseller_id=customer.reseller_id, current=order.phase, target=target,
                                 comment=comment)
    return _apply(
        session, order=order, customer_name=customer.name, principal=principal,
        expected_version=expected_version, now=now, calendar=calendar, comment=comment,
        changes={"phase": target, "phase_since": now}, applied_at=applied_at, item_states=loaded.item_states,
    )


def move_with_queue(
    session: Session, *, principal: Principal, order_id: int, target: str, now: datetime,
    calendar: BusinessCalendar, comment: str,
) -> None:
    """The order's queue (its running process) reached a step of board phase ``target``: the
    order follows (one truth: the process decides, not the mover's role). Planning to
    Validation passes through Execution; each step must be a move of the workflow. The caller
    commits.

    Raises:
        TransitionRefused: the workflow has no such move (a closed or canceled order).
    """
    order, customer = _load_for_write(session, principal=SYSTEM, order_id=order_id)
    path = ["execution", "validation"] if (order.phase, target) == ("planning", "validation") else [target]
    for step in path:
        session.refresh(order)
        if order.phase == step:
            continue
        if ORDER_WORKFLOW.is_terminal(order.phase) or ORDER_WORKFLOW.transition(order.phase, step) is None:
            raise TransitionRefused(_("There is no move from {source} to {target}").format(
                source=ORDER_WORKFLOW.label(order.phase), target=ORDER_WORKFLOW.label(step)))
        _apply(session, order=order, customer_name=customer.name, principal=principal,
               expected_version=order.version, now=now, calendar=calendar, comment=comment[:4000],
               changes={"phase": step, "phase_since": now})


def refresh_status(
    session: Session, *, order_id: int, expected_version: int, now: datetime, calendar: BusinessCalendar,
    applied_at: datetime | None = None,
) -> OrderCard | None:
    """Recompute an order's tracking status (the Delayed timer); None when nothing changed.

    ``now`` is the effective time (the timer's deadline); ``applied_at`` when the sweep applies it.
    """
    order, customer = _load_for_write(session, principal=SYSTEM, order_id=order_id)
    if order.version != expected_version:
        raise Conflict(CONFLICT_MESSAGE)
    items = session.exec(_ITEM_STATES, params={"order_id": order.id}).all()
    status = tracking_status(phase=order.phase, planned_completion=order.planned_completion,
                             today=_local_today(now, calendar), item_states=items)
    if status.value == order.status:
        session.exec(
            update(Order).where(Order.id == order.id, Order.version == expected_version)
            .values(due_kind=None, due_at=None).execution_options(synchronize_session=False)
        )
        return None
    note = DELAYED_NOTE.format(date=order.planned_completion) if status is OrderStatus.DELAYED else ""
    return _apply(
        session, order=order, customer_name=customer.name, principal=SYSTEM,
        expected_version=expected_version, now=now, calendar=calendar, comment=note, changes={},
        applied_at=applied_at,
    )


@dataclass(frozen=True, slots=True)
class PlanningChange:
    """New dates, owner and priority for an order (None/empty keeps nothing: all fields are set)."""

    requested_completion: date | None
    planned_completion: date | None
    owner_id: int | None
    priority: str
    name: str | None = None  # None keeps the name

def update_planning(
    session: Session,
    *,
    principal: Principal,
    order_id: int,
    expected_version: int,
    change: PlanningChange,
    now: datetime,
    calendar: BusinessCalendar,
) -> OrderCard:
    """Set requested/planned completion, owner and priority (staff only; the caller commits).

    The tracking status follows (a planned date in the past makes an open order Delayed)
    and the change is written to the order's history.

    Raises:
        Forbidden: the principal is not staff.
        BadInput: unknown priority or owner, or planned before requested by more than a year.
        Conflict: the order changed since ``expected_version``.
    """
    if not principal.is_staff:
        raise Forbidden("Only staff may change dates and ownership.")
    if change.priority not in PRIORITIES:
        raise BadInput(_("Priority must be one of low, normal, high, urgent."))
    owner = None
    if change.owner_id is not None:
        owner = session.get(User, change.owner_id)
        if owner is None or owner.role not in ("operator", "support", "manager", "admin"):
            raise BadInput("The owner must be a staff member.")
    order, customer = _load_for_write(session, principal=principal, order_id=order_id)
    if order.version != expected_version:
        raise Conflict(CONFLICT_MESSAGE)
    notes = []
    if change.requested_completion != order.requested_completion:
        notes.append(REQUESTED_NOTE.format(old=order.requested_completion or "—", new=change.requested_completion or "—"))
    if change.planned_completion != order.planned_completion:
        notes.append(PLANNED_NOTE.format(old=order.planned_completion or "—", new=change.planned_completion or "—"))
    if change.owner_id != order.owner_id:
        notes.append(OWNER_NOTE.format(owner=owner.display_name if owner else NOBODY))
    if change.priority != order.priority:
        notes.append(PRIORITY_NOTE.format(old=order.priority, new=change.priority))
    name = order.name if change.name is None else change.name.strip()
    if not name or len(name) > 200:
        raise BadInput("The order needs a name (200 characters at most).")
    if name != order.name:
        notes.append(NAME_NOTE.format(old=order.name, new=name))
    if not notes:
        return card_view(order, customer.name)
    return _apply(
        session, order=order, customer_name=customer.name, principal=principal,
        expected_version=expected_version, now=now, calendar=calendar, comment="; ".join(notes),
        changes={
            "requested_completion": change.requested_completion,
            "planned_completion": change.planned_completion,
            "owner_id": change.owner_id,
            "priority": change.priority,
            "name": name,
        },
    )


def approve_item_eti(
    session: Session,
    *,
    principal: Principal,
    order_id: int,
    item_id: int,
    expected_version: int,
    now: datetime,
    calendar: BusinessCalendar,
) -> OrderCard:
    """Record the technical-interview approval of one item (staff); the order's status follows.

    Raises:
        Forbidden: not staff.  NotFound: no such order or item.  BadInput: the item is not
        waiting for ETI approval.  Conflict: the order changed since ``expected_version``.
    """
    if not principal.is_staff:
        raise Forbidden("Only staff may approve a technical interview.")
    order, customer = _load_for_write(session, principal=principal, order_id=order_id)
    item = session.get(OrderItem, item_id)
    if item is None or item.order_id != order.id:
        raise NotFound("Item not found.")
    if item.status != ETI_WAITING:
        raise BadInput(_("{item} is not waiting for technical-interview approval.").format(item=item.name))
    if order.version != expected_version:
        raise Conflict(CONFLICT_MESSAGE)
    item.status = "pending"
    session.add(item)
    session.flush()
    return _apply(
        session, order=order, customer_name=customer.name, principal=principal,
        expected_version=expected_version, now=now, calendar=calendar,
        comment=ETI_APPROVED_NOTE.format(item=item.name), changes={},
    )


def add_note(session: Session, *, principal: Principal, order_id: int, expected_version: int, comment: str,
             now: datetime, calendar: BusinessCalendar, internal: bool = False) -> OrderCard:
    """A history row without a move (e.g. "Order put on hold by task …"); the caller commits.
    ``internal`` rows are shown to staff only."""
    comment = (comment or "").strip()
    if not comment:
        raise BadInput("A note needs text.")
    order, customer = _load_for_write(session, principal=principal, order_id=order_id)
    return _apply(session, order=order, customer_name=customer.name, principal=principal,
                  expected_version=expected_version, now=now, calendar=calendar, comment=comment[:4000], changes={},
                  internal=internal)

def associate_client(session: Session, *, principal: Principal, order_id: int, customer_id: int,
                     expected_version: int, now: datetime, calendar: BusinessCalendar) -> OrderCard:
    """Move an order to another client (staff); the change is history."""
    if not principal.is_staff:
        raise Forbidden("Only staff associate orders with clients.")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("Client not found.")
    order, old = _load_for_write(session, principal=principal, order_id=order_id)
    if order.customer_id == customer_id:
        raise BadInput(_("The order already belongs to {customer}.").format(customer=customer.name))
    card = _apply(session, order=order, customer_name=customer.name, principal=principal,
                  expected_version=expected_version, now=now, calendar=calendar,
                  comment=ASSOCIATED_NOTE.format(customer=customer.name, old=old.name), changes={"customer_id": customer_id})
    return card


def add_item(session: Session, *, principal: Principal, order_id: int, kind: str, name: str, expected_version: int,
             now: datetime, calendar: BusinessCalendar) -> OrderCard:
    """Staff add an item to an open order (history row; status follows)."""
    if not principal.is_staff:
        raise Forbidden("Only staff edit order items.")
    name = (name or "").strip()
    if kind not in {t.key for t in service_types.active(session)}:  # the kinds are the offered service types
        raise BadInput("Unknown item kind.")
    if not name or len(name) > 200:
        raise BadInput("The item needs a name (200 characters at most).")
    order, customer = _load_for_write(session, principal=principal, order_id=order_id)
    if ORDER_WORKFLOW.is_terminal(order.phase):
        raise BadInput("A closed or canceled order cannot change.")
    session.add(OrderItem(order_id=order.id, kind=kind, name=name))
    session.flush()
    return _apply(session, order=order, customer_name=customer.name, principal=principal,
                  expected_version=expected_version, now=now, calendar=calendar, comment=ITEM_ADDED_NOTE.format(name=name, kind=kind),
                  changes={})


def remove_item(session: Session, *, principal: Principal, order_id: int, item_id: int, expected_version: int,
                now: datetime, calendar: BusinessCalendar) -> OrderCard:
    """Staff remove an item (an order keeps at least one)."""
    if not principal.is_staff:
        raise Forbidden("Only staff edit order items.")
    order, customer = _load_for_write(session, principal=principal, order_id=order_id)
    if ORDER_WORKFLOW.is_terminal(order.phase):
        raise BadInput("A closed or canceled order cannot change.")
    items = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        raise NotFound("Item not found.")
    if len(items) == 1:
        raise BadInput("An order keeps at least one item.")
    from ordertrack.db.notify_models import ProvisioningAttempt

    for attempt in session.exec(select(ProvisioningAttempt).where(ProvisioningAttempt.item_id == item.id)).all():
        attempt.item_id = None
        session.add(attempt)
    session.delete(item)
    session.flush()
    return _apply(session, order=order, customer_name=customer.name, principal=principal,
                  expected_version=expected_version, now=now, calendar=calendar,
                  comment=ITEM_REMOVED_NOTE.format(name=item.name, kind=item.kind), changes={})
