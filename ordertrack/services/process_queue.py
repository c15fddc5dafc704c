"""The order queue and the board as one truth: board moves checked against the queue.

An active order belongs to the queue (an Order process) of its service type, and its board
phase follows the step that queue stands at. Here: moves by hand checked before
(``check_move``) and applied to the queue after (``after_order_move``), "skip the remaining
actions" (``skip_to``), going on from a waiting step (``continue_queue``), what the order
page offers (``queue_offer``), and the reconciliation that adopts orders without a queue and
aligns queues that disagree with their order (``reconcile_queues``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from ordertrack import i18n
from ordertrack.db.engine import session_scope
from ordertrack.db.mapping import process_from_json
from ordertrack.db.models import Customer, Order, OrderItem
from ordertrack.db.process_models import ProcessRun, ProcessVersion, TaskInstance
from ordertrack.domain import process as p
from ordertrack.domain.access import SYSTEM, Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.engine import TransitionRefused
from ordertrack.domain.workflows import ORDER_WORKFLOW
from ordertrack.i18n import N_, _
from ordertrack.i18n.notes import note_template
from ordertrack.services.errors import BadInput, Conflict, NotFound
from ordertrack.services.process_design import _latest, ensure_default_queue, process_for_service
from ordertrack.services.process_run import (
    ACTIVE_PHASES,
    RUN_STATUSES,
    _apply,
    _domain_run,
    _running,
    _worker,
    current_run,
    finish_task,
    on_order_closed,
    start_run,
)


def _service_type(session: Session, order_id: int) -> str:
    kind = session.exec(select(OrderItem.kind).where(OrderItem.order_id == order_id)
                        .order_by(col(OrderItem.id))).first()
    return kind or ""


def adopt_order(session: Session, *, order_id: int, now: datetime, calendar: BusinessCalendar) -> bool:
    """Give an active order without a queue its queue, at the step of its board phase (a
    Validation order: the queue complete). False when there was nothing to do."""
    order = session.get(Order, order_id)
    if order is None or order.phase not in ACTIVE_PHASES:
        return False
    run = current_run(session, entity_kind="order", entity_id=order_id)
    if run is not None and run.status in ("running", "complete"):
        return False
    process_id = process_for_service(session, service_type=_service_type(session, order_id), now=now)
    if process_id is None:
        return False
    definition = process_from_json(_latest(session, process_id).definition, process_id=process_id)
    if order.phase != "validation" and order.phase not in p.board_phases(definition).values():
        process_id = ensure_default_queue(session, now=now)
        definition = process_from_json(_latest(session, process_id).definition, process_id=process_id)
    latest = _latest(session, process_id)
    if order.phase == "validation":
        session.add(ProcessRun(entity_kind="order", entity_id=order_id, process_version_id=latest.id,
                               started_at=now, phase_id="", status="complete"))
        session.flush()
        return True
    first = next(ph.id for ph in definition.phases if p.board_phases(definition)[ph.id] == order.phase)
    start_run(session, principal=SYSTEM, entity_kind="order", entity_id=order_id, process_id=process_id, now=now,
              calendar=calendar, phase_id=first)
    return True


def align_order(session: Session, *, order_id: int, now: datetime, calendar: BusinessCalendar) -> bool:
    """A queue that disagrees with its order's board phase (data from before they were one)
    goes to the step of the order's phase. False when they agree."""
    order = session.get(Order, order_id)
    found = _running(session, order_id)
    if order is None or found is None or order.phase not in ACTIVE_PHASES:
        return False
    run, definition, proc = found
    if p.board_phase(definition, _domain_run(session, run)) == order.phase:
        return False
    try:
        outcome = p.align(definition, _domain_run(session, run), order.phase)
    except p.ProcessRefused:
        return False
    _apply(session, run=run, definition=definition, proc=proc, outcome=outcome, principal=SYSTEM, now=now,
           calendar=calendar, base_url="", support="", note="queue aligned with the board")
    return True


def disagreements(session: Session) -> list[int]:
    """Active orders without a queue, or whose queue's step is in another board phase."""
    latest = (select(func.max(ProcessRun.id).label("run_id"))
              .where(ProcessRun.entity_kind == "order").group_by(ProcessRun.entity_id).subquery())
    rows = session.exec(
        select(Order.id, Order.phase, ProcessRun.status, ProcessRun.phase_id, ProcessRun.process_version_id)
        .join(ProcessRun, (ProcessRun.entity_id == Order.id) & (ProcessRun.entity_kind == "order"), isouter=True)
        .join(latest, latest.c.run_id == ProcessRun.id, isouter=True)
        .where(col(Order.phase).in_(ACTIVE_PHASES))
        .where((latest.c.run_id.is_not(None)) | (col(ProcessRun.id).is_(None)))
    ).all()
    mappings: dict[int, dict[str, str]] = {}
    bad = []
    for order_id, phase, status, phase_id, version_id in rows:
        if status not in ("running", "complete"):
            bad.append(order_id)
            continue
        if version_id not in mappings:
            pv = session.get(ProcessVersion, version_id)
            mappings[version_id] = p.board_phases(process_from_json(pv.definition, process_id=pv.process_id))
        board = "validation" if status == "complete" else mappings[version_id].get(phase_id, "planning")
        if board != phase:
            bad.append(order_id)
    return bad


_RECONCILED: dict[int, float] = {}  # engine id → monotonic time of the last check that found nothing


RECONCILE_IDLE_SECONDS = 30.0


def reconcile_queues(engine: Engine, *, now: datetime, calendar: BusinessCalendar, limit: int = 100,
                     force: bool = False) -> list[int]:
    """Every active order belongs to a queue whose step agrees with its board phase: adopt
    orders without one, align those that disagree (each in its own transaction). Run by the
    scheduler: after a check that found nothing, the next one waits ``RECONCILE_IDLE_SECONDS``."""
    import time

    if not force and time.monotonic() - _RECONCILED.get(id(engine), -1e9) < RECONCILE_IDLE_SECONDS:
        return []
    with session_scope(engine) as session:
        todo = disagreements(session)[:limit]
    if not todo:
        _RECONCILED[id(engine)] = time.monotonic()
        return []
    _RECONCILED.pop(id(engine), None)
    fixed = []
    for order_id in todo:
        try:
            with session_scope(engine) as session:
                if adopt_order(session, order_id=order_id, now=now, calendar=calendar) or \
                        align_order(session, order_id=order_id, now=now, calendar=calendar):
                    fixed.append(order_id)
        except (Conflict, BadInput, TransitionRefused):
            continue
    return fixed


class QueueNotReached(BadInput):
    """A move on the board that the order's queue has not reached. ``steps`` are the steps
    whose remaining actions a skip would skip (empty when skipping cannot get there)."""

    def __init__(self, message: str, *, steps: tuple[str, ...], target: str) -> None:
        super().__init__(message)
        self.steps = steps
        self.target = target


def _names(steps: tuple[str, ...]) -> str:
    """“A”, “B” and “C” in the current language."""
    quoted = [_("“{name}”").format(name=s) for s in steps]
    if len(quoted) < 2:
        return "".join(quoted)
    return _("{items} and {last}").format(items=", ".join(quoted[:-1]), last=quoted[-1])


UNREAD = object()
"""``check_move`` did not read the queue (a move it never refuses)."""


def check_move(session: Session, *, order_id: int, target: str, run_status: str | None | object = UNREAD) -> object:
    """Whether the order's queue allows moving the order to board phase ``target`` by hand.

    Forward (to Execution, to Customer Validation) only happens when the queue reaches a step
    of that phase: refused with the reason and the steps whose remaining actions a skip
    would skip. Back (Execution → Planning, Validation → Execution) needs a step of that
    phase to go back to. Canceling and the customer's approval are never refused here.

    Raises:
        QueueNotReached: a forward move the queue has not reached.
        BadInput: a move back to a phase the queue has no step in.

    ``run_status``: the status of the order's newest process run, when the caller read it
    (``order_moves.load_for_move``): an order without a running or complete queue is not read again.

    Returns:
        The queue as read (``UNREAD`` when not read): ``after_order_move`` takes it, so that
        one move reads its queue once.
    """
    if target in ("closed", "canceled") or target not in p.BOARD_PHASES:
        return UNREAD
    if run_status is not UNREAD and run_status not in RUN_STATUSES:
        return None
    found = _running(session, order_id)
    if found is None or session.get(Order, order_id) is None:  # the order read only for a queue's order
        return found
    run, definition, _proc = found
    here = p.board_phase(definition, _domain_run(session, run))
    label = ORDER_WORKFLOW.label(target)
    if p.rank(target) > p.rank(here):
        plan = p.skip_plan(definition, _domain_run(session, run), target)
        step = definition.phase(run.phase_id)
        waiting = [t.name for t in session.exec(select(TaskInstance).where(
            TaskInstance.run_id == run.id, TaskInstance.phase_id == run.phase_id, TaskInstance.status == "open"))]
        reason = _("The order queue “{queue}” has not reached {phase}: step “{step}” still has open actions "
                   "({actions}).").format(queue=definition.name, phase=label, step=step.name,
                                          actions=", ".join(waiting) or "—")
        if plan.reachable:
            reason += " " + _("Finish them, or skip the remaining actions of {steps}.").format(
                steps=_names(plan.steps))
        else:
            reason += " " + plan.reason
        raise QueueNotReached(reason, steps=plan.steps if plan.reachable else (), target=target)
    if p.rank(target) < p.rank(here) and target not in p.board_phases(definition).values():
        raise BadInput(_("The order queue “{queue}” has no step in {phase} to go back to.").format(
            queue=definition.name, phase=label))
    return found


def before_order_move(session: Session, *, order_id: int, target: str,
                      run_status: str | None | object = UNREAD) -> object:
    """Called before every move by hand (board, order page): see ``check_move``."""
    return check_move(session, order_id=order_id, target=target, run_status=run_status)


def after_order_move(session: Session, *, principal: Principal, order_id: int, target: str, now: datetime,
                     calendar: BusinessCalendar, base_url: str = "", support: str = "",
                     queue: object = UNREAD) -> None:
    """After a move by hand or by a timer: a closed or canceled order closes its open tasks
    (and tells the process's "Order completed"/"Order canceled" recipients once); a move back
    sends the queue back to the last step of that phase, whose actions open again.

    ``queue``: what ``before_order_move`` returned in this transaction (read again when ``UNREAD``).
    """
    if target in ("closed", "canceled"):
        on_order_closed(session, principal=principal, order_id=order_id, canceled=target == "canceled", now=now,
                        calendar=calendar, base_url=base_url, support=support)
        return
    found = _running(session, order_id) if queue is UNREAD else queue
    if found is None or target not in p.BOARD_PHASES:
        return
    run, definition, proc = found
    if p.rank(target) < p.rank(p.board_phase(definition, _domain_run(session, run))):
        try:
            outcome = p.reopen_at(definition, _domain_run(session, run), target)
        except p.ProcessRefused as exc:
            raise BadInput(exc.reason) from None
        run.status = "running"
        _apply(session, run=run, definition=definition, proc=proc, outcome=outcome, principal=principal, now=now,
               calendar=calendar, base_url=base_url, support=support,
               note=_moved_back(target))


def _visible_order(session: Session, principal: Principal, order_id: int) -> Order:
    """The order, for staff who work on queues and may see it.

    Raises:
        Forbidden: not such staff.
        NotFound: no such order, or not theirs to see.
    """
    _worker(principal)
    order = session.get(Order, order_id)
    customer = session.get(Customer, order.customer_id) if order is not None else None
    if customer is None or not principal.can_see(customer_id=customer.id, reseller_id=customer.reseller_id):
        raise NotFound("Order not found.")
    return order


def skip_to(session: Session, *, principal: Principal, order_id: int, target: str, now: datetime,
            calendar: BusinessCalendar, base_url: str = "", support: str = "") -> tuple[str, ...]:
    """"Skip the remaining actions of <step>": skip the open actions of the current step (and
    of the following ones, as far as needed) until the queue reaches board phase ``target``;
    the order follows. Returns the skipped steps' names (the caller commits).

    Raises:
        BadInput: skipping cannot get there (a route to choose, a loop, another process).
    """
    _visible_order(session, principal, order_id)
    found = _running(session, order_id)
    if found is None:
        raise BadInput("No order queue runs on this order.")
    run, definition, _proc = found
    plan = p.skip_plan(definition, _domain_run(session, run), target)
    if not plan.reachable:
        raise BadInput(plan.reason)
    for _round in range(len(definition.phases) + 1):
        found = _running(session, order_id)
        run, definition, proc = found
        domain = _domain_run(session, run)
        if p.rank(p.board_phase(definition, domain)) >= p.rank(target):
            break
        before = run.phase_id
        if not p.skip_order(definition, domain):
            _apply(session, run=run, definition=definition, proc=proc, outcome=p.continue_step(definition, domain),
                   principal=principal, now=now, calendar=calendar, base_url=base_url, support=support)
            continue
        for tr in p.skip_order(definition, domain):
            run = session.get(ProcessRun, run.id)
            session.refresh(run)
            if run.phase_id != before or run.status != "running":
                break
            finish_task(session, principal=principal, task_instance_id=tr.key, skip=True, now=now, calendar=calendar,
                        base_url=base_url, support=support, note="skip the remaining actions")
    return plan.steps


def continue_queue(session: Session, *, principal: Principal, order_id: int, now: datetime,
                   calendar: BusinessCalendar, base_url: str = "", support: str = "") -> None:
    """Go on from a step whose actions are all closed but which waits (its last action was
    canceled with "hold order" or "error order")."""
    _visible_order(session, principal, order_id)
    found = _running(session, order_id)
    if found is None or found[0].status != "running":
        raise BadInput("No order queue runs on this order.")
    run, definition, proc = found
    try:
        outcome = p.continue_step(definition, _domain_run(session, run))
    except p.ProcessRefused as exc:
        raise BadInput(exc.reason) from None
    _apply(session, run=run, definition=definition, proc=proc, outcome=outcome, principal=principal, now=now,
           calendar=calendar, base_url=base_url, support=support)


@dataclass(frozen=True, slots=True)
class QueueOffer:
    """What the order page offers besides the actions themselves."""

    target: str  # the next board phase ("" none)
    steps: tuple[str, ...]  # "skip the remaining actions of" these steps to get there
    waiting_step: str  # a step whose actions are all closed but which waits (hold/error)


def queue_offer(session: Session, *, order_id: int) -> QueueOffer:
    """The skip offer to the next board phase and the "continue" of a waiting step."""
    found = _running(session, order_id)
    if found is None or found[0].status != "running":
        return QueueOffer("", (), "")
    run, definition, _proc = found
    domain = _domain_run(session, run)
    here = p.board_phase(definition, domain)
    waiting = ""
    if not domain.awaiting_route and not p.skip_order(definition, domain):
        waiting = definition.phase(run.phase_id).name
    target = p.BOARD_PHASES[p.rank(here) + 1] if p.rank(here) + 1 < len(p.BOARD_PHASES) else ""
    if not target:
        return QueueOffer("", (), waiting)
    plan = p.skip_plan(definition, domain, target)
    return QueueOffer(target if plan.reachable else "", plan.steps if plan.reachable else (), waiting)


MOVED_BACK = note_template(N_("order moved back to {phase}"))


def _moved_back(target: str) -> str:
    """The run's note when its order is moved back (stored in English, like every note)."""
    with i18n.use(i18n.DEFAULT):
        return MOVED_BACK.format(phase=ORDER_WORKFLOW.label(target))
