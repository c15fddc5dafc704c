"""Provisioning attempts and failures (seed 02): the failure queue support works, the
remedy table, notifications through the outbox, and the 2-business-hour escalation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, case, exists, update
from sqlmodel import Session, col, select

from ordertrack.db.engine import session_scope
from ordertrack.db.models import Customer, Order, OrderItem, Reseller
from ordertrack.db.notify_models import OrderFailure, OutboxMessage, ProvisioningAttempt, Remedy
from ordertrack.domain.access import Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.roles import Role
from ordertrack.domain.timefmt import duration_words
from ordertrack.i18n import N_, _
from ordertrack.i18n.notes import note_template
from ordertrack.services import notifications, sweeping
from ordertrack.services.errors import BadInput, Conflict, Forbidden, NotFound

OPEN_STATES = ("open", "claimed")
SUPPORT_ROLES = frozenset({Role.SUPPORT, Role.OPERATOR, Role.ADMIN, Role.TECH_SUPPORT})
RETRY_BASE = timedelta(minutes=2)
CHANGED = "This failure was changed by someone else. Reload and try again."

DEFAULT_REMEDIES = (
    ("offer_use_limit_exceeded", "Offer Use Limit Exceeded",
     "Check how many subscriptions of this offer the customer already has.\n"
     "Raise the limit or cancel an unused subscription, then retry provisioning."),
    ("service_creation_failed", "Service creation failed",
     "Verify whether information on the order is correct."),
    ("missing_required_addons", "Missing <required add-ons>",
     "Check whether provisioning conditions have been met."),
    ("no_order_queue", "Order queue missing",
     "Create or activate an Order process for this service type (Settings → Processes → Service types),\n"
     "then start it on the order from its Order Actions."),
)


@dataclass(frozen=True, slots=True)
class FailureView:
    id: int
    order_id: int
    order_number: str
    customer_name: str
    reason_code: str
    reason: str
    details: str
    remedy: str
    state: str
    opened_at: datetime
    due_at: datetime
    age: str
    countdown: str
    escalated: bool
    claimed_by: str
    retries: int
    retry_in: str
    version: int
    next_retry_at: datetime | None = None  # retry_in's moment: pages show the time, toasts the same


@dataclass(frozen=True, slots=True)
class Recipients:
    support: str
    base_url: str


def ensure_remedies(session: Session) -> None:
    """Create the default remedy rows that do not exist yet (the caller commits)."""
    have = set(session.exec(select(Remedy.reason_code)).all())
    for code, issue, steps in DEFAULT_REMEDIES:
        if code not in have:
            session.add(Remedy(reason_code=code, issue=issue, steps=steps))
    session.flush()


def _remedy(session: Session, code: str) -> tuple[str, str]:
    row = session.exec(select(Remedy).where(Remedy.reason_code == code)).first()
    if row is None:
        return code.replace("_", " ").capitalize(), "Contact your local helpdesk."
    return row.issue, row.steps


def _variables(order: Order, customer: Customer, failure: OrderFailure, remedy: tuple[str, str],
               base_url: str) -> dict[str, str]:
    return {
        "order_number": order.number, "order_name": order.name, "customer": customer.name,
        "reason": remedy[0], "details": failure.details or "—", "remedy": remedy[1],
        "resolution": failure.resolution, "order_link": f"{base_url.rstrip('/')}/orders/{order.number}",
    }


def record_attempt(
    session: Session,
    *,
    actor_name: str,
    order_number: str,
    succeeded: bool,
    now: datetime,
    calendar: BusinessCalendar,
    recipients: Recipients,
    reason_code: str = "",
    details: str = "",
    escalation_hours: float = 2.0,
    item_id: int | None = None,
) -> FailureView | None:
    """Record one provisioning attempt (the caller commits; outbox rows go in the same transaction).

    The attempt concerns one item (``item_id``) or all the order's items; their provisioning
    state follows (``provisioned`` / ``provisioning_failed``). A failure opens (or updates) the
    order's failure, with its deadline 2 business hours later, and notifies support always, the
    reseller and/or the customer per the reseller's settings. Once no item is failed any more,
    an open failure is resolved (reconciliation: an order never stays "failed" after a later
    attempt succeeded).

    Raises:
        NotFound: no such order.  BadInput: a failure without a reason code.
    """
    reason_code = (reason_code or "").strip().lower()[:80]
    details = (details or "").strip()[:2000]
    if not succeeded and not reason_code:
        raise BadInput("A failed attempt needs a reason code.")
    row = session.exec(
        select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
        .where(Order.number == (order_number or "").strip()[:40])
    ).first()
    if row is None:
        raise NotFound("Order not found.")
    order, customer = row
    items = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    if item_id is not None and item_id not in {i.id for i in items}:
        raise NotFound("That item is not part of this order.")
    for item in items:
        if item_id is None or item.id == item_id:
            item.status = "provisioned" if succeeded else "provisioning_failed"
            session.add(item)
    session.add(ProvisioningAttempt(order_id=order.id, item_id=item_id, at=now, succeeded=succeeded,
                                    reason_code=reason_code, details=details, actor_name=actor_name[:200]))
    failure = session.exec(
        select(OrderFailure).where(OrderFailure.order_id == order.id, col(OrderFailure.state).in_(OPEN_STATES))
    ).first()
    if succeeded:
        still_failed = any(i.status == "provisioning_failed" for i in items)
        if failure is not None and not still_failed:
            failure.state, failure.resolved_at = "resolved", now
            failure.resolution = f"Provisioning succeeded on a later attempt ({actor_name})."
            failure.version += 1
            session.add(failure)
            session.flush()
            _resolved(session, failure, now=now, base_url=recipients.base_url, calendar=calendar)
        session.flush()
        return None
    if failure is not None:
        failure.reason_code, failure.details = reason_code, details
        failure.version += 1
        session.add(failure)
        session.flush()
        return _view(session, failure, order, customer, now=now, calendar=calendar)
    failure = OrderFailure(order_id=order.id, reason_code=reason_code, details=details, opened_at=now,
                           due_at=calendar.add(now, timedelta(hours=escalation_hours)))
    session.add(failure)
    session.flush()
    remedy = _remedy(session, reason_code)
    to = [("support", recipients.support)]
    reseller = session.get(Reseller, customer.reseller_id) if customer.reseller_id else None
    if reseller is not None:
        if reseller.notify_reseller_on_failure:
            to.append(("reseller", reseller.contact_email))
        if reseller.notify_customer_on_failure:
            to.append(("customer", customer.contact_email))
    notifications.enqueue(session, event="order_provisioning_failed", order_id=order.id, recipients=to,
                          variables=_variables(order, customer, failure, remedy, recipients.base_url), now=now)
    _history(session, order.id, FAILED_NOTE.format(reason=remedy[0]), now=now, calendar=calendar)
    return _view(session, failure, order, customer, now=now, calendar=calendar)


def _view(session: Session, f: OrderFailure, order: Order, customer: Customer, *, now: datetime,
          calendar: BusinessCalendar) -> FailureView:
    reason, steps = _remedy(session, f.reason_code)
    left = calendar.between(now, f.due_at)
    if f.state == "resolved":
        countdown = _("resolved")
    elif f.escalated_at is not None:
        countdown = _("escalated to the reseller")
    elif left > timedelta():
        countdown = _("{duration} left").format(duration=duration_words(left))
    else:
        countdown = _("deadline passed")
    retry_in = ""
    next_retry_at = f.next_retry_at if f.next_retry_at is not None and f.next_retry_at > now else None
    if next_retry_at is not None:
        retry_in = duration_words(next_retry_at - now)
    return FailureView(
        id=f.id, order_id=order.id, order_number=order.number, customer_name=customer.name,
        reason_code=f.reason_code, reason=reason, details=f.details, remedy=steps, state=f.state,
        opened_at=f.opened_at, due_at=f.due_at, age=duration_words(now - f.opened_at), countdown=countdown,
        escalated=f.escalated_at is not None, claimed_by=f.claimed_by_name, retries=f.retries,
        retry_in=retry_in, version=f.version, next_retry_at=next_retry_at,
    )


def _check_support(principal: Principal) -> None:
    if principal.role not in SUPPORT_ROLES:
        raise Forbidden("Only support may work the failure queue.")


def failure_queue(session: Session, *, principal: Principal, now: datetime,
                  calendar: BusinessCalendar) -> tuple[FailureView, ...]:
    """Open and claimed failures, the nearest deadline first (support)."""
    _check_support(principal)
    rows = session.exec(
        select(OrderFailure, Order, Customer)
        .join(Order, Order.id == OrderFailure.order_id).join(Customer, Customer.id == Order.customer_id)
        .where(col(OrderFailure.state).in_(OPEN_STATES)).order_by(col(OrderFailure.due_at))
    ).all()
    return tuple(_view(session, f, o, c, now=now, calendar=calendar) for f, o, c in rows)


def open_failure(session: Session, *, principal: Principal, order_id: int, now: datetime,
                 calendar: BusinessCalendar) -> FailureView | None:
    """The open failure of an order the principal may see, with reason and remedy."""
    row = session.exec(
        select(OrderFailure, Order, Customer)
        .join(Order, Order.id == OrderFailure.order_id).join(Customer, Customer.id == Order.customer_id)
        .where(OrderFailure.order_id == order_id, col(OrderFailure.state).in_(OPEN_STATES))
    ).first()
    if row is None:
        return None
    f, o, c = row
    if not principal.can_see(customer_id=c.id, reseller_id=c.reseller_id):
        return None
    return _view(session, f, o, c, now=now, calendar=calendar)


def open_failure_exists(session: Session, *, order_id: int) -> bool:
    """Whether the order has an unresolved provisioning failure."""
    return session.exec(select(OrderFailure.id).where(OrderFailure.order_id == order_id,
                                                      col(OrderFailure.state).in_(OPEN_STATES))).first() is not None


def _load(session: Session, failure_id: int, version: int) -> OrderFailure:
    f = session.get(OrderFailure, failure_id)
    if f is None:
        raise NotFound("Failure not found.")
    if f.version != version:
        raise Conflict(CHANGED)
    return f


def _save(session: Session, f: OrderFailure, version: int, **values) -> None:
    done = session.exec(
        update(OrderFailure).where(OrderFailure.id == f.id, OrderFailure.version == version)
        .values(version=version + 1, **values).execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict(CHANGED)


def claim(session: Session, *, principal: Principal, failure_id: int, version: int, now: datetime) -> None:
    """Support takes a failure."""
    _check_support(principal)
    f = _load(session, failure_id, version)
    if f.state == "resolved":
        raise BadInput("This failure is already resolved.")
    _save(session, f, version, state="claimed", claimed_by_id=principal.user_id,
          claimed_by_name=principal.display_name)


def retry(session: Session, *, principal: Principal, failure_id: int, version: int, now: datetime) -> timedelta:
    """Ask for another provisioning attempt; back-off doubles the wait between retries."""
    _check_support(principal)
    f = _load(session, failure_id, version)
    if f.state == "resolved":
        raise BadInput("This failure is already resolved.")
    if f.next_retry_at is not None and f.next_retry_at > now:
        raise BadInput(_("Retry available in {duration}.").format(duration=duration_words(f.next_retry_at - now)))
    wait = RETRY_BASE * 2 ** f.retries
    session.add(ProvisioningAttempt(order_id=f.order_id, at=now, succeeded=False, reason_code="retry_requested",
                                    details=f"Retry #{f.retries + 1} requested by {principal.display_name}",
                                    actor_name=principal.display_name))
    _save(session, f, version, retries=f.retries + 1, next_retry_at=now + wait,
          state="claimed", claimed_by_id=principal.user_id, claimed_by_name=principal.display_name)
    return wait


def resolve(session: Session, *, principal: Principal, failure_id: int, version: int, note: str, now: datetime,
            base_url: str) -> None:
    """Support resolves a failure with a note; the reseller is told when it had been escalated."""
    _check_support(principal)
    note = (note or "").strip()
    if not note:
        raise BadInput("A note is required to resolve a failure.")
    if len(note) > 2000:
        raise BadInput("The note is too long (2000 characters at most).")
    f = _load(session, failure_id, version)
    if f.state == "resolved":
        raise BadInput("This failure is already resolved.")
    _save(session, f, version, state="resolved", resolved_at=now, resolution=note)
    f.resolution = note
    _resolved(session, f, now=now, base_url=base_url)


FAILED_NOTE = note_template(N_("Provisioning failed: {reason}."))
RESOLVED_NOTE = note_template(N_("Provisioning problem resolved: {note}"))


def _history(session: Session, order_id: int, comment: str, *, now: datetime,
             calendar: BusinessCalendar | None = None) -> None:
    """A history row on the order (its tracking status follows the items' provisioning state)."""
    from ordertrack.domain.access import SYSTEM
    from ordertrack.services import order_moves
    from ordertrack.services.calendars import business_calendar

    version = session.exec(select(Order.version).where(Order.id == order_id)).one()
    order_moves.add_note(session, principal=SYSTEM, order_id=order_id, expected_version=version, comment=comment[:4000],
                         now=now, calendar=calendar or business_calendar())


def _resolved(session: Session, f: OrderFailure, *, now: datetime, base_url: str,
              calendar: BusinessCalendar | None = None) -> None:
    """History row and "resolved" mail to everyone who was told of the failure (its first mail
    or its escalation), whether or not it had been escalated."""
    order = session.get(Order, f.order_id)
    customer = session.get(Customer, order.customer_id)
    told = session.exec(
        select(OutboxMessage.recipient_kind, OutboxMessage.to_addr)
        .where(OutboxMessage.order_id == order.id,
               col(OutboxMessage.event).in_(("order_provisioning_failed", "order_failure_escalated")),
               col(OutboxMessage.created_at) >= f.opened_at)
        .order_by(OutboxMessage.id)).all()
    if told:
        notifications.enqueue(session, event="order_failure_resolved", order_id=order.id,
                              recipients=[(kind, addr) for kind, addr in told],
                              variables=_variables(order, customer, f, _remedy(session, f.reason_code), base_url),
                              now=now)
    _history(session, order.id, RESOLVED_NOTE.format(note=f.resolution), now=now, calendar=calendar)


def escalate_due(engine: Engine, *, now: datetime, recipients: Recipients, batch: int = sweeping.BATCH) -> list[int]:
    """Escalate every unresolved failure past its deadline, once (compare-and-set on version).

    Due failures are claimed a batch per transaction (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL), each escalated in a savepoint; one that raises is set aside and retried later
    (``sweeping.BrokenRows``), never blocking the others.

    Returns:
        The ids of the failures escalated.

    Raises:
        sqlalchemy.exc.OperationalError and kin: the database does not answer.
    """
    broken = sweeping.BrokenRows(engine, "order_failure")
    tried: set[int] = set()
    escalated: list[int] = []
    while True:
        done: list[int] = []
        with session_scope(engine) as session:
            query = (select(OrderFailure.id, OrderFailure.version)
                     .where(col(OrderFailure.state).in_(OPEN_STATES), col(OrderFailure.escalated_at).is_(None),
                            col(OrderFailure.due_at) <= now)
                     .order_by(col(OrderFailure.due_at)).limit(batch).with_for_update(skip_locked=True))
            due = session.exec(sweeping.unclaimed(query, col(OrderFailure.id), col(OrderFailure.version),
                                                  tried=tried, waiting=broken.waiting(now))).all()
            if not due:
                return escalated
            for failure_id, version in due:
                outcome = sweeping.apply_row(
                    session, lambda failure_id=failure_id, version=version: _escalate(
                        session, failure_id=failure_id, version=version, now=now, recipients=recipients),
                    broken=broken, row_id=failure_id, version=version, now=now,
                    what=f"escalation of failure {failure_id}")
                if outcome is sweeping.Outcome.APPLIED:
                    done.append(failure_id)
                else:
                    tried.add(failure_id)
        for failure_id in done:
            broken.succeeded(failure_id)
        escalated.extend(done)


def _escalate(session: Session, *, failure_id: int, version: int, now: datetime, recipients: Recipients) -> None:
    """Mark one claimed failure escalated and e-mail the reseller (or support)."""
    f = _load(session, failure_id, version)
    _save(session, f, version, escalated_at=now)
    order = session.get(Order, f.order_id)
    customer = session.get(Customer, order.customer_id)
    reseller = session.get(Reseller, customer.reseller_id) if customer.reseller_id else None
    to = [("reseller", reseller.contact_email)] if reseller else [("support", recipients.support)]
    notifications.enqueue(session, event="order_failure_escalated", order_id=order.id, recipients=to,
                          variables=_variables(order, customer, f, _remedy(session, f.reason_code),
                                               recipients.base_url), now=now)


RECONCILED_CLOSED = N_("Closed automatically: the order was closed or canceled, so nothing is left to provision.")
RECONCILED_PROVISIONED = N_("Closed automatically: the order was provisioned by a later attempt.")


def _settled():
    """SQL: why an open failure no longer needs support (its order closed or canceled, or
    provisioned since: a successful attempt after the failure and no item still failed), or
    NULL."""
    provisioned = exists().where(ProvisioningAttempt.order_id == OrderFailure.order_id,
                                 col(ProvisioningAttempt.succeeded).is_(True),
                                 ProvisioningAttempt.at >= OrderFailure.opened_at) & ~exists().where(
        OrderItem.order_id == OrderFailure.order_id, OrderItem.status == "provisioning_failed")
    return case((col(Order.phase).in_(("closed", "canceled")), "closed"), (provisioned, "provisioned"), else_=None)


def reconcile(engine: Engine, *, now: datetime, batch: int = sweeping.BATCH) -> list[int]:
    """Close every open failure whose order was closed, canceled or provisioned since, with a
    note saying so (the sweep runs it: a failure never waits for support after its remedy was
    carried out). Compare-and-set on ``version``: a failure support changed meanwhile is left
    for the next sweep.

    Returns:
        The ids of the failures closed.
    """
    closed: list[int] = []
    with session_scope(engine) as session:
        reason = _settled().label("reason")
        rows = session.exec(
            select(OrderFailure.id, OrderFailure.version, reason).join(Order, Order.id == OrderFailure.order_id)
            .where(col(OrderFailure.state).in_(OPEN_STATES), reason.is_not(None)).limit(batch)
        ).all()
        for failure_id, version, why in rows:
            note = RECONCILED_CLOSED if why == "closed" else RECONCILED_PROVISIONED
            done = session.exec(
                update(OrderFailure).where(OrderFailure.id == failure_id, OrderFailure.version == version)
                .values(version=version + 1, state="resolved", resolved_at=now, resolution=note)
                .execution_options(synchronize_session=False)).rowcount
            if done == 1:
                closed.append(failure_id)
    return closed


def remedies(session: Session) -> tuple[tuple[int, str, str, str], ...]:
    """(id, reason code, issue, steps) of the remedy table."""
    ensure_remedies(session)
    return tuple((r.id, r.reason_code, r.issue, r.steps)
                 for r in session.exec(select(Remedy).order_by(Remedy.issue)).all())


def save_remedy(session: Session, *, principal: Principal, reason_code: str, issue: str, steps: str) -> None:
    """Add or change a remedy row (administrators and support)."""
    _check_support(principal)
    code = (reason_code or "").strip().lower().replace(" ", "_")[:80]
    issue, steps = (issue or "").strip(), (steps or "").strip()
    if not code or not issue or not steps:
        raise BadInput("Reason code, issue and steps are all required.")
    if len(issue) > 200 or len(steps) > 4000:
        raise BadInput("The remedy is too long.")
    row = session.exec(select(Remedy).where(Remedy.reason_code == code)).first() or Remedy(reason_code=code, issue="")
    row.issue, row.steps = issue, steps
    session.add(row)
    session.flush()


def notification_settings(session: Session, *, principal: Principal) -> tuple[bool, bool]:
    """(notify the reseller, notify its customers) for the principal's reseller."""
    reseller = _own_reseller(session, principal)
    return reseller.notify_reseller_on_failure, reseller.notify_customer_on_failure


def save_notification_settings(session: Session, *, principal: Principal, reseller_too: bool,
                               customer_too: bool) -> None:
    """A reseller chooses who besides support gets failed-order notifications."""
    reseller = _own_reseller(session, principal)
    reseller.notify_reseller_on_failure, reseller.notify_customer_on_failure = bool(reseller_too), bool(customer_too)
    session.add(reseller)
    session.flush()


def _own_reseller(session: Session, principal: Principal) -> Reseller:
    if principal.role is not Role.RESELLER or principal.reseller_id is None:
        raise Forbidden("Only a reseller has these settings.")
    reseller = session.get(Reseller, principal.reseller_id)
    if reseller is None:
        raise NotFound("Reseller not found.")
    return reseller




def customer_contacts(session: Session, *, principal: Principal) -> tuple[tuple[int, str, str], ...]:
    """(id, name, contact e-mail) of the customers whose recipient this principal may edit."""
    query = select(Customer.id, Customer.name, Customer.contact_email).order_by(Customer.name)
    if principal.role is Role.RESELLER:
        query = query.where(Customer.reseller_id == (principal.reseller_id or -1))
    elif principal.role not in (Role.ADMIN, Role.SUPPORT):
        raise Forbidden("Only a reseller, support or an administrator may edit contact information.")
    return tuple((r[0], r[1], r[2]) for r in session.exec(query).all())


def set_contact_email(session: Session, *, principal: Principal, customer_id: int, email: str) -> None:
    """Change the customer's contact e-mail: the recipient of its failed-order notifications."""
    email = (email or "").strip()
    if len(email) > 320 or "@" not in email or " " in email or email.startswith("@") or email.endswith("@"):
        raise BadInput("Enter a valid e-mail address.")
    allowed = {cid for cid, _, _ in customer_contacts(session, principal=principal)}
    customer = session.get(Customer, customer_id)
    if customer is None or customer_id not in allowed:
        raise NotFound("Customer not found.")
    customer.contact_email = email
    session.add(customer)
    session.flush()
