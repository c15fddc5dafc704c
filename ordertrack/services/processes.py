"""Processes: the designer's drafts and activated versions, and running them on orders.

Drafts are edited freely; activation validates and freezes a new version (running subjects
keep theirs). Running: the pure engine (``domain.process``) decides, this module applies its
effects in one transaction: task rows (with their timers), task history, order actions
(confirm/complete move the order, hold/error are recorded), e-mails through the outbox,
and routes to other processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine, func, tuple_, update
from sqlmodel import Session, col, select

from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.db.mapping import process_from_json, process_to_json
from ordertrack.db.models import Customer, Order, OrderItem, StatusChange, User
from ordertrack.db.process_models import Process, ProcessRun, ProcessVersion, TaskInstance
from ordertrack.domain import process as p
from ordertrack.domain.access import SYSTEM, Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.engine import TransitionRefused
from ordertrack.domain.process_edit import EditRefused
from ordertrack.domain.process_edit import diff as edit_diff
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import ORDER_WORKFLOW
from ordertrack.i18n import _
from ordertrack.services import notifications, process_groups, sla, sweeping
from ordertrack.services import order_moves as orders  # the split of this module renames it
from ordertrack.services.errors import BadInput, Conflict, Forbidden, NotFound

DESIGNERS = frozenset({Role.ADMIN, Role.MANAGER})
CHANGED = "This process changed meanwhile. Reload and try again."


@dataclass(frozen=True, slots=True)
class ProcessSummary:
    id: int
    name: str
    type: str
    active: bool
    version: int
    phases: int
    tasks: int
    changed_since_activation: bool
    service_types: str
    archived: bool = False
    runs: int = 0


@dataclass(frozen=True, slots=True)
class Draft:
    definition: p.ProcessDef
    version: int
    active: bool
    changed_since_activation: bool
    problems: tuple[p.Problem, ...]
    service_types: str


def _designer(principal: Principal) -> None:
    if principal.role not in DESIGNERS:
        raise Forbidden("Only administrators and managers may design processes.")


def _worker(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("Only staff may work on process tasks.")


def _row(session: Session, process_id: int) -> Process:
    row = session.get(Process, process_id)
    if row is None:
        raise NotFound("Process not found.")
    return row


def _latest(session: Session, process_id: int) -> ProcessVersion | None:
    return session.exec(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                        .order_by(col(ProcessVersion.version).desc())).first()


def _changed(session: Session, row: Process) -> bool:
    latest = _latest(session, row.id)
    # Moving phases on the graph alone is not a change that needs a new version.
    return latest is None or (_normalized(latest.definition, row.id, layout=False)
                              != _normalized(row.draft, row.id, layout=False))


def _normalized(draft: str, process_id: int, *, layout: bool = True) -> str:
    d = process_from_json(draft, process_id=process_id)
    return process_to_json(p.ProcessDef(**{**{f: getattr(d, f) for f in d.__dataclass_fields__}, "active": True}),
                           layout=layout)


def list_processes(session: Session, *, principal: Principal) -> tuple[ProcessSummary, ...]:
    """Every process with its state (designers)."""
    _designer(principal)
    out = []
    runs = dict(session.exec(select(ProcessVersion.process_id, func.count(ProcessRun.id))
                             .join(ProcessRun, ProcessRun.process_version_id == ProcessVersion.id)
                             .group_by(ProcessVersion.process_id)).all())
    for row in session.exec(select(Process).order_by(Process.name)).all():
        d = process_from_json(row.draft, process_id=row.id)
        out.append(ProcessSummary(
            id=row.id, name=row.name, type=row.type, active=row.active, version=row.current_version,
            phases=len(d.phases), tasks=sum(len(ph.tasks) for ph in d.phases),
            changed_since_activation=row.current_version > 0 and _changed(session, row),
            service_types=row.service_types, archived=row.archived, runs=runs.get(row.id, 0),
        ))
    return tuple(out)


def create_process(session: Session, *, principal: Principal, name: str, type: str, now: datetime) -> int:
    """A new, inactive process with no phases."""
    _designer(principal)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise BadInput("The process needs a name (200 characters at most).")
    try:
        ptype = p.ProcessType(type)
    except ValueError:
        raise BadInput("Type must be Order, Request or Ticket.") from None
    draft = p.ProcessDef(id=0, name=name, type=ptype)
    row = Process(name=name, type=ptype.value, draft=process_to_json(draft), updated_at=now)
    session.add(row)
    session.flush()
    return row.id


def others(session: Session, exclude: int | None = None) -> dict[int, p.ProcessDef]:
    """Latest activated definition of every other process, with its current active flag."""
    result = {}
    for row in session.exec(select(Process)).all():
        if row.id == exclude:
            continue
        latest = _latest(session, row.id)
        base = process_from_json(latest.definition if latest else row.draft, process_id=row.id)
        result[row.id] = p.ProcessDef(**{**{f: getattr(base, f) for f in base.__dataclass_fields__},
                                         "active": row.active and latest is not None})
    return result


def load_draft(session: Session, *, principal: Principal, process_id: int) -> Draft:
    """The draft as the designer shows it, with what stops its activation."""
    _designer(principal)
    row = _row(session, process_id)
    d = process_from_json(row.draft, process_id=row.id)
    return Draft(definition=d, version=row.current_version, active=row.active,
                 changed_since_activation=row.current_version > 0 and _changed(session, row),
                 problems=tuple(p.validate(d, others=others(session, exclude=row.id),
                                             groups=process_groups.member_counts(session))),
                 service_types=row.service_types)


def edit(session: Session, *, principal: Principal, process_id: int, change: Callable[[p.ProcessDef], p.ProcessDef],
         now: datetime) -> p.ProcessDef:
    """Apply one designer edit to the draft (the caller commits)."""
    _designer(principal)
    row = _row(session, process_id)
    try:
        new = change(process_from_json(row.draft, process_id=row.id))
    except EditRefused as exc:
        raise BadInput(str(exc)) from None
    row.draft = process_to_json(new)
    row.name, row.type, row.updated_at = new.name, new.type.value, now
    session.add(row)
    session.flush()
    return new


def set_service_types(session: Session, *, principal: Principal, process_id: int, service_types: str) -> None:
    """The service types whose new orders this (Order) process receives."""
    _designer(principal)
    row = _row(session, process_id)
    kinds = sorted({k.strip().lower() for k in (service_types or "").split(",") if k.strip()})
    if any(len(k) > 40 for k in kinds):
        raise BadInput("A service type is too long.")
    row.service_types = ",".join(kinds)
    session.add(row)
    session.flush()


def activate(session: Session, *, principal: Principal, process_id: int, now: datetime) -> int:
    """Validate and activate; a changed draft becomes a new version. Returns the active version."""
    _designer(principal)
    row = _row(session, process_id)
    if row.archived:
        raise BadInput("An archived process cannot be activated: restore it first.")
    d = process_from_json(row.draft, process_id=row.id)
    problems = p.validate(d, others=others(session, exclude=row.id), groups=process_groups.member_counts(session))
    if problems:
        raise BadInput("Cannot activate: " + " ".join(pr.message for pr in problems))
    if _changed(session, row):
        row.current_version += 1
        session.add(ProcessVersion(process_id=row.id, version=row.current_version,
                                   definition=_normalized(row.draft, row.id), activated_at=now,
                                   activated_by=principal.display_name))
    row.active = True
    session.add(row)
    session.flush()
    return row.current_version


def deactivate(session: Session, *, principal: Principal, process_id: int) -> None:
    """No new subjects start it; running ones go on."""
    _designer(principal)
    row = _row(session, process_id)
    if DEFAULT_QUEUE in row.service_types.split(",") and row.type == "Order":
        raise BadInput("This is the default order queue: orders of every service type without a queue of "
                       "their own go here, so it stays active. Make another queue the default first.")
    row.active = False
    session.add(row)
    session.flush()


def archive(session: Session, *, principal: Principal, process_id: int, archived: bool = True) -> None:
    """Archive a process (inactive, out of the list and of every choice; orders running on it
    go on) or bring it back (inactive)."""
    _designer(principal)
    row = _row(session, process_id)
    if archived and DEFAULT_QUEUE in row.service_types.split(","):
        raise BadInput("The default order queue cannot be archived.")
    row.archived, row.active = archived, False
    session.add(row)
    session.flush()


def delete_process(session: Session, *, principal: Principal, process_id: int) -> None:
    """Delete a draft that was never activated (an activated one is archived instead)."""
    _designer(principal)
    row = _row(session, process_id)
    if row.current_version > 0 or _latest(session, row.id) is not None:
        raise BadInput(f"“{row.name}” was activated, so orders may have run on it: archive it instead.")
    session.delete(row)
    session.flush()


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: int
    activated_at: datetime
    activated_by: str
    current: bool
    runs: int


def versions(session: Session, *, principal: Principal, process_id: int) -> tuple[VersionRow, ...]:
    """Every activated version, newest first, with its date, author and running subjects."""
    _designer(principal)
    row = _row(session, process_id)
    runs = dict(session.exec(select(ProcessRun.process_version_id, func.count())
                             .where(col(ProcessRun.status).in_(("running", "complete")))
                             .group_by(ProcessRun.process_version_id)).all())
    rows = session.exec(select(ProcessVersion).where(ProcessVersion.process_id == row.id)
                        .order_by(col(ProcessVersion.version).desc())).all()
    return tuple(VersionRow(v.version, v.activated_at, v.activated_by or "—", v.version == row.current_version,
                            runs.get(v.id, 0)) for v in rows)


def _version_definition(session: Session, row: Process, which: str) -> p.ProcessDef:
    if which == "draft":
        return process_from_json(row.draft, process_id=row.id)
    if not str(which).isdigit():
        raise BadInput("Choose a version.")
    pv = session.exec(select(ProcessVersion).where(ProcessVersion.process_id == row.id,
                                                   ProcessVersion.version == int(which))).first()
    if pv is None:
        raise NotFound("Version not found.")
    return process_from_json(pv.definition, process_id=row.id)


def diff_versions(session: Session, *, principal: Principal, process_id: int, old: str, new: str) -> list[str]:
    """What changed between two versions (a number, or "draft")."""
    _designer(principal)
    row = _row(session, process_id)
    return edit_diff(_version_definition(session, row, old), _version_definition(session, row, new))


def restore_version(session: Session, *, principal: Principal, process_id: int, version: str,
                    now: datetime) -> None:
    """Restore an older version as the new draft (activate it to make it current)."""
    _designer(principal)
    row = _row(session, process_id)
    restored = _version_definition(session, row, version)
    row.draft = process_to_json(restored)
    row.name, row.updated_at = restored.name, now
    session.add(row)
    session.flush()


@dataclass(frozen=True, slots=True)
class Startable:
    id: int
    name: str


def startable(session: Session, *, type: str) -> tuple[Startable, ...]:
    """Active, activated processes of a type (to start on a subject)."""
    rows = session.exec(select(Process).where(col(Process.active).is_(True), Process.type == type,
                                              col(Process.archived).is_(False),
                                              Process.current_version > 0).order_by(Process.name)).all()
    return tuple(Startable(id=r.id, name=r.name) for r in rows)


DEFAULT_QUEUE = "*"  # in service_types: the queue of every service type without its own
DEFAULT_QUEUE_NAME = "Default order queue"


def process_for_service(session: Session, *, service_type: str, now: datetime | None = None) -> int | None:
    """The active Order process (queue) that receives orders of ``service_type``: its own
    queue, else the default queue (``*``), created when no process was ever marked default —
    so every order, colocation included, belongs to a queue."""
    key = (service_type or "").strip().lower()
    rows = session.exec(select(Process).where(col(Process.active).is_(True), Process.type == "Order",
                                              Process.current_version > 0).order_by(Process.id)).all()
    for row in rows:
        if key and key in row.service_types.split(","):
            return row.id
    for row in rows:
        if DEFAULT_QUEUE in row.service_types.split(","):
            return row.id
    if session.exec(select(Process.id).where(col(Process.service_types).contains(DEFAULT_QUEUE))).first():
        return None  # the default queue exists but is inactive: the intake reports "order queue missing"
    return ensure_default_queue(session, now=now or get_clock().now())


def ensure_default_queue(session: Session, *, now: datetime) -> int:
    """The default queue (two steps: review, then fulfilment), active; created once."""
    row = session.exec(select(Process).where(col(Process.service_types).contains(DEFAULT_QUEUE))).first()
    if row is not None:
        return row.id
    definition = p.ProcessDef(
        id=0, name=DEFAULT_QUEUE_NAME, type=p.ProcessType.ORDER, auto_group="Support",
        phases=(p.PhaseDef("ph1", "Order Review", tasks=(
                    p.TaskDef("t1", "Review the order", subject="Review the order",
                              body="Check the customer, the items and the requested date; confirm the order.",
                              on_complete=p.OnComplete.CONFIRM_ORDER),)),
                p.PhaseDef("ph2", "Fulfilment", tasks=(
                    p.TaskDef("t2", "Deliver the service", subject="Deliver the service",
                              body="Provision and hand over every item, then send the order to the customer "
                                   "for validation.", on_complete=p.OnComplete.COMPLETE_ORDER),))))
    row = Process(name=DEFAULT_QUEUE_NAME, type="Order", draft=process_to_json(definition), updated_at=now,
                  service_types=DEFAULT_QUEUE, active=True, current_version=1)
    session.add(row)
    session.flush()
    session.add(ProcessVersion(process_id=row.id, version=1, definition=_normalized(row.draft, row.id),
                               activated_at=now, activated_by="System"))
    session.flush()
    return row.id


ACTIVE_PHASES = ("planning", "execution", "validation")


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


# Running


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
                lines.append(f"“{row.name}” {tr.status.value}")
            else:
                _history(session, row, before=old_step, after=tr.step.value, actor=principal, now=now,
                         comment="step")
                lines.append(f"“{row.name}”: step {old_step} → {tr.step.value}")
    if subject is not None and lines:  # the order's history says what happened to its actions
        order = subject[0]
        session.refresh(order)
        text = f"{definition.name}: " + "; ".join(lines) + (f" ({note})" if note else "")
        orders.add_note(session, principal=principal, order_id=order.id, expected_version=order.version,
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
                     comment=f"{definition.name}: phase {definition.phase(effect.phase_id).name}")
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
    why = (f"Order queue “{definition.name}” is at step “{step.name}”." if step and run.status == "running"
           else f"Order queue “{definition.name}” is complete.")
    try:
        orders.move_with_queue(session, principal=principal, order_id=order_id, target=target, now=now,
                               calendar=calendar, comment=why)
    except TransitionRefused as exc:
        raise BadInput(exc.reason) from None


def _order_action(session: Session, action: str, order: Order, task_id: str, definition: p.ProcessDef,
                  principal: Principal, now: datetime, calendar: BusinessCalendar) -> None:
    """A task's action on its order. Confirm/complete are recorded (the order moves on the
    board with its queue's steps); hold pauses the SLA clock; error is recorded."""
    name = definition.task(task_id)[1].name
    session.refresh(order)
    label = {"confirm": "Order confirmed", "complete": "Order completed", "hold": "Order put on hold",
             "error": "Order set to error"}[action]
    if action == "hold":  # pauses the SLA clock while the "order on hold" rule is on
        sla.set_hold(session, principal=principal, order_id=order.id, on=True, now=now, calendar=calendar)
        session.refresh(order)
    orders.add_note(session, principal=principal, order_id=order.id, expected_version=order.version,
                    comment=f"{label} by task “{name}” of {definition.name}", now=now, calendar=calendar,
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
        detail = f"Task: {definition.task(effect.task_id)[1].name}"
    elif effect.phase_id and definition.phase(effect.phase_id):
        detail = f"Phase: {definition.phase(effect.phase_id).name}"
    notifications.enqueue(session, event="process_event", order_id=order.id if order else None,
                          recipients=recipients, now=now, variables={
                              "process": definition.name, "event": effect.value, "detail": detail,
                              "subject_name": f"{order.number} {order.name}" if order else "",
                              "order_link": f"{base_url.rstrip('/')}/orders/{order.number}" if order else base_url})


def current_run(session: Session, *, entity_kind: str, entity_id: int) -> ProcessRun | None:
    """The newest running (or last) process run of a subject."""
    return session.exec(select(ProcessRun).where(ProcessRun.entity_kind == entity_kind,
                                                 ProcessRun.entity_id == entity_id)
                        .order_by(col(ProcessRun.id).desc())).first()


def start_run(session: Session, *, principal: Principal, entity_kind: str, entity_id: int, process_id: int,
              now: datetime, calendar: BusinessCalendar, base_url: str = "", support: str = "",
              phase_id: str | None = None) -> int:
    """Start the active version of a process on a subject (the caller commits)."""
    row = _row(session, process_id)
    latest = _latest(session, process_id)
    if not row.active or latest is None:
        raise BadInput(f"Process “{row.name}” is not active.")
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
    orders.update_planning(session, principal=SYSTEM, order_id=order.id, expected_version=order.version,
                           change=orders.PlanningChange(order.requested_completion, order.planned_completion, owner,
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


class QueueNotReached(BadInput):
    """A move on the board that the order's queue has not reached. ``steps`` are the steps
    whose remaining actions a skip would skip (empty when skipping cannot get there)."""

    def __init__(self, message: str, *, steps: tuple[str, ...], target: str) -> None:
        super().__init__(message)
        self.steps = steps
        self.target = target


def _running(session: Session, order_id: int) -> tuple[ProcessRun, p.ProcessDef, Process] | None:
    run = current_run(session, entity_kind="order", entity_id=order_id)
    if run is None or run.status not in ("running", "complete"):
        return None
    definition, _pv, proc = _definition(session, run)
    return run, definition, proc


def _names(steps: tuple[str, ...]) -> str:
    return " and ".join(f"“{s}”" for s in steps)


def check_move(session: Session, *, order_id: int, target: str) -> None:
    """Whether the order's queue allows moving the order to board phase ``target`` by hand.

    Forward (to Execution, to Customer Validation) only happens when the queue reaches a step
    of that phase: refused with the reason and the steps whose remaining actions a skip
    would skip. Back (Execution → Planning, Validation → Execution) needs a step of that
    phase to go back to. Canceling and the customer's approval are never refused here.

    Raises:
        QueueNotReached: a forward move the queue has not reached.
        BadInput: a move back to a phase the queue has no step in.
    """
    if target in ("closed", "canceled") or target not in p.BOARD_PHASES:
        return
    found = _running(session, order_id)
    if found is None or session.get(Order, order_id) is None:  # the order read only for a queue's order
        return
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


def before_order_move(session: Session, *, order_id: int, target: str) -> None:
    """Called before every move by hand (board, order page): see ``check_move``."""
    check_move(session, order_id=order_id, target=target)


def after_order_move(session: Session, *, principal: Principal, order_id: int, target: str, now: datetime,
                     calendar: BusinessCalendar, base_url: str = "", support: str = "") -> None:
    """After a move by hand or by a timer: a closed or canceled order closes its open tasks
    (and tells the process's "Order completed"/"Order canceled" recipients once); a move back
    sends the queue back to the last step of that phase, whose actions open again."""
    if target in ("closed", "canceled"):
        on_order_closed(session, principal=principal, order_id=order_id, canceled=target == "canceled", now=now,
                        calendar=calendar, base_url=base_url, support=support)
        return
    found = _running(session, order_id)
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
               note=f"order moved back to {ORDER_WORKFLOW.label(target)}")


def skip_to(session: Session, *, principal: Principal, order_id: int, target: str, now: datetime,
            calendar: BusinessCalendar, base_url: str = "", support: str = "") -> tuple[str, ...]:
    """"Skip the remaining actions of <step>": skip the open actions of the current step (and
    of the following ones, as far as needed) until the queue reaches board phase ``target``;
    the order follows. Returns the skipped steps' names (the caller commits).

    Raises:
        BadInput: skipping cannot get there (a route to choose, a loop, another process).
    """
    _worker(principal)
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("Order not found.")
    customer = session.get(Customer, order.customer_id)
    if not principal.can_see(customer_id=customer.id, reseller_id=customer.reseller_id):
        raise NotFound("Order not found.")
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
    _worker(principal)
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("Order not found.")
    customer = session.get(Customer, order.customer_id)
    if not principal.can_see(customer_id=customer.id, reseller_id=customer.reseller_id):
        raise NotFound("Order not found.")
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
            if tried:
                query = query.where(col(TaskInstance.id).not_in(tried))
            if waiting := broken.waiting(now):
                query = query.where(tuple_(TaskInstance.id, TaskInstance.version).not_in(waiting))
            due = session.exec(query).all()
            if not due:
                return applied
            for task_id, kind, version in due:
                session.expire_all()  # every task starts from what the database holds now
                try:
                    with session.begin_nested():
                        if _apply_task_timer(session, task_id=task_id, kind=kind, version=version, now=now,
                                             calendar=calendar, base_url=base_url, support=support):
                            done.append(task_id)
                        else:
                            tried.add(task_id)
                except Conflict:
                    tried.add(task_id)
                except Exception as exc:
                    if sweeping.is_database_unavailable(exc):
                        raise
                    tried.add(task_id)
                    if not sweeping.is_row_conflict(exc):
                        broken.failed(task_id, version, now, exc, f"timer {kind} of task {task_id}")
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
                 comment="Escalated: not done within 2 business hours")
        run = session.get(ProcessRun, task.run_id)
        definition, _pv, _proc = _definition(session, run)
        subject = _order(session, run.entity_kind, run.entity_id)
        targets = escalation_targets(session, task, support=support)
        notifications.enqueue(
            session, event="process_event", order_id=subject[0].id if subject else None,
            recipients=targets, now=now,
            variables={"process": definition.name, "event": "Task escalated after 2 business hours",
                       "detail": f"Task: {task.name} (assigned to {_assignee_words(session, task)})",
                       "subject_name": f"{subject[0].number} {subject[0].name}" if subject else "",
                       "order_link": f"{base_url.rstrip('/')}/orders/{subject[0].number}" if subject
                       else base_url})
        if subject is not None:
            order = subject[0]
            session.refresh(order)
            orders.add_note(session, principal=SYSTEM, order_id=order.id, expected_version=order.version,
                            comment=f"{definition.name}: “{task.name}” escalated — not done within 2 business hours "
                                    f"(told {', '.join(a for _kind, a in targets if a) or 'nobody'})",
                            now=now, calendar=calendar, internal=True)
    else:
        finish_task(session, principal=SYSTEM, task_instance_id=task.id, skip=False, now=now,
                    calendar=calendar, base_url=base_url, support=support,
                    status=p.TaskStatus.EXPIRED if kind == "expire" else None,
                    note="expired by itself after 48 hours" if kind == "expire"
                    else "the 24-hour wait ended: completed by itself")
    return True


def _assignee_words(session: Session, task: TaskInstance) -> str:
    if task.assignee_user_id is not None:
        user = session.get(User, task.assignee_user_id)
        return user.display_name if user else "—"
    return f"group {task.assignee_group}" if task.assignee_group else "—"


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
