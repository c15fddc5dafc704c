"""Running processes on subjects (orders, requests, tickets): runs, tasks and their timers.

The pure engine (``domain.process``) decides, this module applies its effects in one
transaction: task rows (with their timers), task history, order actions (confirm/complete
move the order, hold/error are recorded), e-mails through the outbox, and routes to other
processes. Also: finishing, skipping, canceling a task and changing its step, the sweep of
timed tasks, escalation targets and the overdue-task report. Designing processes lives in
``process_design``; the board moves checked against an order's queue, in ``process_queue``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine, bindparam, func, update
from sqlmodel import Session, col, select

from ordertrack.db.engine import session_scope
from ordertrack.db.mapping import process_from_json
from ordertrack.db.models import Customer, Order, StatusChange, User
from ordertrack.db.process_models import Process, ProcessRun, ProcessVersion, TaskInstance
from ordertrack.domain import process as p
from ordertrack.domain.access import SYSTEM, Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.engine import TransitionRefused
from ordertrack.i18n import N_, _
from ordertrack.i18n.notes import note_template
from ordertrack.services import notifications, order_moves, process_groups, sla, sweeping
from ordertrack.services.errors import BadInput, Conflict, Forbidden, NotFound
from ordertrack.services.process_design import _latest, _row

CHANGED = "This process changed meanwhile. Reload and try again."


def _worker(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("Only staff may work on process tasks.")


ACTIVE_PHASES = ("planning", "execution", "validation")

# History rows and notes a run writes: stored in English, read in the reader's language (i18n.notes).
TASK_STATUS_LINE = note_template(N_("“{task}” {status}"))
TASK_STEP_LINE = note_template(N_("“{task}”: step {old} → {new}"))
RUN_NOTE = note_template(N_("{process}: {lines}"))
RUN_NOTE_WITH = note_template(N_("{process}: {lines} ({note})"))
PHASE_OPENED = note_template(N_("{process}: phase {phase}"))
QUEUE_AT_STEP = note_template(N_("Order queue “{process}” is at step “{step}”."))
QUEUE_COMPLETE = note_template(N_("Order queue “{process}” is complete."))
ORDER_ACTION_NOTES = {
    "confirm": note_template(N_("Order confirmed by task “{task}” of {process}")),
    "complete": note_template(N_("Order completed by task “{task}” of {process}")),
    "hold": note_template(N_("Order put on hold by task “{task}” of {process}")),
    "error": note_template(N_("Order set to error by task “{task}” of {process}")),
}
TASK_DETAIL = note_template(N_("Task: {task}"))
PHASE_DETAIL = note_template(N_("Phase: {phase}"))
ASSIGNED_DETAIL = note_template(N_("Task: {task} (assigned to {assignee})"))
GROUP_WORDS = note_template(N_("group {group}"))
ESCALATED = N_("Escalated: not done within 2 business hours")
ESCALATED_EVENT = N_("Task escalated after 2 business hours")
ESCALATED_NOTE = note_template(N_("{process}: “{task}” escalated — not done within 2 business hours (told {told})"))
NOBODY = N_("nobody")
EXPIRED_BY_ITSELF = N_("expired by itself after 48 hours")
WAIT_ENDED = N_("the 24-hour wait ended: completed by itself")
TASK_WORDS = (N_("done"), N_("skipped"), N_("canceled"), N_("expired"), N_("open"), N_("step"))  # history values


@dataclass(frozen=True, slots=True)
class TaskView:
    id: int
    task_id: str
    name: str
    type: str
    status: str
    step: str
    assignee: str
    phase_id: str
    subject: str = ""
    body: str = ""
    assignee_kind: str = ""  # person | group | ""
    due_kind: str = ""  # complete | expire | escalate | "" (timed task types)
    due_at: datetime | None = None
    escalated_at: datetime | None = None
    alarm_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str = ""
    on_cancel: str = ""


@dataclass(frozen=True, slots=True)
class PhaseView:
    id: str
    name: str
    state: str  # done | current | later
    tasks: tuple[TaskView, ...]


@dataclass(frozen=True, slots=True)
class RunView:
    run_id: int
    process_name: str
    version: int
    status: str
    phases: tuple[PhaseView, ...]
    routes: tuple[tuple[str, str], ...]  # (route id, description) when a choice is awaited
    run_version: int


def _definition(session: Session, run: ProcessRun) -> tuple[p.ProcessDef, ProcessVersion, Process]:
    pv = session.get(ProcessVersion, run.process_version_id)
    proc = session.get(Process, pv.process_id)
    return process_from_json(pv.definition, process_id=proc.id), pv, proc


def _domain_run(session: Session, run: ProcessRun) -> p.Run:
    tasks = session.exec(select(TaskInstance).where(TaskInstance.run_id == run.id).order_by(TaskInstance.id)).all()
    return p.Run(phase_id=run.phase_id if run.status == "running" else "", awaiting_route=run.awaiting_route,
                 tasks=tuple(p.TaskRun(t.task_id, p.TaskStatus(t.status), p.TaskStep(t.step), t.id) for t in tasks))


def _order(session: Session, entity_kind: str, entity_id: int) -> tuple[Order, Customer] | None:
    if entity_kind != "order":
        return None
    row = session.exec(select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
                       .where(Order.id == entity_id)).first()
    return row


def _history(session: Session, task: TaskInstance, *, before: str, after: str, actor: Principal, now: datetime,
             comment: str = "") -> None:
    session.add(StatusChange(entity_kind="task", entity_id=task.id, from_version=task.version - 1,
                             from_state=before, to_state=after, actor_id=actor.user_id,
                             actor_name=actor.display_name, at=now, comment=comment))


STATUS_WORDS = {"done": "done", "skipped": "skipped", "canceled": "canceled", "expired": "expired"}


def _apply(session: Session, *, run: ProcessRun, definition: p.ProcessDef, proc: Process, outcome: p.Outcome,
           principal: Principal, now: datetime, calendar: BusinessCalendar, base_url: str, support: str,
           note: str = "") -> None:
    """Persist the engine's new run state and carry out its effects; then the order follows
    its queue to the board phase of the step the run stands at (one truth).

    Long because: each effect of the engine's outcome (task rows, order actions, notifications, the
    queue's phase) must happen in this order inside one transaction; the branches read as the list
    of effects.
    """
    before = {t.id: t for t in session.exec(select(TaskInstance).where(TaskInstance.run_id == run.id)).all()}
    subject = _order(session, run.entity_kind, run.entity_id)
    lines: list[str] = []
    for tr in outcome.run.tasks:
        row = before.get(tr.key) if tr.key else None
        if row is not None and (row.status != tr.status.value or row.step != tr.step.value):
            old, old_step = row.status, row.step
            done = session.exec(
                update(TaskInstance).where(TaskInstance.id == row.id, TaskInstance.version == row.version)
                .values(status=tr.status.value, step=tr.step.value, version=row.version + 1,
                        closed_at=now if tr.status in p.CLOSED_TASK else None,
                        closed_by=(principal.display_name if tr.status in p.CLOSED_TASK else None),
                        due_kind=None if tr.status in p.CLOSED_TASK else row.due_kind,
                        due_at=None if tr.status in p.CLOSED_TASK else row.due_at)
                .execution_options(synchronize_session=False)
            ).rowcount
            if done != 1:
                raise Conflict(CHANGED)
            row.version += 1
            if old != tr.status.value:
                _history(session, row, before=old, after=tr.status.value, actor=principal, now=now, comment=note)
                lines.append(TASK_STATUS_LINE.format(task=row.name, status=tr.status.value))
            else:
                _history(session, row, before=old_step, after=tr.step.value, actor=principal, now=now,
                         comment="step")
                lines.append(TASK_STEP_LINE.format(task=row.name, old=old_step, new=tr.step.value))
    if subject is not None and lines:  # the order's history says what happened to its actions
        order = subject[0]
        session.refresh(order)
        text = (RUN_NOTE_WITH if note else RUN_NOTE).format(process=definition.name, lines="; ".join(lines), note=note)
        order_moves.add_note(session, principal=principal, order_id=order.id, expected_version=order.version,
                        comment=text[:4000], now=now, calendar=calendar, internal=True)
    for effect in outcome.effects:
        if effect.kind is p.EffectKind.TASK_OPENED:
            found = definition.task(effect.task_id)
            task = found[1]
            user_id = task.user_id
            if task.assign_to_order_user and subject is not None:
                user_id = subject[0].owner_id or user_id
            if user_id is None and not task.group:
                user_id = definition.auto_user_id
            timer = p.task_timer(task, opened_at=now, calendar=calendar)
            row = TaskInstance(run_id=run.id, task_id=task.id, phase_id=effect.phase_id, name=task.name,
                               type=task.type.value, step=task.step.value, assignee_user_id=user_id,
                               assignee_group=task.group or (definition.auto_group if user_id is None else ""),
                               opened_at=now, due_kind=timer[0] if timer else None, due_at=timer[1] if timer else None,
                               alarm_at=p.alarm_at(task, opened_at=now))
            session.add(row)
            session.flush()
            _history(session, row, before="", after="open", actor=principal, now=now,
                     comment=PHASE_OPENED.format(process=definition.name, phase=definition.phase(effect.phase_id).name))
        elif effect.kind is p.EffectKind.ORDER_ACTION and subject is not None:
            _order_action(session, effect.value, subject[0], effect.task_id, definition, principal, now, calendar)
        elif effect.kind is p.EffectKind.NOTIFY:
            _notify(session, definition, effect, subject, principal, now, base_url, support)
        elif effect.kind is p.EffectKind.SWITCH_PROCESS:
            target_id, _sep, phase_id = effect.value.partition(":")
            run.status = "switched"
            start_run(session, principal=principal, entity_kind=run.entity_kind, entity_id=run.entity_id,
                      process_id=int(target_id), now=now, calendar=calendar, phase_id=phase_id,
                      base_url=base_url, support=support)
        elif effect.kind is p.EffectKind.PROCESS_COMPLETED and run.status == "running":
            run.status = "complete"
    done = session.exec(
        update(ProcessRun).where(ProcessRun.id == run.id, ProcessRun.version == run.version)
        .values(phase_id=outcome.run.phase_id, awaiting_route=outcome.run.awaiting_route, status=run.status,
                version=run.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict(CHANGED)
    run.version += 1
    run.phase_id, run.awaiting_route = outcome.run.phase_id, outcome.run.awaiting_route
    session.flush()
    if subject is not None:
        follow_queue(session, principal=principal, order_id=subject[0].id, now=now, calendar=calendar)


def follow_queue(session: Session, *, principal: Principal, order_id: int, now: datetime,
                 calendar: BusinessCalendar) -> None:
    """Move the order to the board phase of the step its queue stands at (when they differ)."""
    run = current_run(session, entity_kind="order", entity_id=order_id)
    order = session.get(Order, order_id)
    if run is None or order is None or run.status not in ("running", "complete"):
        return
    session.refresh(order)
    if order.phase in ("closed", "canceled"):
        return
    definition, _pv, _proc = _definition(session, run)
    target = p.board_phase(definition, _domain_run(session, run))
    if target == order.phase:
        return
    step = definition.phase(run.phase_id)
    why = (QUEUE_AT_STEP.format(process=definition.name, step=step.name) if step and run.status == "running"
           else QUEUE_COMPLETE.format(process=definition.name))
    try:
        order_moves.move_with_queue(session, principal=principal, order_id=order_id, target=target, now=now,
                               calendar=calendar, comment=why)
    except TransitionRefused as exc:
        raise BadInput(exc.reason) from None


def _order_action(session: Session, action: str, order: Order, task_id: str, definition: p.ProcessDef,
                  principal: Principal, now: datetime, calendar: BusinessCalendar) -> None:
    """A task's action on its order. Confirm/complete are recorded (the order moves on the
    board with its queue's steps); hold pauses the SLA clock; error is recorded."""
    name = definition.task(task_id)[1].name
    session.refresh(order)
    if action == "hold":  # pauses the SLA clock while the "order on hold" rule is on
        sla.set_hold(session, principal=principal, order_id=order.id, on=True, now=now, calendar=calendar)
        session.refresh(order)
    order_moves.add_note(session, principal=principal, order_id=order.id, expected_version=order.version,
                    comment=ORDER_ACTION_NOTES[action].format(task=name, process=definition.name), now=now, calendar=calendar,
                    internal=action == "confirm")


def _notify(session: Session, definition: p.ProcessDef, effect: p.Effect, subject, principal: Principal,
            now: datetime, base_url: str, support: str) -> None:
    wanted = [n for n in definition.notifications if n.event.value == effect.value]
    if not wanted:
        return
    recipients = []
    for n in wanted:
        if n.to is p.NotifyTo.ME and principal.user_id is not None:
            user = session.get(User, principal.user_id)
            recipients.append(("user", user.email if user else ""))
        elif n.to is p.NotifyTo.CUSTOMER and subject is not None:
            recipients.append(("customer", subject[1].contact_email))
        elif n.to is p.NotifyTo.USER and n.target.isdigit():
            user = session.get(User, int(n.target))
            recipients.append(("user", user.email if user else ""))
        elif n.to is p.NotifyTo.GROUP:
            recipients.append(("group", support))
    order = subject[0] if subject else None
    detail = ""
    if effect.task_id and definition.task(effect.task_id):
        detail = TASK_DETAIL.format(task=definition.task(effect.task_id)[1].name)
    elif effect.phase_id and definition.phase(effect.phase_id):
        detail = PHASE_DETAIL.format(phase=definition.phase(effect.phase_id).name)
    notifications.enqueue(session, event="process_event", order_id=order.id if order else None,
                          recipients=recipients, now=now, variables={
                              "process": definition.name, "event": effect.value, "detail": detail,
                              "subject_name": f"{order.number} {order.name}" if order else "",
                              "order_link": f"{base_url.rstrip('/')}/orders/{order.number}" if order else base_url})


def current_run(session: Session, *, entity_kind: str, entity_id: int) -> ProcessRun | None:
    """The newest running (or last) process run of a subject."""
    return session.exec(_CURRENT_RUN, params={"kind": entity_kind, "entity": entity_id}).first()


_CURRENT_RUN = (select(ProcessRun).where(ProcessRun.entity_kind == bindparam("kind"),
                                         ProcessRun.entity_id == bindparam("entity"))
                .order_by(col(ProcessRun.id).desc()).limit(1))


def start_run(session: Session, *, principal: Principal, entity_kind: str, entity_id: int, process_id: int,
              now: datetime, calendar: BusinessCalendar, base_url: str = "", support: str = "",
              phase_id: str | None = None) -> int:
    """Start the active version of a process on a subject (the caller commits)."""
    row = _row(session, process_id)
    latest = _latest(session, process_id)
    if not row.active or latest is None:
        raise BadInput(_("Process “{name}” is not active.").format(name=row.name))
    running = current_run(session, entity_kind=entity_kind, entity_id=entity_id)
    if running is not None and running.status == "running":
        raise BadInput("A process is already running here.")
    definition = process_from_json(latest.definition, process_id=row.id)
    try:
        outcome = p.start(definition, phase_id=phase_id)
    except p.ProcessRefused as exc:
        raise BadInput(exc.reason) from None
    run = ProcessRun(entity_kind=entity_kind, entity_id=entity_id, process_version_id=latest.id, started_at=now,
                     phase_id="")
    session.add(run)
    session.flush()
    if entity_kind == "order":
        _auto_assign_owner(session, definition, order_id=entity_id, now=now, calendar=calendar)
    _apply(session, run=run, definition=definition, proc=row, outcome=outcome, principal=principal, now=now,
           calendar=calendar, base_url=base_url, support=support)
    return run.id


OWNER_ROLES = ("operator", "support", "manager", "admin")


def _auto_assign_owner(session: Session, definition: p.ProcessDef, *, order_id: int, now: datetime,
                       calendar: BusinessCalendar) -> None:
    """Process-level auto-assign (seed 05): a new order without an owner gets the process's
    user, or the member of its group who owns the fewest open orders."""
    order = session.get(Order, order_id)
    if order is None or order.owner_id is not None:
        return
    candidates: list[int] = []
    if definition.auto_user_id is not None:
        candidates = [definition.auto_user_id]
    elif definition.auto_group:
        candidates = process_groups.member_ids(session, definition.auto_group)
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(candidates))).all()} \
        if candidates else {}
    candidates = [c for c in candidates if c in users and users[c].role in OWNER_ROLES and users[c].active]
    if not candidates:
        return
    load = dict(session.exec(select(Order.owner_id, func.count()).where(
        col(Order.owner_id).in_(candidates), col(Order.phase).in_(ACTIVE_PHASES)).group_by(Order.owner_id)).all())
    owner = min(candidates, key=lambda c: (load.get(c, 0), c))
    session.refresh(order)
    order_moves.update_planning(session, principal=SYSTEM, order_id=order.id, expected_version=order.version,
                           change=order_moves.PlanningChange(order.requested_completion, order.planned_completion, owner,
                                                        order.priority),
                           now=now, calendar=calendar)


def run_view(session: Session, *, entity_kind: str, entity_id: int) -> RunView | None:
    """The Order Actions section: every phase, its tasks and their state."""
    run = current_run(session, entity_kind=entity_kind, entity_id=entity_id)
    if run is None:
        return None
    definition, pv, proc = _definition(session, run)
    rows = session.exec(select(TaskInstance, User.display_name).join(User, User.id == TaskInstance.assignee_user_id,
                                                                      isouter=True)
                        .where(TaskInstance.run_id == run.id).order_by(TaskInstance.id)).all()
    by_phase: dict[str, list[TaskView]] = {}
    for t, assignee in rows:
        found = definition.task(t.task_id)
        task = found[1] if found else None
        timer = p.TIMED.get(p.TaskType(t.type)) if t.type in p.TaskType._value2member_map_ else None
        by_phase.setdefault(t.phase_id, []).append(TaskView(
            id=t.id, task_id=t.task_id, name=t.name, type=t.type, status=t.status, step=t.step,
            assignee=assignee or t.assignee_group or "", phase_id=t.phase_id,
            subject=task.subject if task else "", body=task.body if task else "",
            assignee_kind="person" if assignee else ("group" if t.assignee_group else ""),
            due_kind=t.due_kind or (timer[0] if timer else ""), due_at=t.due_at, escalated_at=t.escalated_at,
            alarm_at=t.alarm_at, opened_at=t.opened_at, closed_at=t.closed_at, closed_by=t.closed_by or "",
            on_cancel=task.on_cancel.value if task else ""))
    ids = [ph.id for ph in definition.phases]
    current = ids.index(run.phase_id) if run.phase_id in ids else len(ids)
    phases = tuple(
        PhaseView(id=ph.id, name=ph.name,
                  state="current" if i == current and run.status == "running" else ("done" if by_phase.get(ph.id)
                                                                                    and i != current else "later"),
                  tasks=tuple(by_phase.get(ph.id, ())))
        for i, ph in enumerate(definition.phases)
    )
    routes = ()
    if run.awaiting_route and definition.phase(run.phase_id):
        routes = tuple((r.id, r.description) for r in definition.phase(run.phase_id).routes)
    return RunView(run_id=run.id, process_name=proc.name, version=pv.version, status=run.status, phases=phases,
                   routes=routes, run_version=run.version)


def _load_task(session: Session, task_instance_id: int) -> tuple[TaskInstance, ProcessRun]:
    task = session.get(TaskInstance, task_instance_id)
    if task is None:
        raise NotFound("Task not found.")
    run = session.get(ProcessRun, task.run_id)
    return task, run


def _visible(session: Session, principal: Principal, run: ProcessRun) -> None:
    subject = _order(session, run.entity_kind, run.entity_id)
    if subject is not None and not principal.can_see(customer_id=subject[1].id, reseller_id=subject[1].reseller_id):
        raise NotFound("Task not found.")


def finish_task(session: Session, *, principal: Principal, task_instance_id: int, skip: bool, now: datetime,
                calendar: BusinessCalendar, base_url: str = "", support: str = "",
                status: p.TaskStatus | None = None, note: str = "") -> None:
    """Process (or skip) a task; phases advance and actions run per the process definition."""
    if principal is not SYSTEM:
        _worker(principal)
    task, run = _load_task(session, task_instance_id)
    _visible(session, principal, run)
    _may_work(session, principal, task)
    if run.status not in ("running", "complete"):
        raise BadInput("This process is no longer running.")
    if task.due_kind == "complete" and task.due_at is not None and now < task.due_at and not skip \
            and principal is not SYSTEM:
        raise BadInput(_("“{task}” waits until {at} UTC and then completes by itself; it cannot be processed "
                         "before.").format(task=task.name, at=f"{task.due_at:%Y-%m-%d %H:%M}"))
    definition, _pv, proc = _definition(session, run)
    try:
        outcome = p.finish_task(definition, _domain_run(session, run), task.task_id, skip=skip, status=status,
                                key=task.id)
    except p.ProcessRefused as exc:
        raise BadInput(exc.reason) from None
    _apply(session, run=run, definition=definition, proc=proc, outcome=outcome, principal=principal, now=now,
           calendar=calendar, base_url=base_url, support=support, note=note)


def set_task_step(session: Session, *, principal: Principal, task_instance_id: int, step: str, now: datetime,
                  calendar: BusinessCalendar, base_url: str = "", support: str = "") -> None:
    """Change an open task's step (seed 05: Not Started, In Progress, Waiting on someone else,
    Deferred; Done comes with Process). A history row on the task and on the order."""
    _worker(principal)
    task, run = _load_task(session, task_instance_id)
    _visible(session, principal, run)
    _may_work(session, principal, task)
    try:
        new_step = p.TaskStep(step)
    except ValueError:
        raise BadInput("Choose one of the steps.") from None
    if run.status not in ("running", "complete"):
        raise BadInput("This process is no longer running.")
    definition, _pv, proc = _definition(session, run)
    try:
        domain = p.set_step(definition, _domain_run(session, run), task.task_id, new_step, key=task.id)
    except p.ProcessRefused as exc:
        raise BadInput(exc.reason) from None
    _apply(session, run=run, definition=definition, proc=proc, outcome=p.Outcome(domain), principal=principal,
           now=now, calendar=calendar, base_url=base_url, support=support)


def _may_work(session: Session, principal: Principal, task: TaskInstance) -> None:
    """Who may process, skip, cancel or change the step of a group's task: its assignee, the
    group's members, administrators and managers (a group that is not defined as data — free
    text from before groups were — admits every staff user). A task assigned to a person
    alone: any staff user (covering for a colleague)."""
    if principal is SYSTEM:
        return
    _worker(principal)
    if principal.role in process_groups.SUPERVISORS:
        return
    if task.assignee_user_id is not None and principal.user_id == task.assignee_user_id:
        return
    if task.assignee_group and process_groups.defined(session, task.assignee_group) \
            and not process_groups.is_member(session, user_id=principal.user_id, group=task.assignee_group):
        raise Forbidden(_("Only members of group “{group}”, the assignee or a manager may work on “{task}”.").format(
            group=task.assignee_group, task=task.name))


def cancel_task(session: Session, *, principal: Principal, task_instance_id: int, now: datetime,
                calendar: BusinessCalendar, base_url: str = "", support: str = "") -> None:
    """Cancel an open task (its on-cancel action applies)."""
    _worker(principal)
    task, run = _load_task(session, task_instance_id)
    _visible(session, principal, run)
    _may_work(session, principal, task)
    if run.status not in ("running", "complete"):
        raise BadInput("This process is no longer running.")
    definition, _pv, proc = _definition(session, run)
    try:
        outcome = p.cancel_task(definition, _domain_run(session, run), task.task_id, key=task.id)
    except p.ProcessRefused as exc:
        raise BadInput(exc.reason) from None
    _apply(session, run=run, definition=definition, proc=proc, outcome=outcome, principal=principal, now=now,
           calendar=calendar, base_url=base_url, support=support)


def choose_route(session: Session, *, principal: Principal, run_id: int, route_id: str, now: datetime,
                 calendar: BusinessCalendar, base_url: str = "", support: str = "") -> None:
    """Take one of the routes a completed phase offers."""
    _worker(principal)
    run = session.get(ProcessRun, run_id)
    if run is None:
        raise NotFound("Process not found.")
    _visible(session, principal, run)
    definition, _pv, proc = _definition(session, run)
    try:
        outcome = p.choose_route(definition, _domain_run(session, run), route_id)
    except p.ProcessRefused as exc:
        raise BadInput(exc.reason) from None
    _apply(session, run=run, definition=definition, proc=proc, outcome=outcome, principal=principal, now=now,
           calendar=calendar, base_url=base_url, support=support)


def blocking_tasks(session: Session, *, order_id: int) -> list[str]:
    """Open tasks that stop an order from being completed or canceled by hand."""
    run = current_run(session, entity_kind="order", entity_id=order_id)
    if run is None or run.status != "running":
        return []
    definition, _pv, _proc = _definition(session, run)
    return p.blocking_tasks(definition, _domain_run(session, run))


RUN_STATUSES = ("running", "complete")
"""A run in one of these is its order's queue (``_running``)."""


def _running(session: Session, order_id: int) -> tuple[ProcessRun, p.ProcessDef, Process] | None:
    run = current_run(session, entity_kind="order", entity_id=order_id)
    if run is None or run.status not in RUN_STATUSES:
        return None
    definition, _pv, proc = _definition(session, run)
    return run, definition, proc


def on_order_closed(session: Session, *, principal: Principal, order_id: int, canceled: bool, now: datetime,
                    calendar: BusinessCalendar, base_url: str = "", support: str = "") -> None:
    """The order was completed or canceled: no task stays open on it (those marked "complete
    task when order is completed" are done, every other one canceled), the queue ends, and the
    process's "Order completed" / "Order canceled" notification goes out — once: the run is
    marked closed/canceled, and a closed order cannot close again."""
    found = _running(session, order_id)
    if found is None:
        return
    run, definition, proc = found
    outcome = p.order_closed(definition, _domain_run(session, run), canceled=canceled)
    outcome.run = replace(outcome.run, phase_id="", awaiting_route=False)
    run.status = "canceled" if canceled else "closed"
    _apply(session, run=run, definition=definition, proc=proc, outcome=outcome, principal=principal, now=now,
           calendar=calendar, base_url=base_url, support=support,
           note="order canceled" if canceled else "order closed")


def sweep_tasks(engine: Engine, *, now: datetime, calendar: BusinessCalendar, base_url: str = "",
                support: str = "", batch: int = sweeping.BATCH) -> list[int]:
    """Timed task types: 24 Hour Wait completes, 48 Hour Auto Expire expires, Escalation 2 Hours
    escalates (notifies the group) — each once, through the same functions people use.

    Due tasks are claimed a batch per transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL:
    concurrent sweepers take different batches), each applied in a savepoint; a task that
    raises is set aside (``sweeping.BrokenRows``) and never blocks the others.

    Args:
        engine: the database.
        now: the sweep's time.
        calendar: the business calendar.
        base_url: the public URL (links in notifications).
        support: the support group's address.
        batch: how many due tasks one transaction claims.

    Returns:
        The ids of the tasks whose timer was applied.

    Raises:
        sqlalchemy.exc.OperationalError and kin: the database does not answer.
    """
    broken = sweeping.BrokenRows(engine, "task_instance")
    tried: set[int] = set()
    applied: list[int] = []
    while True:
        done: list[int] = []
        with session_scope(engine) as session:
            query = (select(TaskInstance.id, TaskInstance.due_kind, TaskInstance.version)
                     .where(col(TaskInstance.due_at) <= now, col(TaskInstance.due_kind).is_not(None))
                     .order_by(col(TaskInstance.due_at)).limit(batch).with_for_update(skip_locked=True))
            due = session.exec(sweeping.unclaimed(query, col(TaskInstance.id), col(TaskInstance.version),
                                                  tried=tried, waiting=broken.waiting(now))).all()
            if not due:
                return applied
            for task_id, kind, version in due:
                outcome = sweeping.apply_row(
                    session, lambda task_id=task_id, kind=kind, version=version: _apply_task_timer(
                        session, task_id=task_id, kind=kind, version=version, now=now, calendar=calendar,
                        base_url=base_url, support=support),
                    broken=broken, row_id=task_id, version=version, now=now, what=f"timer {kind} of task {task_id}")
                if outcome is sweeping.Outcome.APPLIED:
                    done.append(task_id)
                else:
                    tried.add(task_id)
        for task_id in done:
            broken.succeeded(task_id)
        applied.extend(done)


def _apply_task_timer(session: Session, *, task_id: int, kind: str, version: int, now: datetime,
                      calendar: BusinessCalendar, base_url: str, support: str) -> bool:
    """Apply one claimed task timer; False when the task no longer has it (nothing done)."""
    task = session.get(TaskInstance, task_id)
    if task is None or task.due_kind != kind or task.version != version or task.status != "open":
        return False
    if kind == "escalate":
        done = session.exec(
            update(TaskInstance).where(TaskInstance.id == task.id, TaskInstance.version == task.version)
            .values(due_kind=None, due_at=None, escalated_at=now, version=task.version + 1)
            .execution_options(synchronize_session=False)).rowcount
        if done != 1:
            raise Conflict("The task changed.")
        task.version += 1
        _history(session, task, before="open", after="open", actor=SYSTEM, now=now,
                 comment=ESCALATED)
        run = session.get(ProcessRun, task.run_id)
        definition, _pv, _proc = _definition(session, run)
        subject = _order(session, run.entity_kind, run.entity_id)
        targets = escalation_targets(session, task, support=support)
        notifications.enqueue(
            session, event="process_event", order_id=subject[0].id if subject else None,
            recipients=targets, now=now,
            variables={"process": definition.name, "event": ESCALATED_EVENT,
                       "detail": ASSIGNED_DETAIL.format(task=task.name, assignee=_assignee_words(session, task)),
                       "subject_name": f"{subject[0].number} {subject[0].name}" if subject else "",
                       "order_link": f"{base_url.rstrip('/')}/orders/{subject[0].number}" if subject
                       else base_url})
        if subject is not None:
            order = subject[0]
            session.refresh(order)
            order_moves.add_note(session, principal=SYSTEM, order_id=order.id, expected_version=order.version,
                            comment=ESCALATED_NOTE.format(process=definition.name, task=task.name,
                                                          told=", ".join(a for _kind, a in targets if a) or NOBODY),
                            now=now, calendar=calendar, internal=True)
    else:
        finish_task(session, principal=SYSTEM, task_instance_id=task.id, skip=False, now=now,
                    calendar=calendar, base_url=base_url, support=support,
                    status=p.TaskStatus.EXPIRED if kind == "expire" else None,
                    note=EXPIRED_BY_ITSELF if kind == "expire" else WAIT_ENDED)
    return True


def _assignee_words(session: Session, task: TaskInstance) -> str:
    if task.assignee_user_id is not None:
        user = session.get(User, task.assignee_user_id)
        return user.display_name if user else "—"
    return GROUP_WORDS.format(group=task.assignee_group) if task.assignee_group else "—"


def escalation_targets(session: Session, task: TaskInstance, *, support: str) -> list[tuple[str, str]]:
    """Who an escalation tells: the assigned person, or the members of the assigned group
    (with an address), and always the support group's address."""
    out: list[tuple[str, str]] = []
    if task.assignee_user_id is not None:
        user = session.get(User, task.assignee_user_id)
        if user is not None and user.email:
            out.append(("user", user.email))
    elif task.assignee_group:
        out += [("user", email) for email in group_emails(session, task.assignee_group)]
    if support:
        out.append(("group", support))
    return out


def group_emails(session: Session, group: str) -> list[str]:
    """Addresses of a user group's members."""
    return process_groups.emails(session, group)


@dataclass(frozen=True, slots=True)
class OverdueTask:
    task_id: int
    name: str
    process: str
    subject: str
    assignee: str
    overdue_by: str


def overdue_tasks(session: Session, *, principal: Principal, now: datetime) -> tuple[OverdueTask, ...]:
    """Open tasks past their alarm hours (the report)."""
    from ordertrack.domain.timefmt import duration_words

    _worker(principal)
    rows = session.exec(
        select(TaskInstance, ProcessRun, User.display_name)
        .join(ProcessRun, ProcessRun.id == TaskInstance.run_id)
        .join(User, User.id == TaskInstance.assignee_user_id, isouter=True)
        .where(TaskInstance.status == "open", col(TaskInstance.alarm_at) <= now)
        .order_by(col(TaskInstance.alarm_at))
    ).all()
    out = []
    for task, run, assignee in rows:
        definition, _pv, _proc = _definition(session, run)
        subject = _order(session, run.entity_kind, run.entity_id)
        out.append(OverdueTask(task_id=task.id, name=task.name, process=definition.name,
                               subject=subject[0].number if subject else f"{run.entity_kind} {run.entity_id}",
                               assignee=assignee or task.assignee_group or "—",
                               overdue_by=duration_words(now - task.alarm_at)))
    return tuple(out)


def count_runs(session: Session) -> int:
    return session.exec(select(func.count()).select_from(ProcessRun)).one()

